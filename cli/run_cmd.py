"""``mp run NAME``: run a named pipeline (built-ins ``events`` and ``profiles``)."""

from __future__ import annotations

from typing import Annotated

import typer

from mixpanel_data.cli.output import emit, render_value
from mixpanel_data.cli.state import OPTIONS


def run(
    name: Annotated[
        str,
        typer.Argument(help="Pipeline name from pipelines.yaml (events, profiles or a report)."),
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
    max_wait: Annotated[
        float | None,
        typer.Option(
            "--max-wait",
            help="Longest single wait for Mixpanel's hourly budget, in seconds (0: never wait; "
            "default MP_MAX_WAIT or about an hour). Past it the run commits what it fetched "
            "and exits 5; the next run continues.",
            min=0,
        ),
    ] = None,
) -> None:
    """Load a pipeline: incremental from the stored cursor, or a --from/--to backfill.

    Export days are UTC days for projects created after 2023-01-01 and project-local days for
    older ones. A backfill never moves the stored cursor once one exists. A report pipeline
    (source mixpanel_funnels, _segmentation, _retention) takes --from/--to as project days.
    """
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.exceptions import MixpanelDataError
    from mixpanel_data.run.checks import check_run_request
    from mixpanel_data.run.progress import WindowProgress
    from mixpanel_data.run.runner import run_pipeline
    from mixpanel_data.schedule.lock import run_lock

    settings = OPTIONS.settings
    spec = get_pipeline(name, settings.pipelines_file)
    # refused before a line is printed, a request sent or a folder made (the runner checks again)
    first, last = check_run_request(spec, settings, from_date, to_date, spec.options)
    overrides: dict[str, object] = {}
    if OPTIONS.account or OPTIONS.project or OPTIONS.workspace:
        from mixpanel_data.cli.live_common import cli_credentials

        # the pipeline's own `account` option unless --account names another
        overrides["credentials"] = cli_credentials(OPTIONS.account or spec.options.get("account"))
    what = f"{spec.source}: " if spec.is_report else ""
    OPTIONS.status(
        f"Running pipeline {name!r} ({what}{', '.join(spec.resources)} -> {spec.destination})"
    )
    progress = WindowProgress(OPTIONS.show_progress, OPTIONS.stderr, status=OPTIONS.status)
    with run_lock(settings.schedule_dir, spec) as held, progress:
        if not held:
            raise MixpanelDataError(
                f"Pipeline {name!r} is already running (a scheduler or another `mp run`): "
                "wait for it to finish, then run again."
            )
        summary = run_pipeline(
            spec,
            settings,
            from_date=first,
            to_date=last,
            full_refresh=full_refresh,
            max_wait=max_wait,
            observer=progress,
            source_overrides=overrides,
        )
    parts = []
    if spec.is_report:
        tables = ", ".join(f"{spec.dataset}.{t}" for t in summary.resources)
        parts.append(f"{summary.rows_fetched:,} report rows fetched into {tables}")
    elif "events" in summary.resources:
        parts.append(
            f"{summary.events_fetched:,} events fetched, {summary.duplicates_dropped:,} duplicates "
            f"dropped, {summary.days_covered} days"
        )
    if "profiles" in summary.resources and not spec.is_report:
        parts.append(f"{summary.profiles_fetched:,} profiles fetched")
    OPTIONS.status(
        f"Done: {'; '.join(parts)}; {summary.rows_new:,} new rows, "
        f"{summary.duration_seconds:.1f}s (time zone {summary.timezone or 'unknown'})"
    )
    emit(render_value(summary.to_dict(), OPTIONS.format))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
