"""``mp schedule run|status``: run pipelines.yaml schedules in the foreground; their history."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from mixpanel_data.cli.output import emit, render_records
from mixpanel_data.cli.state import OPTIONS

STATUS_COLUMNS = (
    "pipeline",
    "cron",
    "timezone",
    "next_run",
    "last_success",
    "last_success_rows",
    "last_failure",
    "last_failure_message",
    "runs",
)
app = typer.Typer(help="Run pipelines on their pipelines.yaml schedules.", no_args_is_help=True)


@app.command("run")
def run(
    only: Annotated[
        list[str] | None, typer.Option("--pipeline", help="Only these pipelines (repeatable).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Catch up missed runs, then exit (for tests, cron).")
    ] = False,
) -> None:
    """Run each scheduled pipeline at its cron times until SIGTERM/SIGINT.

    Same code as `mp run`; one run per pipeline at a time (a lock shared across processes); a
    missed time is caught up once; on SIGTERM the load in progress finishes, then it exits.
    One log line per run start and finish goes to stderr.
    """
    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.exceptions import PipelineNotFoundError
    from mixpanel_data.schedule.scheduler import Scheduler

    specs = load_pipelines(OPTIONS.settings.pipelines_file)
    unknown = sorted(set(only or []) - set(specs))
    if unknown:
        raise PipelineNotFoundError(f"No pipeline named {unknown[0]!r}: see `mp pipelines`.")
    chosen = [s for s in specs.values() if s.schedule and (not only or s.name in only)]
    if not chosen:
        OPTIONS.status("No pipeline has a schedule: add `schedule: {cron: ...}` in pipelines.yaml")
        return
    logger = logging.getLogger("mixpanel_data.schedule")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        scheduler = Scheduler(chosen, OPTIONS.settings)
        OPTIONS.status(f"Scheduling {', '.join(s.name for s in chosen)} (Ctrl+C to stop)")
        scheduler.serve(once=once)
    finally:
        logger.removeHandler(handler)


@app.command("status")
def status() -> None:
    """Each scheduled pipeline: cron, next run, last success, last failure and its message."""
    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.local.history import status_of

    settings = OPTIONS.settings
    specs = load_pipelines(settings.pipelines_file).values()
    records = [status_of(settings.schedule_dir, s) for s in specs if s.schedule]
    emit(render_records(STATUS_COLUMNS, records, OPTIONS.format))


@app.command("export")
def export(
    target: Annotated[
        str, typer.Option("--target", help="crontab, systemd, github-actions or dagster.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
    venv: Annotated[
        Path | None,
        typer.Option("--venv", help="Schedule VENV/bin/mp instead of the mp running this."),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="Secrets file the crontab/systemd runs read (default OUT/mixpanel-data.env).",
        ),
    ] = None,
) -> None:
    """Write definitions that call `mp run NAME` on each pipeline's schedule.

    crontab and systemd run this mp (absolute path) in this directory with this MP_DATA_DIR
    and the other MP_* settings, and read secrets from an environment file that is created
    with only the variable names (never values). Prints the paths written.
    """
    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.schedule.export import export as write
    from mixpanel_data.schedule.runenv import ENV_FILENAME, RunContext, find_mp, settings_env

    settings = OPTIONS.settings
    specs = [s for s in load_pipelines(settings.pipelines_file).values() if s.schedule]
    global_args: tuple[str, ...] = ()
    if OPTIONS.account:
        global_args += ("--account", OPTIONS.account)
    if OPTIONS.project:
        global_args += ("--project", OPTIONS.project)
    local = target in ("crontab", "systemd")
    context = RunContext(
        mp=find_mp(venv, sys.argv[0], sys.executable) if local else Path("mp"),
        workdir=Path.cwd(),
        env=settings_env(settings) if local else {},
        env_file=(env_file or out / ENV_FILENAME).absolute() if local else None,
        global_args=global_args,
    )
    written, notes = write(target, specs, out, context, settings)
    for path in written:
        emit(str(path))
    for note in notes:
        OPTIONS.status(note)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="schedule")
