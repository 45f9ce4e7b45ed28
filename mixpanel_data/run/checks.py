"""What a run is refused before it sends a request or touches a file.

``mp run`` calls ``check_run_request`` before it prints a line or takes the pipeline's lock, and
``runner.run_pipeline`` calls it again for every other caller (Workspace, the scheduler), so a
bad date is one line (exit 3) and nothing else. Days are checked against the latest "today" the
project can have: today in the configured ``project_timezone``, else today at UTC+14, where
"today" begins first; once Mixpanel named the zone, ``check_against_today`` checks exactly.
``check_pii_family`` refuses a load under another PII policy or salt than its tables hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError

MAX_ZONE_AHEAD = timedelta(hours=14)
"""The furthest any zone's "today" runs ahead of UTC (UTC+14): a later day is future everywhere."""


def check_run_request(
    spec: PipelineSpec,
    settings: Settings,
    from_date: str | date | None,
    to_date: str | date | None,
    options: Mapping[str, object],
) -> tuple[date | None, date | None]:
    """The run's ``--from``/``--to`` days, or a one-line error before any request or file.

    Refuses a bad or reversed date, ``--from/--to`` for a pipeline without events, dlt settings
    that do not parse, and a day after the latest "today" the project can have: today in the
    configured ``project_timezone``, else today at UTC+14 (the exact check follows once Mixpanel
    named the zone).
    """
    from mixpanel_data.config.dates import parse_day
    from mixpanel_data.config.sources import check_dlt_settings, source_setting

    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    if first and last and last < first:
        raise InvalidArgumentError(f"--from {first} is after --to {last}: swap them.")
    family = spec.family
    if (first or last) and family is not None and not family.dated:
        raise InvalidArgumentError(
            f"Pipeline {spec.name!r} loads {spec.source}, which has no date range to choose "
            "(saved reports carry their own, lists are read whole): drop --from/--to."
        )
    if (first or last) and family is None and "events" not in spec.resources:
        raise InvalidArgumentError(
            f"Pipeline {spec.name!r} loads {', '.join(spec.resources)}: --from/--to choose export "
            "days of events; profiles load incrementally on $last_seen. Drop --from/--to."
        )
    from mixpanel_data.destinations.extras import check_extras

    check_extras(spec)  # a destination's driver (deltalake, psycopg2), before any request
    with _readable_dlt_settings():
        check_dlt_settings(options)  # dlt config values, before any request
        zone = options.get("project_timezone") or source_setting("project_timezone")
    latest, what = _latest_today(settings.clock.now(), zone)
    for flag, day in (("--from", first), ("--to", last)):
        if day is not None and day > latest:
            raise InvalidArgumentError(
                f"{flag} {day} is in the future: {what} is {latest}. Use a day no later than "
                "today in the project's time zone."
            )
    return first, last


def _latest_today(now: datetime, zone: object) -> tuple[date, str]:
    """The latest day that can be "today" for the project now, and what that day is."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if zone:
        try:
            return now.astimezone(ZoneInfo(str(zone))).date(), f"today in {zone}"
        except (ZoneInfoNotFoundError, ValueError):
            pass  # the source refuses the zone itself, with the setting's name
    ahead = now.astimezone(UTC) + MAX_ZONE_AHEAD
    return ahead.date(), "the latest today anywhere (UTC+14)"


def check_against_today(
    first: date | None, last: date | None, now: datetime, zone: str | None
) -> None:
    """Once the zone is known: no day after today there, before a file is touched.

    (A project exporting UTC days may end a day earlier; the events resource checks that
    exactly, still before its first export request.)
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from mixpanel_data.sources.mixpanel.cursor import check_request
    from mixpanel_data.sources.mixpanel.windows import last_export_day

    if not zone:
        return
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return  # the source refuses the zone itself, with the setting's name
    check_request(first, last, last_export_day(now, tz, legacy=True))


def check_pii_family(
    spec: PipelineSpec, settings: Settings, options: Mapping[str, object], full_refresh: bool
) -> None:
    """Refuse, before any request, a load whose PII policy or salt differs from the one its
    tables were loaded under (``sources.mixpanel.pii_state``); ``--full-refresh`` reloads them.

    Reads the pipeline's local dlt state; when dlt keeps it only at the destination (a new
    machine), the resources check again once dlt restored it, still before an export request.
    """
    from mixpanel_data.config.sources import source_setting
    from mixpanel_data.sources.mixpanel.pii import pii_policy
    from mixpanel_data.sources.mixpanel.pii_state import (
        check_family,
        pipeline_families,
        policy_fingerprint,
    )

    checked = [r for r in spec.resources if r in ("events", "profiles")]
    if full_refresh or spec.is_report or not checked:
        return
    with _readable_dlt_settings():
        fingerprint = policy_fingerprint(pii_policy(source_setting("pii", options)))
    families = pipeline_families(_local_state(spec, settings))
    for resource in checked:
        command = f"mp run {spec.name} --full-refresh"
        check_family(resource, families.get(resource), fingerprint, command)


def _local_state(spec: PipelineSpec, settings: Settings) -> Mapping[str, Any]:
    """The pipeline's dlt state as kept on this machine, without creating anything."""
    import dlt
    from dlt.common.exceptions import MissingDependencyException
    from dlt.pipeline.exceptions import CannotRestorePipelineException

    if not (settings.pipelines_dir / spec.dlt_name).is_dir():
        return {}
    try:
        pipeline = dlt.attach(spec.dlt_name, pipelines_dir=str(settings.pipelines_dir))
    except (CannotRestorePipelineException, MissingDependencyException):
        return {}
    return pipeline.state


@contextmanager
def _readable_dlt_settings() -> Iterator[None]:
    """dlt failing to read its own files (a TOML syntax error) as a one-line ``ConfigError``."""
    from dlt.common.configuration.exceptions import ConfigProviderException

    from mixpanel_data.config.resolve import dlt_settings_error

    try:
        yield
    except ConfigProviderException as exc:
        raise dlt_settings_error(exc) from None
