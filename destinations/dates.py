"""Keep stored ``event_date`` in the project's zone when that zone becomes known or changes.

``event_date`` is a pure function of ``event_time`` (true UTC) and the zone, so it can be
re-derived in place: ``CAST(event_time AT TIME ZONE 'zone' AS DATE)`` means the same in DuckDB
and PostgreSQL. Elsewhere (Delta tables, other warehouses) the run refuses with the fix. On a
legacy project (export times in the project's zone) the zone also decided ``event_time``
itself, which cannot be redone from stored rows: a full refresh is the only honest repair.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.exceptions import ConfigError

if TYPE_CHECKING:
    from dlt.common.pipeline import TPipelineState
    from dlt.pipeline.pipeline import Pipeline

    from mixpanel_data.sources.mixpanel.cursor import EventsStateDict

logger = logging.getLogger("mixpanel_data.destinations")
_SQL_IN_PLACE = ("duckdb", "motherduck", "postgres")


def events_state(pipeline: Pipeline) -> EventsStateDict:
    """The events resource's committed state (restored from the destination if need be)."""
    state = _events(pipeline.state)
    if state is None:
        pipeline.sync_destination()
        state = _events(pipeline.state)
    return state or {}


def _events(state: TPipelineState) -> EventsStateDict | None:
    found = ((state or {}).get("sources") or {}).get("mixpanel") or {}
    events = (found.get("resources") or {}).get("events")
    return cast("EventsStateDict", events) if isinstance(events, dict) else None


def stored_zone(pipeline: Pipeline) -> str | None:
    """The zone stored ``event_date`` values are in (None: written by an earlier version)."""
    zone = events_state(pipeline).get("zone")
    return str(zone) if zone else None


def recompute_event_dates(pipeline: Pipeline, spec: PipelineSpec, zone: str) -> None:
    """Bring every stored ``event_date`` to ``zone``, or refuse with the fix."""
    state = events_state(pipeline)
    was = state.get("zone")
    legacy = bool((state.get("export_times") or {}).get("legacy") or state.get("legacy_time"))
    refresh = f"`mp run {spec.name} --full-refresh`"
    if legacy and was is None:
        return  # an earlier version converted legacy times only with project_timezone set
    if legacy:
        raise ConfigError(
            f"The project's time zone is now {zone}, but the stored events of this legacy "
            f"project were converted from {was or 'another zone'}: reload them with {refresh}."
        )
    if spec.destination not in _SQL_IN_PLACE:
        raise ConfigError(
            f"Stored event_date values are {was or 'UTC'} days, the project's zone is {zone}: "
            f"{spec.destination} tables cannot be corrected in place; reload with {refresh}."
        )
    quoted = zone.replace("'", "''")
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name("events")
        client.execute_sql(
            f"UPDATE {table} SET event_date = CAST(event_time AT TIME ZONE '{quoted}' AS DATE)"
        )
    logger.info("event_date re-derived in %s (was %s)", zone, was or "unknown")
