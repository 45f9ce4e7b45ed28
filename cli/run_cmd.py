"""``mp run NAME``: run a named pipeline (built-ins ``events`` and ``profiles``)."""

from __future__ import annotations

from typing import Annotated

import typer
from mixpanel_data.cli.output import emit, render_value
from mixpanel_data.cli.state import OPTIONS


def run(
    name: Annotated[
        str, typer.Argument(help="Pipeline name from pipelines.yaml, or events / profiles.")
    ],
    from_date: Annotated[
        str | None, typer.Option("--from", help="First export day, YYYY-MM-DD (inclusive).")
    ] = None,
    to_date: Annotated[
        str | None, typer.Option("--to", help="Last export day, YYYY-MM-DD (inclusive).")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Drop the pipeline's tables and cursor first.")
    ] = False,
) -> None:
    """Load a pipeline: incremental from the stored cursor, or a --from/--to backfill.

    Export days are UTC days for projects created after 2023-01-01 and project-local days for
    older ones. A backfill never moves the stored cursor once one exists.
    """
    from mixpanel_data.cli.progress import WindowProgress
    from mixpanel_data.sources.mixpanel.windows import parse_day

    from mixpanel_data.exceptions import MixpanelDataError
    from mixpanel_data.pipelines import get_pipeline
    from mixpanel_data.runner import run_pipeline
    from mixpanel_data.schedule.lock import run_lock

    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    spec = get_pipeline(name)
    overrides: dict[str, object] = {}
    if OPTIONS.account or OPTIONS.project:
        from mixpanel_data.resolve import resolve_credentials

        overrides["credentials"] = resolve_credentials(
            account=OPTIONS.account, project_id=OPTIONS.project
        )
    OPTIONS.status(f"Running pipeline {name!r} ({', '.join(spec.resources)} -> {spec.destination})")
    with run_lock(spec) as held, WindowProgress(OPTIONS.show_progress, OPTIONS.stderr) as progress:
        if not held:
            raise MixpanelDataError(
                f"Pipeline {name!r} is already running (a scheduler or another `mp run`): "
                "wait for it to finish, then run again."
            )
        summary = run_pipeline(
            spec,
            from_date=first,
            to_date=last,
            full_refresh=full_refresh,
            observer=progress,
            source_overrides=overrides,
        )
    OPTIONS.status(
        f"Done: {summary.rows_fetched:,} rows fetched, {summary.rows_new:,} new, "
        f"{summary.duplicates_dropped:,} duplicates dropped, {summary.days_covered} days, "
        f"{summary.duration_seconds:.1f}s"
    )
    emit(render_value(summary.to_dict(), OPTIONS.format))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
