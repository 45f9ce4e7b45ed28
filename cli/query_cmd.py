"""Live report commands: ``segmentation``, ``funnel``, ``retention``, ``insights``, ``jql``.

Each asks Mixpanel's Query API directly (nothing is loaded) and prints the report as rows.
Every command is one request out of the project's 60/hour (5 concurrent) Query budget; a 429 is
retried with backoff and exit code 5 says how long to wait when retries run out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from mixpanel_data.cli.live_common import (
    TZ_NOTE,
    FromOpt,
    OnOpt,
    ToOpt,
    WhereOpt,
    emit_records,
    limit_option,
    live_api,
)
from mixpanel_data.cli.state import OPTIONS

if TYPE_CHECKING:
    from mixpanel_data.live import QueryClient

NAMES_CHECKED = 10_000
"""Event names asked for when checking a name (the most ``/events/names`` returns)."""


def segmentation(
    event: Annotated[str, typer.Option("--event", "-e", help="The event to count.")],
    from_date: FromOpt,
    to_date: ToOpt,
    on: OnOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="minute, hour, day, week or month.")] = "day",
    where: WhereOpt = None,
    type: Annotated[
        str, typer.Option("--type", help="general (events), unique (users) or average.")
    ] = "general",
    limit: Annotated[int | None, limit_option(60, "segments (with --on)")] = None,
) -> None:
    """Count an event per day/week/month, optionally broken down with --on.

    One row per date and segment (the event name when not broken down). An event name
    Mixpanel does not know counts zero: when every count is zero and the name is not among
    the project's events of the last 31 days, a warning on stderr says so (exit 0).
    """
    from mixpanel_data.live import segmentation as run

    with live_api() as api:
        result = run(
            api, event, from_date, to_date, on=on, unit=unit, where=where, type=type, limit=limit
        )
        records = result.records()
        if not any(r.get("value") for r in records):
            _warn_unseen(api, event)
    emit_records(result.columns, records)


def _warn_unseen(api: QueryClient, event: str) -> None:
    """A warning when ``event`` is not one of the project's event names (a typo counts zero).

    One more Query request (``/events/names``: the last 31 days), made only for an all-zero
    answer; if it fails, the answer stands without the warning."""
    import difflib

    from mixpanel_data.exceptions import MixpanelDataError
    from mixpanel_data.live import event_names

    try:
        names = event_names(api, limit=NAMES_CHECKED).names
    except MixpanelDataError:
        return
    if event in names:
        return
    close = difflib.get_close_matches(event, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    OPTIONS.status(
        f"warning: no event named {event!r} was seen in this project in the last 31 days "
        f"(Mixpanel's event names): {hint}check the name with `mp events`."
    )


def funnel(
    funnel_id: Annotated[str, typer.Argument(help="Saved funnel id (see `mp funnels`).")],
    from_date: FromOpt,
    to_date: ToOpt,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Bucket by day, week or month (with --by-date).")
    ] = None,
    on: OnOpt = None,
    where: WhereOpt = None,
    by_date: Annotated[
        bool, typer.Option("--by-date", help="One row per bucket, segment and step.")
    ] = False,
) -> None:
    """A saved funnel: each step's users and step/overall conversion.

    By default one row per step over the whole range (per segment with --on). Conversions are
    searched past --to, so recent days still change.
    """
    from mixpanel_data.live import funnel as run

    with live_api() as api:
        result = run(api, funnel_id, from_date, to_date, unit=unit, on=on, where=where)
    if by_date:
        emit_records(result.columns, result.records())
        return
    records = result.summary_records()
    columns = [c for c in result.columns if c != "date" and (on or c != "segment")]
    emit_records(columns, records)


def retention(
    from_date: FromOpt,
    to_date: ToOpt,
    born: Annotated[
        str | None, typer.Option("--born", help="The event that puts a user in a cohort.")
    ] = None,
    return_event: Annotated[
        str | None, typer.Option("--return", help="The event counted as a return (any if unset).")
    ] = None,
    unit: Annotated[str, typer.Option("--unit", help="day, week or month.")] = "day",
    interval_count: Annotated[
        int, typer.Option("--interval-count", help="Periods after the 0th one.")
    ] = 1,
    retention_type: Annotated[
        str, typer.Option("--type", help="birth (first time, needs --born) or compounded.")
    ] = "birth",
    where: WhereOpt = None,
) -> None:
    """Retention cohorts: one row per cohort and period with users and rate."""
    from mixpanel_data.live import retention as run

    with live_api() as api:
        result = run(
            api,
            born,
            return_event,
            from_date,
            to_date,
            unit=unit,
            interval_count=interval_count,
            retention_type=retention_type,
            where=where,
        )
    emit_records(result.columns, result.records())


def insights(
    bookmark_id: Annotated[str, typer.Argument(help="The saved report's bookmark id.")],
) -> None:
    """A saved Insights report, with its own saved date range and breakdowns."""
    from mixpanel_data.live import insights as run

    with live_api() as api:
        result = run(api, bookmark_id)
    emit_records(result.table_columns(), result.records())


def jql(
    file: Annotated[str, typer.Argument(help="A .js file with the JQL script, or - for stdin.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-P", help="name=value, available as params.name (repeatable)."),
    ] = None,
) -> None:
    """Run a JQL script (maintenance mode: Mixpanel keeps JQL running but adds nothing to it).

    Values that read as JSON (5, true, [1,2]) are passed typed, anything else as text.
    """
    from mixpanel_data.live.jql import jql as run
    from mixpanel_data.live.jql import parse_jql_params, read_script

    params = parse_jql_params(param or [])
    script = read_script(file)
    with live_api() as api:
        result = run(api, script, params)
    emit_records(result.table_columns(), result.records())


_COMMANDS: dict[str, Callable[..., None]] = {
    "segmentation": segmentation,
    "funnel": funnel,
    "retention": retention,
    "insights": insights,
    "jql": jql,
}


def register(app: typer.Typer) -> None:
    for name, command in _COMMANDS.items():
        paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
        doc = "\n\n".join(" ".join(p.split()) for p in paragraphs)  # one line per paragraph
        app.command(name, help=f"{doc}\n\n{TZ_NOTE}" if name != "insights" else doc)(command)
