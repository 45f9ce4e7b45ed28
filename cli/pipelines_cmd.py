"""``mp pipelines``: the named pipelines (built-ins and pipelines.yaml) and what they load."""

from __future__ import annotations

import typer

from mixpanel_data.cli.output import emit, render_rows
from mixpanel_data.cli.state import OPTIONS

COLUMNS = ("name", "resources", "destination", "dataset", "schedule", "timezone", "next_run")


def pipelines() -> None:
    """List pipelines with their resources, destination, dataset, schedule and next run (UTC)."""
    from datetime import UTC

    from mixpanel_data.config.pipelines import load_pipelines

    now = OPTIONS.settings.clock.now().astimezone(UTC)
    rows = [
        (
            s.name,
            ",".join(s.resources),
            s.destination,
            s.dataset,
            s.schedule.cron if s.schedule else None,
            s.schedule.timezone if s.schedule else None,
            s.schedule.next_run(now).isoformat() if s.schedule else None,
        )
        for s in load_pipelines(OPTIONS.settings.pipelines_file).values()
    ]
    emit(render_rows(COLUMNS, rows, OPTIONS.format))


def register(app: typer.Typer) -> None:
    app.command("pipelines")(pipelines)
