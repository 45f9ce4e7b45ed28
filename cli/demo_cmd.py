"""``mp demo``: load the local stand-in project and print top events and daily active users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixpanel_data.cli.output import emit, render_rows, render_value
from mixpanel_data.cli.state import OPTIONS


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo database goes (kept for `mp sql`).")
    ] = Path(".mp-demo"),
) -> None:
    """Run the whole pipeline against a local Mixpanel stand-in; no credentials needed."""
    from mixpanel_data.run.progress import WindowProgress
    from mixpanel_data.standin.demo import run_demo

    directory = directory.resolve()
    with WindowProgress(OPTIONS.show_progress, OPTIONS.stderr) as progress:
        result = run_demo(
            directory, status=OPTIONS.status, observer=progress, settings=OPTIONS.settings
        )
    for run in result.runs:
        OPTIONS.status(
            f"{run['command']}: {run['rows_fetched']:,} fetched, {run['rows_new']:,} new, "
            f"{run['duplicates_dropped']:,} duplicates dropped, {run['duration_seconds']:.1f}s"
        )
    fmt = OPTIONS.format
    if fmt in ("json", "jsonl"):
        # One document, so the output parses as a whole.
        answer = {"top_events": result.top_events, "daily_active_users": result.daily_active_users}
        emit(render_value(answer, "json"))
    else:
        for title, rows in (
            ("Top events", result.top_events),
            ("Daily active users", result.daily_active_users),
        ):
            emit(f"{title}:" if fmt == "table" else f"# {title.lower().replace(' ', '_')}")
            emit(render_rows(list(rows[0]) if rows else [], [tuple(r.values()) for r in rows], fmt))
    OPTIONS.status(
        f"Database: {result.database}/mixpanel_data.duckdb "
        f"(try: MP_DATA_DIR={result.database} mp sql 'SELECT count(*) FROM events')"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
