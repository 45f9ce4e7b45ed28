"""The local half of ``mp verify``: the pipeline's filters, its committed state, its counts.

All reads go through one read-only DuckDB connection: the rows of ``<dataset>.events`` and the
events resource's state dlt committed with them in ``<dataset>._dlt_pipeline_state``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from mixpanel_data.exceptions import ConfigError, InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    import duckdb

    from mixpanel_data.config.pipelines import PipelineSpec
    from mixpanel_data.sources.mixpanel.cursor import EventsState, EventsStateDict
    from mixpanel_data.sources.mixpanel.windows import Window
    from mixpanel_data.verify.days import DayPlan


def check_pipeline(spec: PipelineSpec) -> tuple[str, ...] | None:
    """The pipeline's ``events`` filter (None: every event); refuses what cannot be compared.

    ``where`` keeps only the rows an export expression matches; ``/events`` counts every row of
    an event, so the counts would differ for reasons that are not missing data.
    """
    from mixpanel_data.config.sources import source_setting

    if spec.destination != "duckdb":
        raise ConfigError(
            f"Pipeline {spec.name!r} loads into {spec.destination}: mp verify compares the local "
            "DuckDB database only."
        )
    if "events" not in spec.resources:
        raise ConfigError(f"Pipeline {spec.name!r} loads no events: verify one that does.")
    where = source_setting("where", spec.options)
    if where:
        raise ConfigError(
            f"Pipeline {spec.name!r} loads only events matching where {where!r}; Mixpanel's "
            "daily counts cannot apply that filter, so verify would report differences that "
            "are not missing data: verify a pipeline without `where`."
        )
    return _names(source_setting("events", spec.options))


def asked_events(
    events: Iterable[str] | None, loaded_filter: tuple[str, ...] | None, pipeline: str
) -> tuple[str, ...]:
    """The ``--events`` names (empty: all); each must be one the pipeline loads."""
    names = tuple(dict.fromkeys(n.strip() for n in events or () if n and n.strip()))
    if loaded_filter is not None:
        outside = [n for n in names if n not in loaded_filter]
        if outside:
            raise InvalidArgumentError(
                f"Pipeline {pipeline!r} loads only {', '.join(map(repr, loaded_filter))}: "
                f"{', '.join(map(repr, outside))} is never loaded, so there is nothing to compare."
            )
    return names


def configured_zone(spec: PipelineSpec) -> str | None:
    """``project_timezone`` as the runner reads it (pipeline options, then dlt's providers)."""
    from mixpanel_data.config.sources import source_setting

    value = source_setting("project_timezone", spec.options)
    return str(value) if value else None


def events_state(con: duckdb.DuckDBPyConnection, spec: PipelineSpec) -> EventsState:
    """The events resource's committed state; NotFoundError when nothing was loaded."""
    from mixpanel_data.local.connection import user_tables
    from mixpanel_data.local.loadinfo import latest_state
    from mixpanel_data.sources.mixpanel.cursor import EventsState

    if (spec.dataset, "events") not in user_tables(con):
        raise NotFoundError(
            f"No events table in dataset {spec.dataset!r} of the local database: load events "
            f"first with `mp run {spec.name} --from DATE --to DATE`."
        )
    state = latest_state(con, spec.dataset) or {}
    source = ((state.get("sources") or {}).get("mixpanel") or {}).get("resources") or {}
    raw = source.get("events")
    if not isinstance(raw, dict) or not raw.get("loaded"):
        raise NotFoundError(
            f"Dataset {spec.dataset!r} records no committed export day: load events with "
            f"`mp run {spec.name} --from DATE --to DATE`, then verify."
        )
    return EventsState.read(cast("EventsStateDict", raw))  # the layout dlt committed


def event_names(con: duckdb.DuckDBPyConnection, spec: PipelineSpec) -> frozenset[str]:
    """Every event name stored, on any day (a day deleted locally still has its names)."""
    from mixpanel_data.local.connection import quote

    table = quote(spec.dataset, "events")
    rows = con.execute(
        f"SELECT DISTINCT event_name FROM {table} WHERE event_name IS NOT NULL"
    ).fetchall()
    return frozenset(str(r[0]) for r in rows)


def day_counts(
    con: duckdb.DuckDBPyConnection, spec: PipelineSpec, days: tuple[date, ...], names: set[str]
) -> dict[tuple[date, str], int]:
    """Stored rows per (``event_date``, ``event_name``) on ``days``, for ``names`` only."""
    from mixpanel_data.local.connection import quote

    table = quote(spec.dataset, "events")
    rows = con.execute(
        f"SELECT event_date, event_name, count(*) FROM {table} "
        "WHERE event_date BETWEEN ? AND ? GROUP BY 1, 2",
        [days[0], days[-1]],
    ).fetchall()
    wanted = set(days)
    return {(d, str(e)): int(n) for d, e, n in rows if d in wanted and e in names}


def nothing_to_compare(
    loaded: list[Window], plan: DayPlan, first: date | None, last: date | None, pipeline: str
) -> str:
    """Why no day can be compared, and how to load one (one line)."""
    ranges = ", ".join(str(w) for w in loaded) or "none"
    why = "; ".join(str(s) for s in plan.skipped[:3]) + ("; ..." if len(plan.skipped) > 3 else "")
    span = f" between {first or 'the first'} and {last or 'the last loaded day'}"
    return (
        f"No project-local day{span} is both over and wholly loaded (skipped: {why}); loaded "
        f"export days: {ranges}. Load the days with `mp run {pipeline} --from DATE --to DATE`."
    )


def _names(value: Any) -> tuple[str, ...] | None:
    """The ``events`` option as names: a list, a JSON array or comma-separated text (``Any``:
    whatever pipelines.yaml or dlt config holds)."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = json.loads(text) if text.startswith("[") else None
        except ValueError:
            parsed = None
        value = parsed if isinstance(parsed, list) else text.split(",")
    names = tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    return names or None
