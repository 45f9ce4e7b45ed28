"""dlt sources for Mixpanel; every ``@dlt.source`` lives here (config section ``mixpanel``).

``mixpanel_source`` has two resources:

- ``events``: Raw Event Export API (``/api/2.0/export``; 60 requests/hour, 3/second, 100
  concurrent). Incremental on the export day, re-reading a lookback window for late data, merged
  on ``event_key`` (Mixpanel's dedupe 4-tuple) keeping the first copy by processing time.
- ``profiles``: Engage API (``/api/query/engage``; Query limits, 60/hour, 5 concurrent). Merged
  on ``distinct_id``, incremental on ``$last_seen``.

Settings come from arguments, or dlt config (``SOURCES__MIXPANEL__LOOKBACK_DAYS=3``,
``[sources.mixpanel]`` in ``.dlt/config.toml``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource
from mixpanel_data.sources.mixpanel import settings
from mixpanel_data.sources.mixpanel.events_arrow import EventParser, promoted_columns
from mixpanel_data.sources.mixpanel.events_fetch import (
    ExportRequest,
    FetchObserver,
    FetchStats,
    fetch_tables,
)
from mixpanel_data.sources.mixpanel.pii import pii_policy, protect
from mixpanel_data.sources.mixpanel.profiles_fetch import engage_where, fetch_profile_tables
from mixpanel_data.sources.mixpanel.reports import (
    REPORT_SOURCES,
    mixpanel_funnels,
    mixpanel_insights,
    mixpanel_lists,
    mixpanel_retention,
    mixpanel_segmentation,
)
from mixpanel_data.sources.mixpanel.timezones import LegacySwitch, zone
from mixpanel_data.sources.mixpanel.windows import WindowPlanner, export_today, parse_day

from mixpanel_data.credentials import Credentials
from mixpanel_data.exceptions import ConfigError

__all__ = [
    "EVENT_COLUMNS",
    "PROFILE_COLUMNS",
    "REPORT_SOURCES",
    "FetchStats",
    "mixpanel_funnels",
    "mixpanel_insights",
    "mixpanel_lists",
    "mixpanel_retention",
    "mixpanel_segmentation",
    "mixpanel_source",
]

EVENT_COLUMNS: dict[str, Any] = {
    "event_key": {"data_type": "text", "nullable": False},
    "event_name": {"data_type": "text"},
    "event_time": {"data_type": "timestamp", "timezone": True},
    "event_date": {"data_type": "date"},
    "export_date": {"data_type": "date", "nullable": False},
    "distinct_id": {"data_type": "text"},
    "insert_id": {"data_type": "text"},
    "mp_processing_time_ms": {"data_type": "bigint", "dedup_sort": "asc"},
    "properties": {"data_type": "json"},
}
PROFILE_COLUMNS: dict[str, Any] = {
    "distinct_id": {"data_type": "text", "nullable": False},
    "last_seen": {"data_type": "timestamp", "timezone": False},
    "properties": {"data_type": "json"},
}
_MERGE: Any = {"disposition": "merge", "strategy": "delete-insert"}


class _KnownHintNotice(logging.Filter):
    """Hide dlt's notice that our ``json`` hint overrides Arrow's ``text``: that is the design.

    dlt has no Arrow JSON type, so ``properties`` travels as text and the hint makes the column
    JSON in the destination.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "several column hints were different" not in record.getMessage()


logging.getLogger("dlt").addFilter(_KnownHintNotice())


@dlt.source(name="mixpanel", section="mixpanel", max_table_nesting=0)
def mixpanel_source(
    credentials: Credentials | None = None,
    account: str | None = None,
    project_timezone: str = "UTC",
    legacy_timezone: str | bool = "auto",
    start_date: str | None = None,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    events: Sequence[str] | None = None,
    where: str | None = None,
    promote: dict[str, str] | list[str] | None = None,
    window_days: int | None = None,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    batch_bytes: int = settings.DEFAULT_BATCH_BYTES,
    profiles_where: str | None = None,
    cohort_id: int | None = None,
    profile_page_size: int = settings.DEFAULT_PROFILE_PAGE_SIZE,
    profile_concurrency: int = settings.DEFAULT_PROFILE_CONCURRENCY,
    pii: dict[str, Any] | None = None,
    base_url: str | None = None,
    client: Any = None,
    observer: FetchObserver | None = None,
    stats: FetchStats | None = None,
) -> Sequence[DltResource]:
    """Mixpanel events and profiles.

    ``from_date``/``to_date`` (inclusive) run a backfill that leaves the stored cursor alone once
    one exists; without them a run continues from the cursor (minus ``lookback_days``) to today.
    ``legacy_timezone``: ``auto`` decides from the data whether export ``time`` is project-local
    (projects created before 2023-01-01), ``true``/``false`` force it.
    ``pii``: ``{drop: [...], hash: [...], mask: [...]}`` property names, applied to every table
    before it is written (see ``pii.py``; the hash salt comes from secrets).
    """
    api = client or _client(credentials, account, base_url)
    tz = zone(project_timezone)
    legacy = _legacy_flag(legacy_timezone)
    parser = EventParser(tz, LegacySwitch(legacy), promoted_columns(promote))
    policy = pii_policy(pii, parser.promote)
    parser = protect(parser, policy)  # events tables get the policy in the parse threads
    request = ExportRequest(
        events=list(events) if events else None,
        where=where,
        batch_bytes=batch_bytes,
    )
    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    if first and last and last < first:
        raise ConfigError(f"--from {first} is after --to {last}: swap them.")
    default_start = (
        parse_day(start_date, "start_date")
        if start_date
        else export_today(tz) - timedelta(days=settings.DEFAULT_START_DAYS_AGO)
    )
    backfill = first is not None and _cursor_exists()
    cursor = dlt.sources.incremental(
        "export_date",
        initial_value=first or default_start,
        end_value=(last or _today(tz, legacy)) if backfill else None,
        lag=float(lookback_days) if lookback_days else None,
        range_end="closed",
        primary_key=(),
    )
    resources = (
        _events_resource(api, parser, request, last, window_days, concurrency, observer, stats)(
            export_date=cursor
        ),
        _profiles_resource(
            api, profiles_where, cohort_id, profile_page_size, profile_concurrency, stats
        ),
    )
    if policy is not None:  # before dlt writes anything; events mostly in the parse threads
        for resource in resources:
            resource.add_map(policy.apply)
    return resources


def _events_resource(
    api: Any,
    parser: EventParser,
    request: ExportRequest,
    last: date | None,
    window_days: int | None,
    concurrency: int,
    observer: FetchObserver | None,
    stats: FetchStats | None,
) -> DltResource:
    columns = dict(EVENT_COLUMNS)
    for item in parser.promote:
        columns[item.column] = {"data_type": _DLT_TYPES[item.type]}

    @dlt.resource(name="events", primary_key="event_key", write_disposition=_MERGE, columns=columns)
    def events(
        export_date: dlt.sources.incremental[date] = dlt.sources.incremental("export_date"),
    ) -> Any:
        state = dlt.current.resource_state()
        if parser.legacy.value is None and "legacy_time" in state:
            parser.legacy.value = bool(state["legacy_time"])
        start = parse_day(export_date.start_value, "start")
        end = last or _today(parser.project_tz, parser.legacy.value)
        if start > end:
            return
        planner = WindowPlanner(
            start,
            end,
            window_days=window_days,
            max_windows=settings.MAX_WINDOWS_PER_RUN,
            target_bytes=settings.TARGET_WINDOW_BYTES,
        )
        for table in fetch_tables(
            api, parser, planner, request, concurrency=concurrency, stats=stats, observer=observer
        ):
            if parser.legacy.value is not None:
                state["legacy_time"] = parser.legacy.value
            yield table

    return events


def _profiles_resource(
    api: Any,
    where: str | None,
    cohort_id: int | None,
    page_size: int,
    concurrency: int,
    stats: FetchStats | None,
) -> DltResource:
    @dlt.resource(
        name="profiles",
        primary_key="distinct_id",
        write_disposition=_MERGE,
        columns=PROFILE_COLUMNS,
    )
    def profiles(
        last_seen: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "last_seen", primary_key=(), on_cursor_value_missing="include"
        ),
    ) -> Any:
        since = last_seen.start_value if last_seen.last_value is not None else None
        for table in fetch_profile_tables(
            api,
            where=engage_where(where, since),
            cohort_id=cohort_id,
            page_size=page_size,
            concurrency=concurrency,
        ):
            if stats is not None:
                stats.add(table.num_rows)
            yield table

    return profiles


_DLT_TYPES = {
    "text": "text",
    "bigint": "bigint",
    "double": "double",
    "bool": "bool",
    "timestamp": "timestamp",
}


def _client(credentials: Credentials | None, account: str | None, base_url: str | None) -> Any:
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.resolve import resolve_credentials

    creds = credentials or resolve_credentials(account=account)
    return MixpanelClient(creds, base_url=base_url)


def _legacy_flag(value: str | bool | None) -> bool | None:
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


def _today(tz: Any, legacy: bool | None) -> date:
    """The last day export accepts: today in the project zone (and in UTC for UTC exports)."""
    project_today = export_today(tz)
    return project_today if legacy else min(project_today, export_today(None))


def _cursor_exists() -> bool:
    """True when a previous run stored the events cursor (then --from/--to is a backfill)."""
    try:
        state = dlt.current.source_state()
    except Exception:
        return False
    resources = state.get("resources", {})
    stored = resources.get("events", {}).get("incremental", {}).get("export_date", {})
    return stored.get("last_value") is not None
