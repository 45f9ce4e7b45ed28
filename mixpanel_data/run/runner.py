"""Run a named pipeline with dlt: the one code path behind ``mp run``, the scheduler and Workspace.

A run refuses what it cannot do before any request or file (``check_run_request``: bad or
reversed dates, a day past every possible "today", ``--from/--to`` without events, dlt settings
it cannot read; ``check_pii_family``: a PII policy or salt other than its tables'); then it
asks Mixpanel for the project's time zone (the first authenticated request), checks the dates
against that today, and loads in chunks, one dlt load each (``sources.mixpanel.context.LoadRun``),
so a long backfill or a big profile set is committed piece by piece and a kill loses at most the
chunk in flight.

``--full-refresh`` is dlt's ``refresh="drop_resources"``, which dlt applies in two steps. The
extract step resets the resources' state and drops their tables from the schema, in memory, and
writes the tables to drop into the load package; a failed extract rolls state and schema back
(dlt's ``managed_state`` and schema sync) and its package is never committed, so it leaves
nothing half applied. The tables themselves are dropped in the load step
(``Load.initialize_package``), right before that package's rows go in. Loaded in chunks, the
first chunk would drop the old tables and a later failure (or a budget stop, which commits what
was fetched) would leave only that chunk. So a refresh is one load, run step by step: fetched
completely first, and aborted (``abort_packages``: package deleted, state and schema rewound)
when it stops short; until then the old tables stay as they were.

When Mixpanel's budget runs out beyond the allowed wait (``--max-wait``), the run commits what
it fetched and raises ``BudgetStopped`` (exit 5) saying when to run again; the next run
continues where this one stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.destinations.pipeline import (
    count_rows,
    dlt_pipeline,
    finish_pending,
    prune_loaded,
    remove_leftovers,
    table_counts,
)
from mixpanel_data.exceptions import InvalidArgumentError, RateLimitError
from mixpanel_data.run.checks import check_against_today, check_pii_family, check_run_request
from mixpanel_data.run.summary import RunRequest as _Request
from mixpanel_data.run.summary import RunSummary
from mixpanel_data.run.summary import dlt_step as _step

if TYPE_CHECKING:
    from dlt.common.pipeline import LoadInfo
    from dlt.extract import DltSource
    from dlt.pipeline.pipeline import Pipeline

    from mixpanel_data.run.project import ProjectInfo
    from mixpanel_data.sources.mixpanel import LoadRun
    from mixpanel_data.sources.mixpanel.events_fetch import FetchObserver
    from mixpanel_data.sources.mixpanel.resources import SourceClient
    from mixpanel_data.sources.mixpanel.windows import Window

_T = TypeVar("_T")
logger = logging.getLogger("mixpanel_data.run.runner")


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
    observer: FetchObserver | None = None,
    source_overrides: dict[str, Any] | None = None,
    max_wait: float | None = None,
) -> RunSummary:
    """Extract, normalize and load ``spec``'s resources; returns the run summary.

    ``max_wait`` caps one wait for Mixpanel's budget (seconds; 0 never waits), overriding the
    settings' ``MP_MAX_WAIT``. ``observer`` hears of progress (any of its hooks may be
    missing). ``source_overrides`` are ``mixpanel_source`` arguments of any kind (options,
    ``credentials``, an injected ``client``), hence ``Any``.
    """
    from mixpanel_data.api.factory import make_client
    from mixpanel_data.config.resolve import resolve_credentials
    from mixpanel_data.config.sources import source_setting

    started = time.monotonic()
    settings = _run_settings(settings, max_wait)
    options = {**spec.options, **(source_overrides or {})}
    first, last = check_run_request(spec, settings, from_date, to_date, options)
    check_pii_family(spec, settings, options, full_refresh)
    if spec.is_report:
        from mixpanel_data.run.reports import run_report

        asked = _Request(first, last, full_refresh, observer, started)
        return run_report(spec, settings, options, asked)
    if options.get("base_url"):
        settings = settings.with_(base_url=options["base_url"])
    options.pop("base_url", None)
    client: SourceClient | None = options.pop("client", None)  # brings its own credentials
    owned = client is None
    credentials = options.pop("credentials", None)
    account = options.pop("account", None) or source_setting("account")
    if client is None:
        credentials = credentials or resolve_credentials(account=account, settings=settings)
        client = make_client(credentials, settings, on_wait=getattr(observer, "waiting", None))
    try:
        asked = _Request(first, last, full_refresh, observer, started)
        return _run(spec, settings, options, client, asked)
    finally:
        close = getattr(client, "close", None)
        if owned and close is not None:
            close()


def _run_settings(settings: Settings | None, max_wait: float | None) -> Settings:
    settings = settings or Settings.from_env()
    if max_wait is not None:
        if max_wait < 0:
            raise InvalidArgumentError(f"--max-wait {max_wait} is negative: use 0 or more seconds.")
        settings = settings.with_(max_wait=max_wait)
    return settings.for_loads()


def _run(
    spec: PipelineSpec,
    settings: Settings,
    options: dict[str, Any],
    client: SourceClient,
    asked: _Request,
) -> RunSummary:
    """Ask Mixpanel for the zone, check the dates against its today, then load."""
    from mixpanel_data.config.sources import source_setting
    from mixpanel_data.run.project import describe_project
    from mixpanel_data.sources.mixpanel import FetchStats, LoadRun

    configured_zone = options.pop("project_timezone", None) or source_setting("project_timezone")
    project = describe_project(client, configured_zone)
    if project.note:
        logger.warning(project.note)
        _notice(asked.observer, project.note)
    check_against_today(asked.first, asked.last, settings.clock.now(), project.timezone)
    pipeline = finish_pending(dlt_pipeline(spec, settings), spec, settings)
    _remove_old_spool(settings)
    refresh = asked.full_refresh
    # a refresh replaces the tables: every row in them afterwards is new
    before: dict[str, int] = (
        dict.fromkeys(spec.resources, 0) if refresh else table_counts(pipeline, spec.resources)
    )
    if not refresh and "events" in spec.resources and before.get("events"):
        _keep_event_dates(pipeline, spec, project.timezone)
    run = LoadRun(
        from_date=asked.first,
        to_date=asked.last,
        chunk_bytes=None if refresh else settings.load_chunk_bytes,  # a refresh is one load
        chunk_profiles=None if refresh else settings.profiles_per_load,
        stats=FetchStats(),
        observer=asked.observer,
    )
    source_for = _source_factory(spec, settings, options, client, run, project.timezone)
    try:
        _load_chunks(pipeline, spec, settings, run, refresh, source_for)
    except BaseException:
        remove_leftovers(pipeline)  # what the failed extract wrote: no fetched row stays behind
        raise
    # Everything loaded: anything still in dlt's scratch folders is left over (seen once in CI,
    # a ``load/new`` folder after a rerun that followed a SIGKILL during normalize).
    remove_leftovers(pipeline)
    summary = _summary(spec, pipeline, run, before, asked.started, project)
    stopped = run.stats.stopped
    if stopped is not None:
        if refresh:  # aborted before loading: nothing changed
            summary = dataclasses.replace(summary, rows_new=0)
        message = _stop_message(stopped, summary, settings, refresh=refresh)
        raise BudgetStopped(message, stopped.retry_after, summary)
    return summary


def _source_factory(
    spec: PipelineSpec,
    settings: Settings,
    options: dict[str, Any],
    client: SourceClient,
    run: LoadRun,
    zone: str | None,
) -> Callable[[Sequence[str]], DltSource]:
    """Builds each chunk's source: the same ``LoadRun`` and client, some of the resources."""
    from mixpanel_data.destinations import adapt_source
    from mixpanel_data.sources.mixpanel import mixpanel_source

    def source_for(resources: Sequence[str]) -> DltSource:
        source = mixpanel_source(
            **options, project_timezone=zone, client=client, config=settings, run=run
        ).with_resources(*resources)
        return adapt_source(source, spec.destination, spool_dir=settings.data_dir / "spool")

    return source_for


def _load_chunks(
    pipeline: Pipeline,
    spec: PipelineSpec,
    settings: Settings,
    run: LoadRun,
    full_refresh: bool,
    source_for: Callable[[Sequence[str]], DltSource],
) -> None:
    """One dlt load per chunk while the run has more to load (a refresh is one: ``_refresh``)."""
    embedded = spec.destination == "duckdb"
    resources = list(spec.resources)
    while resources:
        source = source_for(resources)
        refresh = full_refresh and run.chunks == 0
        if refresh:
            info = _refresh(pipeline, source, spec, run, settings)
        else:
            if embedded:
                _create_json_tables(pipeline, source, settings)
            info = _step(pipeline.run, source, table_format=spec.table_format)
        prune_loaded(pipeline, info)
        run.chunks += 1
        if not run.more:
            break
        resources = [r for r in resources if getattr(run, f"{r}_more")]


def _refresh(
    pipeline: Pipeline, source: DltSource, spec: PipelineSpec, run: LoadRun, settings: Settings
) -> LoadInfo | None:
    """The whole refresh as one package, fetched completely before dlt drops the old tables.

    Returns the load info, or None when a budget stop cut the fetch short: then the package is
    aborted (deleted, local state and schema rewound to before the refresh) and nothing loads.
    A failure while normalizing aborts it too; once the load step starts, a failure leaves the
    package for the next run to finish (dlt may have dropped the tables already). The embedded
    database stays locked from the drop to the re-created tables' codec, so no reader sees the
    tables missing (``local.dblock``).
    """
    pipeline.sync_destination()  # as pipeline.run does first: the tables the destination holds
    _step(pipeline.extract, source, refresh="drop_resources", table_format=spec.table_format)
    try:
        if run.stats.stopped is not None:
            pipeline.abort_packages()
            return None
        _step(pipeline.normalize)
    except BaseException:
        pipeline.abort_packages()
        raise
    if spec.destination != "duckdb":
        return _step(pipeline.load)
    from mixpanel_data.destinations.duckdb_tables import drop_bare_staging
    from mixpanel_data.local import dblock

    with dblock.holding(settings.database_path, write=True, notify=logger.warning):
        drop_bare_staging(pipeline)
        info = _step(pipeline.load)
        if info is not None:
            _rebuild_json_tables(pipeline, source, settings)
    return info


def _summary(
    spec: PipelineSpec,
    pipeline: Pipeline,
    run: LoadRun,
    before: dict[str, int],
    started: float,
    project: ProjectInfo,
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


def _rows_in_range(pipeline: Pipeline, windows: list[Window]) -> int | None:
    """Events stored for the export days this run read (after dedupe)."""
    if not windows:
        return None
    first, last = min(w.start for w in windows), max(w.end for w in windows)
    return count_rows(pipeline, "events", "export_date BETWEEN %s AND %s", first, last)


def _stop_message(
    error: RateLimitError, summary: RunSummary, settings: Settings, *, refresh: bool = False
) -> str:
    """One line: what was committed (nothing, for a refresh), and when to run again."""
    from mixpanel_data.api.limiter import duration_text

    wait = error.retry_after
    when = ""
    if wait is not None:
        at = settings.clock.now() + timedelta(seconds=wait)
        when = f" after {at:%Y-%m-%d %H:%M} UTC (in {duration_text(wait)})"
    reason = error.message.split(":")[0]
    if refresh:
        return (
            f"Stopped: {reason}. The full refresh was not applied and the tables are as they "
            f"were; run it again{when}, or allow waiting with --max-wait."
        )
    done = []
    if "events" in summary.resources:
        span = f" ({summary.date_range[0]}..{summary.date_range[1]})" if summary.date_range else ""
        done.append(f"{summary.days_covered} export days{span}")
    if "profiles" in summary.resources:
        done.append(f"{summary.profiles_fetched:,} profiles")
    return (
        f"Stopped: {reason}. Committed {' and '.join(done)}; run again"
        f"{when} and it continues from there (or allow waiting with --max-wait)."
    )


def _notice(observer: FetchObserver | None, message: str) -> None:
    hook = getattr(observer, "notice", None)
    if hook is not None:
        hook(message)


def _remove_old_spool(settings: Settings) -> None:
    """What a killed run left in the spool: export files of versions that named them, and the
    lake dedupe's folders (``destinations.lake_dedupe``): raw events, gone."""
    spool = settings.data_dir / "spool"
    if spool.is_dir():
        for path in spool.glob("mixpanel-export-*"):
            path.unlink(missing_ok=True)
        for folder in spool.glob("mp-lake-dedupe-*"):
            shutil.rmtree(folder, ignore_errors=True)


def _create_json_tables(pipeline: Pipeline, source: DltSource, settings: Settings) -> None:
    from mixpanel_data.destinations.duckdb_tables import create_json_tables

    create_json_tables(pipeline, source, settings.duckdb_compression)


def _rebuild_json_tables(pipeline: Pipeline, source: DltSource, settings: Settings) -> None:
    """After dlt's refresh re-created the tables its own way, give ``properties`` its codec."""
    from mixpanel_data.destinations.duckdb_tables import rebuild_json_tables

    rebuild_json_tables(pipeline, source, settings.duckdb_compression)


def _keep_event_dates(pipeline: Pipeline, spec: PipelineSpec, zone: str | None) -> None:
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
