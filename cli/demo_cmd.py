"""``mp demo``: load the local stand-in project and print top events and daily active users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from mixpanel_data.cli.output import emit, render_rows
from mixpanel_data.cli.state import OPTIONS


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo database goes (kept for `mp sql`).")
    ] = Path(".mp-demo"),
) -> None:
    """Run the whole pipeline against a local Mixpanel stand-in; no credentials needed."""
    from mixpanel_data.cli.progress import WindowProgress

    from mixpanel_data.demo import run_demo

    directory = directory.resolve()
    with WindowProgress(OPTIONS.show_progress, OPTIONS.stderr) as progress:
        result = run_demo(directory, status=OPTIONS.status, observer=progress)
    for run in result.runs:
        OPTIONS.status(
            f"{run['command']}: {run['rows_fetched']:,} fetched, {run['rows_new']:,} new, "
            f"{run['duplicates_dropped']:,} duplicates dropped, {run['duration_seconds']:.1f}s"
        )
    fmt = OPTIONS.format
    emit("Top events:" if fmt == "table" else "")
    emit(
        render_rows(
            ["event_name", "events", "users"], [tuple(r.values()) for r in result.top_events], fmt
        )
    )
    emit("Daily active users:" if fmt == "table" else "")
    emit(
        render_rows(
            ["day", "active_users", "events"],
            [tuple(r.values()) for r in result.daily_active_users],
            fmt,
        )
    )
    OPTIONS.status(
        f"Database: {result.database}/mixpanel_data.duckdb "
        f"(try: MP_DATA_DIR={result.database} mp sql 'SELECT count(*) FROM events')"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
