"""``mp verify``: the loaded events against Mixpanel's own daily counts; exit 1 on a difference.

The first thing to run after a backfill. The database is read (read-only) and closed before any
request goes out, so a load waiting for the file is never held up by Mixpanel's answer. The
mismatches go to stdout (json: the whole report), the verdict and the skipped days to stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mixpanel_data.cli.live_common import OptionalFrom, OptionalTo, cli_credentials
from mixpanel_data.cli.output import emit, render_records, render_value
from mixpanel_data.cli.state import OPTIONS

if TYPE_CHECKING:
    from mixpanel_data.verify import VerifyResult

EventsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--events", help="Only these events, comma-separated (repeatable). Default: every event."
    ),
]
EventOpt = Annotated[
    list[str] | None,
    typer.Option("--event", help="One event name, exactly (repeatable; for names with a comma)."),
]
PipelineOpt = Annotated[
    str, typer.Option("--pipeline", help="The pipeline whose events to verify (default: events).")
]


def verify(
    from_date: OptionalFrom = None,
    to_date: OptionalTo = None,
    events: EventsOpt = None,
    event: EventOpt = None,
    pipeline: PipelineOpt = "events",
) -> None:
    """Compare local per-day, per-event counts with Mixpanel's; exit 1 when any differs.

    Only project-local days that are over and whose export days were all loaded are compared;
    the others are listed as skipped, with the reason. One Query request per 100 events.
    """
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.live import LazyClient, live_client
    from mixpanel_data.verify import compare
    from mixpanel_data.verify.report import read_local_database

    settings = OPTIONS.settings
    spec = get_pipeline(pipeline, settings.pipelines_file)
    names = [n for value in events or [] for n in value.split(",")] + list(event or [])
    local = read_local_database(
        spec, settings, from_date=from_date, to_date=to_date, events=names or None
    )
    account = OPTIONS.account or spec.options.get("account")
    with LazyClient(
        lambda: live_client(
            credentials=cli_credentials(account), settings=settings, on_wait=OPTIONS.waiting
        )
    ) as api:
        result = compare(local, api, settings)
    emit(render_result(result, OPTIONS.format))
    _report(result)
    raise typer.Exit(result.exit_code)


def render_result(result: VerifyResult, fmt: str) -> str:
    """json and table: the whole report; csv and jsonl: one row per mismatch."""
    if fmt in ("json", "table"):
        return render_value(result.to_dict(), fmt)
    return render_records(result.columns, result.records(), fmt)


def _report(result: VerifyResult) -> None:
    """The verdict, the skipped days and what to run next, on stderr."""
    for skipped in result.skipped:
        OPTIONS.status(f"skipped {skipped}")
    OPTIONS.status(result.summary())
    if result.reload_command:
        OPTIONS.status(f"Load the days that differ again: {result.reload_command}")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
