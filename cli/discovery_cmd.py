"""Discovery commands: what the project holds, straight from Mixpanel (nothing is loaded).

``funnels``, ``events``, ``properties``, ``values``, ``cohorts`` and ``annotations`` (and
``schemas``). The first five are Query API requests (60/hour, 5 concurrent per project);
annotations and Lexicon schemas use the App API and need a service account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from mixpanel_data.cli.live_common import (
    OptionalFrom,
    OptionalTo,
    emit_records,
    limit_option,
    live_api,
)


def funnels() -> None:
    """List saved funnels (id and name) for `mp funnel ID`."""
    from mixpanel_data.live import funnels_list

    with live_api() as api:
        result = funnels_list(api)
    emit_records(result.columns, result.records())


def events(
    top: Annotated[
        bool, typer.Option("--top", help="Today's top events with the change against yesterday.")
    ] = False,
    limit: Annotated[int | None, limit_option(255, "events (100 with --top)")] = None,
) -> None:
    """List the most common event names of the last 31 days, alphabetically (Mixpanel's order;
    --top ranks today's events by count)."""
    from mixpanel_data.live import event_names, top_events

    with live_api() as api:
        if top:
            ranked = top_events(api, limit=limit or 100)
            emit_records(ranked.columns, ranked.records())
            return
        names = event_names(api, limit=limit or 255)
    emit_records(names.columns, names.records())


def properties(
    event: Annotated[str, typer.Argument(help="Event name (see `mp events`).")],
    limit: Annotated[int, limit_option(10, "properties")] = 10,
) -> None:
    """List an event's most common properties over the last 31 days, with counts."""
    from mixpanel_data.live import event_properties

    with live_api() as api:
        result = event_properties(api, event, limit=limit)
    emit_records(result.columns, result.records())


def values(
    event: Annotated[str, typer.Argument(help="Event name (see `mp events`).")],
    prop: Annotated[str, typer.Argument(help="Property name (see `mp properties EVENT`).")],
    limit: Annotated[int, limit_option(255, "values")] = 255,
) -> None:
    """List the most common values of an event property over the last 31 days."""
    from mixpanel_data.live import property_values

    with live_api() as api:
        result = property_values(api, event, prop, limit=limit)
    emit_records(result.columns, result.records())


def cohorts(
    members: Annotated[
        str | None, typer.Option("--members", help="List this cohort's members instead.")
    ] = None,
) -> None:
    """List saved cohorts, or with --members ID the members of one (via engage)."""
    from mixpanel_data.live import cohort_members, cohorts_list

    with live_api() as api:
        if members is not None:
            people = cohort_members(api, members)
            emit_records(people.columns, people.records())
            return
        result = cohorts_list(api)
    emit_records(result.columns, result.records())


def list_annotations(from_date: OptionalFrom = None, to_date: OptionalTo = None) -> None:
    """List chart annotations (App API: needs a service account), oldest first."""
    from mixpanel_data.live import annotations_list

    with live_api() as api:
        result = annotations_list(api, from_date, to_date)
    emit_records(result.columns, result.records())


def schemas(
    entity_type: Annotated[
        str | None, typer.Option("--type", help="Only event or profile schemas.")
    ] = None,
) -> None:
    """List Lexicon schemas: one row per documented property (App API, service account)."""
    from mixpanel_data.live import schemas as run

    with live_api() as api:
        result = run(api, entity_type)
    emit_records(result.columns, result.records())


_COMMANDS: dict[str, Callable[..., None]] = {
    "funnels": funnels,
    "events": events,
    "properties": properties,
    "values": values,
    "cohorts": cohorts,
    "annotations": list_annotations,
    "schemas": schemas,
}


def register(app: typer.Typer) -> None:
    for name, command in _COMMANDS.items():
        app.command(name)(command)
