"""``mp pipelines``: the named pipelines (built-ins and pipelines.yaml) and what they load."""

from __future__ import annotations

import typer

from mixpanel_data.cli.output import emit, render_rows
from mixpanel_data.cli.state import OPTIONS

COLUMNS = (
    "name",
    "source",
    "resources",
    "destination",
    "dataset",
    "schedule",
    "timezone",
    "next_run",
    "dlt_pipeline",
    "dlt_info",
)


def pipelines() -> None:
    """List pipelines with their source, tables, destination, dataset, schedule and next run.

    Report pipelines (source mixpanel_funnels, _segmentation, ...) are listed with the tables
    they write. The next run is in UTC.
    """
    from datetime import UTC

    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.local.loadinfo import dlt_info_command

    now = OPTIONS.settings.clock.now().astimezone(UTC)
    rows = [
        (
            s.name,
            s.source,
            ",".join(s.resources),
            s.destination,
            s.dataset,
            s.schedule.cron if s.schedule else None,
            s.schedule.timezone if s.schedule else None,
            s.schedule.next_run(now).isoformat() if s.schedule else None,
            s.dlt_name,
            dlt_info_command(OPTIONS.settings.pipelines_dir, s.dlt_name),
        )
        for s in load_pipelines(OPTIONS.settings.pipelines_file).values()
    ]
    emit(render_rows(COLUMNS, rows, OPTIONS.format))


#: Commands that read pipelines.yaml for what they do: a mistyped ``MP_PIPELINES`` fails them.
READERS = frozenset({"run", "pipelines", "schedule", "verify"})


def check_named_file(command: str | None) -> None:
    """Refuse (exit 3) a file ``MP_PIPELINES`` names that is not there, before ``command``
    quietly runs with the built-in pipelines only. Read here, at the CLI's edge."""
    import os

    from mixpanel_data.config.pipelines import named_file_error

    if command not in READERS or not os.environ.get("MP_PIPELINES", "").strip():
        return
    error = named_file_error(OPTIONS.settings.pipelines_file)
    if error is not None:
        raise error


def register(app: typer.Typer) -> None:
    app.command("pipelines")(pipelines)
