"""Run a named pipeline with dlt: the one code path behind ``mp run``, the scheduler and Workspace.

A run checks what it was asked (dates, options, credentials) and asks Mixpanel for the
project's time zone before anything is loaded or dropped; then it loads in chunks, one dlt load
each (``sources.mixpanel.context.LoadRun``), so a long backfill or a big profile set is
committed piece by piece and a kill loses at most the chunk in flight. ``--full-refresh`` uses
dlt's own ``refresh="drop_resources"``: the old tables are dropped only in the load step of the
first chunk, once its data was fetched, so a refresh that fails before that leaves them alone.

When Mixpanel's budget runs out beyond the allowed wait (``--max-wait``), the run commits what
it fetched and raises ``BudgetStopped`` (exit 5) saying when to run again; the next run
continues where this one stopped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mixpanel_data.config.settings import Settings
from mixpanel_data.destinations.pipeline import (
    count_rows,
    dlt_pipeline,
    finish_pending,
    prune_loaded,
    table_counts,
)
from mixpanel_data.exceptions import InvalidArgumentError, RateLimitError, library_error
from mixpanel_data.pipelines import PipelineSpec

logger = logging.getLogger("mixpanel_data.runner")


@dataclass(frozen=True)
class RunSummary:
    """What one run did, as the CLI prints it."""

    pipeline: str
    resources: tuple[str, ...]
    rows_fetched: int
    rows_new: int
    duplicates_dropped: int
    days_covered: int
    date_range: tuple[str, str] | None
    duration_seconds: float
    table_rows: dict[str, int] = field(default_factory=dict)
    events_fetched: int = 0
    profiles_fetched: int = 0
    chunks: int = 0
    timezone: str | None = None
    timezone_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "resources": list(self.resources),
            "rows_fetched": self.rows_fetched,
            "events_fetched": self.events_fetched,
            "profiles_fetched": self.profiles_fetched,
            "rows_new": self.rows_new,
            "duplicates_dropped": self.duplicates_dropped,
            "days_covered": self.days_covered,
            "date_range": list(self.date_range) if self.date_range else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "table_rows": self.table_rows,
            "chunks": self.chunks,
            "timezone": self.timezone,
            "timezone_source": self.timezone_source,
        }


class BudgetStopped(RateLimitError):
    """Mixpanel's budget ran out beyond the allowed wait; what was fetched is committed."""

    def __init__(self, message: str, retry_after: float | None, summary: RunSummary) -> None:
        super().__init__(message, retry_after)
        self.summary = summary


def run_pipeline(
    spec: PipelineSpec,
    settings: Settings | None = None,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    full_refresh: bool = False,
    observer: Any = None,
    source_overrides: dict[str, Any] | None = None,
    max_wait: float | None = None,
) -> RunSummary:
    """Extract, normalize and load ``spec``'s resources; returns the run summary.

    ``max_wait`` caps one wait for Mixpanel's budget (seconds; 0 never waits), overriding the
    settings' ``MP_MAX_WAIT``.
    """
    from dlt.pipeline.exceptions import PipelineStepFailed

    from mixpanel_data.api.factory import make_client
    from mixpanel_data.config.sources import check_dlt_settings, source_setting
    from mixpanel_data.destinations import adapt_source
    from mixpanel_data.project_info import describe_project
    from mixpanel_data.resolve import resolve_credentials
    from mixpanel_data.sources.mixpanel import FetchStats, LoadRun, mixpanel_source
    from mixpanel_data.sources.mixpanel.windows import parse_day

    started = time.monotonic()
    settings = settings or Settings.from_env()
    if max_wait is not None:
        if max_wait < 0:
            raise InvalidArgumentError(f"--max-wait {max_wait} is negative: use 0 or more seconds.")
        settings = settings.with_(max_wait=max_wait)
    settings = settings.for_loads()
    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    if first and last and last < first:
        raise InvalidArgumentError(f"--from {first} is after --to {last}: swap them.")
    if (first or last) and "events" not in spec.resources:
        raise InvalidArgumentError(
            f"Pipeline {spec.name!r} loads {', '.join(spec.resources)}: --from/--to choose export "
            "days of events; profiles load incrementally on $last_seen. Drop --from/--to."
        )
    options = {**spec.options, **(source_overrides or {})}
    check_dlt_settings(options)  # dlt config values, before any request (pipelines.yaml's: read)
    if options.get("base_url"):
        settings = settings.with_(base_url=options["base_url"])
    options.pop("base_url", None)
    client = options.pop("client", None)  # an injected client brings its own credentials
    credentials = options.pop("credentials", None)
    account = options.pop("account", None) or source_setting("account")
    if client is None:
        credentials = credentials or resolve_credentials(account=account, settings=settings)
        client = make_client(credentials, settings, on_wait=getattr(observer, "waiting", None))
    configured_zone = options.pop("project_timezone", None) or source_setting("project_timezone")
    project = describe_project(client, configured_zone)
    if project.note:
        logger.warning(project.note)
        _notice(observer, project.note)
    pipeline = finish_pending(dlt_pipeline(spec, settings), spec, settings)
    _remove_old_spool(settings)
    embedded = spec.destination == "duckdb"
    before = table_counts(pipeline, spec.resources)
    if full_refresh:  # the tables are replaced: every row in them afterwards is new
        before = dict.fromkeys(spec.resources, 0)
    if not full_refresh and "events" in spec.resources and before.get("events"):
        _keep_event_dates(pipeline, spec, project.timezone)
    run = LoadRun(
        from_date=first,
        to_date=last,
        chunk_bytes=settings.load_chunk_bytes,
        chunk_profiles=settings.load_chunk_profiles,
        stats=FetchStats(),
        observer=observer,
    )
    resources = list(spec.resources)
    try:
        while resources:
            source = mixpanel_source(
                **options,
                project_timezone=project.timezone,
                client=client,
                config=settings,
                run=run,
            ).with_resources(*resources)
            source = adapt_source(source, spec.destination)
            refresh = full_refresh and run.chunks == 0
            if embedded and not refresh:
                _create_json_tables(pipeline, source, settings)
            try:
                info = pipeline.run(
                    source,
                    refresh="drop_resources" if refresh else None,
                    table_format=spec.table_format,
                )
            except PipelineStepFailed as exc:  # the one-line library error dlt wrapped
                inner = library_error(exc)
                if inner is exc:
                    raise
                raise inner from exc
            prune_loaded(pipeline, info)
            if embedded and refresh:
                _rebuild_json_tables(pipeline, source, settings)
            run.chunks += 1
            if not run.more:
                break
            resources = [r for r in resources if getattr(run, f"{r}_more")]
    finally:
        close = getattr(client, "close", None)
        if close is not None and "client" not in (source_overrides or {}):
            close()
    summary = _summary(spec, pipeline, run, before, started, project)
    stopped = run.stats.stopped
    if stopped is not None:
        raise BudgetStopped(_stop_message(stopped, summary, settings), stopped.retry_after, summary)
    return summary


def _summary(
    spec: PipelineSpec,
    pipeline: Any,
    run: Any,
    before: dict[str, int],
    started: float,
    project: Any,
) -> RunSummary:
    stats = run.stats
    after = table_counts(pipeline, spec.resources)
    windows = sorted(stats.windows)
    in_range = _rows_in_range(pipeline, windows) if "events" in spec.resources else None
    return RunSummary(
        pipeline=spec.name,
        resources=tuple(spec.resources),
        rows_fetched=stats.rows_fetched + stats.profiles_fetched,
        rows_new=sum(after.values()) - sum(before.values()),
        duplicates_dropped=max(0, stats.rows_fetched - in_range) if in_range is not None else 0,
        days_covered=sum(w.days for w in windows),
        date_range=(str(windows[0].start), str(windows[-1].end)) if windows else None,
        duration_seconds=time.monotonic() - started,
        table_rows=after,
        events_fetched=stats.rows_fetched,
        profiles_fetched=stats.profiles_fetched,
        chunks=run.chunks,
        timezone=project.timezone,
        timezone_source=project.timezone_source,
    )


def _rows_in_range(pipeline: Any, windows: list[Any]) -> int | None:
    """Events stored for the export days this run read (after dedupe)."""
    if not windows:
        return None
    first, last = min(w.start for w in windows), max(w.end for w in windows)
    return count_rows(pipeline, "events", "export_date BETWEEN %s AND %s", first, last)


def _stop_message(error: RateLimitError, summary: RunSummary, settings: Settings) -> str:
    """One line: what was committed, and when to run again to continue."""
    from mixpanel_data.api.limiter import duration_text

    done = []
    if "events" in summary.resources:
        span = f" ({summary.date_range[0]}..{summary.date_range[1]})" if summary.date_range else ""
        done.append(f"{summary.days_covered} export days{span}")
    if "profiles" in summary.resources:
        done.append(f"{summary.profiles_fetched:,} profiles")
    wait = error.retry_after
    when = ""
    if wait is not None:
        at = settings.clock.now() + timedelta(seconds=wait)
        when = f" after {at:%Y-%m-%d %H:%M} UTC (in {duration_text(wait)})"
    return (
        f"Stopped: {error.message.split(':')[0]}. Committed {' and '.join(done)}; run again"
        f"{when} and it continues from there (or allow waiting with --max-wait)."
    )


def _notice(observer: Any, message: str) -> None:
    hook = getattr(observer, "notice", None)
    if hook is not None:
        hook(message)


def _remove_old_spool(settings: Settings) -> None:
    """Spool files of versions that named them (a kill left them behind): raw events, gone."""
    spool = settings.data_dir / "spool"
    if spool.is_dir():
        for path in spool.glob("mixpanel-export-*"):
            path.unlink(missing_ok=True)


def _create_json_tables(pipeline: Any, source: Any, settings: Settings) -> None:
    from mixpanel_data.destinations.duckdb_tables import create_json_tables

    create_json_tables(pipeline, source, settings.duckdb_compression)


def _rebuild_json_tables(pipeline: Any, source: Any, settings: Settings) -> None:
    """After dlt's refresh re-created the tables its own way, give ``properties`` its codec."""
    from mixpanel_data.destinations.duckdb_tables import rebuild_json_tables

    rebuild_json_tables(pipeline, source, settings.duckdb_compression)


def _keep_event_dates(pipeline: Any, spec: PipelineSpec, zone: str | None) -> None:
    """Re-derive stored ``event_date`` when the zone it was computed in changed (or is unknown).

    ``event_date`` is ``event_time``'s day in the project's zone. Rows loaded while the zone
    was unknown (or by a version that defaulted to UTC) hold UTC days; once Mixpanel or a
    setting names the zone, every row is brought to it, so old and new days agree.
    """
    from mixpanel_data.destinations.dates import recompute_event_dates, stored_zone

    wanted = zone or "UTC"
    if stored_zone(pipeline) == wanted:
        return
    recompute_event_dates(pipeline, spec, wanted)
