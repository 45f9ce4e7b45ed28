"""The ``events`` and ``profiles`` dlt resources behind ``mixpanel_source``.

Each keeps its own state in the resource state dlt commits with the rows (``cursor``,
``profiles_fetch.ProfilesState``), updated as windows or parts finish, so a load stopped by
Mixpanel's budget commits what it fetched and the next run continues where it stopped. That
state also names the PII policy the table was loaded under (``pii_state``): a run under another
one refuses before its first request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol, cast

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from mixpanel_data.config.clock import Clock
from mixpanel_data.exceptions import ConfigError, RateLimitError
from mixpanel_data.sources.mixpanel import settings
from mixpanel_data.sources.mixpanel.context import LoadRun
from mixpanel_data.sources.mixpanel.cursor import EventsState, Progress, plan_run
from mixpanel_data.sources.mixpanel.daysums import known_days
from mixpanel_data.sources.mixpanel.events_arrow import EventParser
from mixpanel_data.sources.mixpanel.events_fetch import (
    ExportClient,
    ExportRequest,
    Fingerprints,
    fetch_tables,
    release_arrow_memory,
)
from mixpanel_data.sources.mixpanel.pii_state import check_family, remember_family
from mixpanel_data.sources.mixpanel.profiles_fetch import (
    EngageClient,
    ProfilesState,
    fetch_profile_parts,
)
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner, last_export_day

if TYPE_CHECKING:
    from dlt.common.data_types.typing import TDataType
    from dlt.common.schema.typing import (
        TMergeDispositionDict,
        TTableSchemaColumns,
        TWriteDispositionConfig,
    )

    from mixpanel_data.sources.mixpanel.cursor import EventsStateDict
    from mixpanel_data.sources.mixpanel.profiles_fetch import ProfilesStateDict

EVENT_COLUMNS: TTableSchemaColumns = {
    "event_key": {"data_type": "text", "nullable": False},
    "event_name": {"data_type": "text"},
    "event_time": {"data_type": "timestamp", "timezone": True},
    "event_date": {"data_type": "date"},
    "export_date": {"data_type": "date", "nullable": False},
    "distinct_id": {"data_type": "text"},
    "insert_id": {"data_type": "text"},
    # Mixpanel's queries show the latest ingested copy of a duplicate (a re-send may change
    # other properties): docs.mixpanel.com/troubleshooting/errors/duplicate-events. That copy
    # is chosen in extract, per window (``window_dedupe``); dlt's ``dedup_sort`` is not used.
    "mp_processing_time_ms": {"data_type": "bigint"},
    "properties": {"data_type": "json"},
}
PROFILE_COLUMNS: TTableSchemaColumns = {
    "distinct_id": {"data_type": "text", "nullable": False},
    "last_seen": {"data_type": "timestamp", "timezone": False},
    "properties": {"data_type": "json"},
}
_MERGE: TMergeDispositionDict = {"disposition": "merge", "strategy": "delete-insert"}
_EVENTS_MERGE: TWriteDispositionConfig = {
    "disposition": "merge",
    "strategy": "delete-insert",
    "deduplicated": True,
}
"""Events: each window is deduplicated in extract (``window_dedupe``), so dlt's ROW_NUMBER pass
over the staging table would have nothing to drop. A destination may swap the strategy
(``destinations.adapt_source``); a load of days the table never held appends instead
(``_APPEND``, set per load)."""
_APPEND: TWriteDispositionConfig = "append"
"""A load of export days the table never held: its rows, unique per window, go straight in (no
staging copy, no merge)."""
_DLT_TYPES: dict[str, TDataType] = {
    "text": "text",
    "bigint": "bigint",
    "double": "double",
    "bool": "bool",
    "timestamp": "timestamp",
}


class SourceClient(ExportClient, EngageClient, Protocol):
    """What ``mixpanel_source`` needs of its client (``MixpanelClient``, or a stand-in):
    export windows and engage pages. ``limits`` and ``reserve`` are used when it has them."""


@dataclass(frozen=True)
class EventsOptions:
    """The events settings that shape a run (the rest travel in the parser and request)."""

    start_date: date | None
    lookback_days: int
    window_days: int | None
    concurrency: int
    forced_legacy: bool


@dataclass(frozen=True)
class ProfilesOptions:
    where: str | None
    cohort_id: int | None
    page_size: int
    concurrency: int
    part_profiles: int
    """Profiles per engage listing: ``page_size`` times ``profiles_fetch.part_pages``."""


def legacy_flag(value: str | bool | None) -> bool | None:
    """``legacy_timezone`` as True, False or None (auto); a one-line error for anything else.

    dlt resolves the setting as text (``SOURCES__MIXPANEL__LEGACY_TIMEZONE=false``); YAML
    gives a bool. Both are read here.
    """
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("auto", ""):
        return None
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"legacy_timezone {value!r} is not auto, true or false: pick one.")


def events_resource(
    api: ExportClient,
    parser: EventParser,
    request: ExportRequest,
    options: EventsOptions,
    run: LoadRun,
    clock: Clock,
    pii_family: str | None = None,
) -> DltResource:
    """The ``events`` resource: export windows of this run's plan, one chunk per load.

    ``pii_family``: the PII policy's fingerprint (``pii_state``), None without a policy.
    """
    columns = dict(EVENT_COLUMNS)
    for item in parser.promote:
        columns[item.column] = {"data_type": _DLT_TYPES[item.type]}

    @dlt.resource(
        name="events", primary_key="event_key", write_disposition=_EVENTS_MERGE, columns=columns
    )
    def events() -> Iterator[pa.Table]:
        live = dlt.current.resource_state()
        check_family("events", live, pii_family)
        remember_family(live, pii_family)
        raw = cast("EventsStateDict", live)
        state = EventsState.read(raw)
        switch = parser.legacy
        if not options.forced_legacy and switch.value is None and state.export_times:
            switch.value = bool(state.export_times.get("legacy"))
            switch.evidence = state.export_times.get("evidence")
        if run.plan is None:
            last = last_export_day(clock.now(), parser.project_tz, switch.value)
            run.plan = plan_run(
                state,
                from_date=run.from_date,
                to_date=run.to_date,
                start_date=options.start_date,
                lookback_days=options.lookback_days,
                last_day=last,
            )
            run.planner = WindowPlanner(
                run.plan.todo,
                window_days=options.window_days,
                target_bytes=settings.TARGET_WINDOW_BYTES,
                stored=state.stored_days(),
            )
            notify = getattr(run.observer, "days_planned", None)
            if notify is not None and run.plan.days:
                notify(run.plan.start, run.plan.end)
        assert run.planner is not None
        state.zone = parser.project_tz.key if parser.project_tz else "UTC"
        progress = Progress(state, run.plan, run.to_date, run.done)
        fresh = run.planner.chunk(run.chunk_bytes)

        def done(window: Window, fingerprints: Fingerprints) -> None:
            progress.done(window)
            state.fingerprints.update(fingerprints)
            _record_export_times(state, parser, options)
            state.write(raw)

        # An incremental run re-reads the lookback: days whose content did not change since
        # they were loaded are not loaded again. An explicit --from/--to always rewrites.
        stored = dict(state.fingerprints) if run.plan.mode == "incremental" else {}
        tables = fetch_tables(
            api,
            parser,
            run.planner,
            request,
            concurrency=options.concurrency,
            stats=run.stats,
            observer=run.observer,
            on_done=done,
            known=(lambda window: known_days(window, stored)) if stored else None,
        )
        for i, table in enumerate(tables):
            # A load of fresh days appends: the first table carries the hint, which stays on
            # the resource for the rest of the load (each chunk is a load of a new source).
            if fresh and i == 0:
                table = dlt.mark.with_hints(table, dlt.mark.make_hints(write_disposition=_APPEND))
            yield table
        finished = run.planner.exhausted and run.stats.stopped is None
        if finished:
            progress.finish()
        run.events_more = not finished and run.stats.stopped is None
        _record_export_times(state, parser, options)
        state.write(raw)
        release_arrow_memory()  # before dlt's load, where DuckDB's buffer pool comes on top

    return events


def _record_export_times(state: EventsState, parser: EventParser, options: EventsOptions) -> None:
    """Keep how export ``time`` was read, and why, for later runs and ``mp info``."""
    switch = parser.legacy
    if switch.value is None:
        return
    how = "setting" if options.forced_legacy else "detected"
    evidence = switch.evidence or "legacy_timezone setting"
    state.export_times = {"legacy": switch.value, "decided": how, "evidence": evidence}


def profiles_resource(
    api: EngageClient, options: ProfilesOptions, run: LoadRun, pii_family: str | None = None
) -> DltResource:
    """The ``profiles`` resource: engage parts from the stored ``$last_seen`` cursor on."""

    @dlt.resource(
        name="profiles",
        primary_key="distinct_id",
        write_disposition=_MERGE,
        columns=PROFILE_COLUMNS,
    )
    def profiles() -> Iterator[pa.Table]:
        live = dlt.current.resource_state()
        check_family("profiles", live, pii_family)
        remember_family(live, pii_family)
        raw = cast("ProfilesStateDict", live)
        state = ProfilesState.read(raw)
        run.profiles_more = False
        parts = fetch_profile_parts(
            api,
            state,
            where=options.where,
            cohort_id=options.cohort_id,
            page_size=options.page_size,
            concurrency=options.concurrency,
            part_profiles=options.part_profiles,
            stop_after=run.chunk_profiles,
            on_part_done=lambda moved: moved.write(raw),
        )
        try:
            for table in parts:
                run.stats.add_profiles(table.num_rows)
                yield table
        except RateLimitError as exc:  # commit what came in; the next run resumes at the part
            run.stats.stop(exc)
            state.write(raw)
            return
        run.profiles_more = not state.finished
        state.write(raw)

    return profiles
