"""dlt sources for Mixpanel; every ``@dlt.source`` lives here (config section ``mixpanel``).

``mixpanel_source`` has two resources:

- ``events``: Raw Event Export API (``/api/2.0/export``; 60 requests/hour, 3/second, 100
  concurrent). Incremental on the export day, re-reading a lookback window for late data. One
  row per ``event_key`` (Mixpanel's dedupe 4-tuple), the latest copy by processing time, chosen
  per export window in extract; days never loaded are appended, stored days merged.
- ``profiles``: Engage API (``/api/query/engage``; Query limits, 60/hour, 5 concurrent). Merged
  on ``distinct_id``, incremental on ``$last_seen``.

Settings come from arguments, or dlt config (``SOURCES__MIXPANEL__LOOKBACK_DAYS=3``,
``[sources.mixpanel]`` in ``.dlt/config.toml``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import dlt
from dlt.sources import DltResource

from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.dates import parse_day
from mixpanel_data.config.resolve import resolve_credentials
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import ConfigError
from mixpanel_data.sources.mixpanel import settings
from mixpanel_data.sources.mixpanel.context import LoadRun
from mixpanel_data.sources.mixpanel.events_arrow import EventParser, promoted_columns
from mixpanel_data.sources.mixpanel.events_fetch import ExportRequest, FetchObserver, FetchStats
from mixpanel_data.sources.mixpanel.pii import pii_policy, protect
from mixpanel_data.sources.mixpanel.pii_keys import KeyProtection
from mixpanel_data.sources.mixpanel.pii_state import policy_fingerprint
from mixpanel_data.sources.mixpanel.profiles_fetch import part_pages
from mixpanel_data.sources.mixpanel.reports import (
    REPORT_SOURCES,
    mixpanel_funnels,
    mixpanel_insights,
    mixpanel_lists,
    mixpanel_retention,
    mixpanel_segmentation,
)
from mixpanel_data.sources.mixpanel.resources import (
    EVENT_COLUMNS,
    PROFILE_COLUMNS,
    EventsOptions,
    ProfilesOptions,
    SourceClient,
    events_resource,
    legacy_flag,
    profiles_resource,
)
from mixpanel_data.sources.mixpanel.timezones import LegacySwitch, zone

__all__ = [
    "EVENT_COLUMNS",
    "PROFILE_COLUMNS",
    "REPORT_SOURCES",
    "FetchStats",
    "LoadRun",
    "mixpanel_funnels",
    "mixpanel_insights",
    "mixpanel_lists",
    "mixpanel_retention",
    "mixpanel_segmentation",
    "mixpanel_source",
]


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
    project_timezone: str | None = None,
    legacy_timezone: str = "auto",
    start_date: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
    events: list[str] | None = None,
    where: str | None = None,
    promote: Any = None,
    window_days: int | None = None,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    batch_bytes: int = settings.DEFAULT_BATCH_BYTES,
    profiles_where: str | None = None,
    cohort_id: int | None = None,
    profile_page_size: int = settings.DEFAULT_PROFILE_PAGE_SIZE,
    profile_concurrency: int = settings.DEFAULT_PROFILE_CONCURRENCY,
    pii: dict[str, str | list[str]] | None = None,
    base_url: str | None = None,
    client: SourceClient | None = None,
    observer: FetchObserver | None = None,
    stats: FetchStats | None = None,
    config: Settings | None = None,
    run: LoadRun | None = None,
) -> Sequence[DltResource]:
    """Mixpanel events and profiles.

    ``from_date``/``to_date`` (inclusive) run a backfill that leaves the stored cursor alone once
    one exists; without them a run continues from the cursor (minus ``lookback_days``) to the
    last day Mixpanel can export (see ``cursor``). ``project_timezone``: the project's IANA zone
    (``mp run`` asks Mixpanel for it when unset); ``event_date`` is a day in it. Unknown, days
    are UTC days and "today" is held back to the earliest today on Earth. ``legacy_timezone``:
    ``auto`` decides from the data whether export ``time`` is project-local (projects created
    before 2023-01-01), ``true``/``false`` force it. ``pii``: ``{drop: [...], hash: [...],
    mask: [...]}`` property names, applied to every table before it is written (``pii.py``; the
    hash salt comes from secrets). ``config`` is the library's ``Settings`` (read from ``MP_*``
    when not given); ``run`` a ``LoadRun`` when the runner loads in chunks.
    """
    from mixpanel_data.api.factory import make_client

    conf = config or Settings.from_env(base_url=base_url)
    load = run or LoadRun(
        from_date=parse_day(from_date, "--from") if from_date else None,
        to_date=parse_day(to_date, "--to") if to_date else None,
        stats=stats or FetchStats(),
        observer=observer,
    )
    tz = zone(project_timezone) if project_timezone else None
    legacy = legacy_flag(legacy_timezone)
    if legacy and tz is None:
        raise ConfigError(
            "legacy_timezone is true, so export times are project-local, but project_timezone "
            "is unknown: set it (pipelines.yaml options or SOURCES__MIXPANEL__PROJECT_TIMEZONE)."
        )
    api: SourceClient = client or make_client(
        credentials or resolve_credentials(account=account, settings=conf),
        conf,
        on_wait=getattr(load.observer, "waiting", None),
    )
    promoted = promoted_columns(_promote(promote))
    policy = pii_policy(pii, promoted)
    keys = policy.keys if policy is not None else KeyProtection()  # event_key under the policy
    parser = EventParser(tz, LegacySwitch(legacy), promoted, keys)
    parser = protect(parser, policy)  # events tables get the policy in the parse threads
    family = policy_fingerprint(policy)
    request = ExportRequest(
        events=list(events) if events else None,
        where=where,
        batch_bytes=batch_bytes,
        spool_dir=conf.data_dir / "spool",
        max_window_bytes=settings.MAX_WINDOW_BYTES,
    )
    options = EventsOptions(
        start_date=parse_day(start_date, "start_date") if start_date else None,
        lookback_days=lookback_days,
        window_days=window_days,
        concurrency=concurrency,
        forced_legacy=legacy is not None,
    )
    resources = (
        events_resource(api, parser, request, options, load, conf.clock, family),
        profiles_resource(
            api,
            ProfilesOptions(
                profiles_where,
                cohort_id,
                profile_page_size,
                profile_concurrency,
                part_profiles=profile_page_size * part_pages(_query_per_hour(api, conf)),
            ),
            load,
            family,
        ),
    )
    if policy is not None:  # before dlt writes anything; events mostly in the parse threads
        for resource in resources:
            resource.add_map(policy.apply)
    return resources


def _query_per_hour(api: SourceClient, conf: Settings) -> int | None:
    """The hourly Query budget the client counts against (an injected client's own limits)."""
    limits = getattr(api, "limits", None) or conf.limits
    return limits.query_per_hour


def _promote(value: object) -> dict[str, str] | list[str] | None:
    """``promote`` as a mapping or a list: the parameter is typed ``Any`` because dlt resolves
    a union as its first member only (a JSON list in ``SOURCES__MIXPANEL__PROMOTE`` was
    refused), then checked here like every other setting."""
    from mixpanel_data.config.sources import check_option

    return check_option("promote", value, text=True)
