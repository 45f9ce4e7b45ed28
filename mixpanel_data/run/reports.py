"""Run a report pipeline (``source: mixpanel_funnels`` ... in pipelines.yaml) with dlt.

The same entry as the events pipelines (``runner.run_pipeline`` hands a report spec here), so
``mp run NAME``, the scheduler and Workspace run report pipelines alike. The report source
(``sources.mixpanel.reports``) is given the pipeline's options, one client built from the
run's settings (the load budget: it waits up to an hour for Mixpanel's hourly Query budget, or
``--max-wait``), the project's time zone (the setting, else Mixpanel's ``/me``, as for events)
and ``--from/--to`` as a backfill. Its date window keeps its state in the pipeline's own dlt
pipeline (``PipelineSpec.dlt_name``), so each scheduled run re-reads ``lookback_days`` before
the previous run's last day up to today. A run is one dlt load: a failure or a budget stop
commits nothing, and the next run asks again.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings

if TYPE_CHECKING:
    from dlt.extract import DltSource

    from mixpanel_data.run.summary import RunRequest, RunSummary

logger = logging.getLogger("mixpanel_data.run.reports")

#: Connection options the runner turns into its client (the source takes the client instead).
_CONNECTION = ("account", "base_url", "credentials", "client")


def run_report(
    spec: PipelineSpec, settings: Settings, options: dict[str, Any], asked: RunRequest
) -> RunSummary:
    """Load ``spec``'s report source into its destination; the run summary."""
    from mixpanel_data.api.factory import make_client
    from mixpanel_data.config.resolve import resolve_credentials
    from mixpanel_data.config.sources import source_setting

    options = dict(options)
    if options.get("base_url"):
        settings = settings.with_(base_url=options["base_url"])
    client = options.pop("client", None)
    owned = client is None
    if client is None:
        credentials = options.pop("credentials", None) or resolve_credentials(
            account=options.get("account") or source_setting("account"), settings=settings
        )
        client = make_client(
            credentials, settings, on_wait=getattr(asked.observer, "waiting", None)
        )
    for key in _CONNECTION:
        options.pop(key, None)
    try:
        return _load(spec, settings, options, client, asked)
    finally:
        close = getattr(client, "close", None)
        if owned and close is not None:
            close()


def _load(
    spec: PipelineSpec, settings: Settings, options: dict[str, Any], client: Any, asked: RunRequest
) -> RunSummary:
    from mixpanel_data.destinations.pipeline import (
        dlt_pipeline,
        finish_pending,
        prune_loaded,
        remove_leftovers,
        table_counts,
    )
    from mixpanel_data.run.summary import dlt_step

    zone, source_of_zone = _zone(spec, options, client, asked)
    source = _source(spec, options, client, zone, asked)
    pipeline = finish_pending(dlt_pipeline(spec, settings), spec, settings)
    tables = list(spec.resources)
    before = dict.fromkeys(tables, 0) if asked.full_refresh else table_counts(pipeline, tables)
    refresh = "drop_resources" if asked.full_refresh else None
    try:
        info = dlt_step(pipeline.run, source, refresh=refresh, table_format=spec.table_format)
    except BaseException:
        remove_leftovers(pipeline)
        raise
    fetched = _rows_normalized(pipeline, tables)
    prune_loaded(pipeline, info)
    after = table_counts(pipeline, tables)
    return _summary(spec, asked, before, after, fetched, zone, source_of_zone)


def _zone(
    spec: PipelineSpec, options: dict[str, Any], client: Any, asked: RunRequest
) -> tuple[str | None, str | None]:
    """The project's zone for a dated report (its days are project days), as events runs
    find it: the setting, else Mixpanel's ``/me``; unknown, the source's window takes "today"
    where it starts last and the run says so once."""
    from mixpanel_data.config.sources import source_setting
    from mixpanel_data.run.project import describe_project

    family = spec.family
    configured = options.pop("project_timezone", None) or source_setting("project_timezone")
    if family is None or not family.dated:
        return configured, "setting" if configured else None
    project = describe_project(client, configured)
    if project.note:
        logger.warning(project.note)
        hook = getattr(asked.observer, "notice", None)
        if hook is not None:
            hook(project.note)
    return project.timezone, project.timezone_source


def _source(
    spec: PipelineSpec, options: dict[str, Any], client: Any, zone: str | None, asked: RunRequest
) -> DltSource:
    """The report source with the pipeline's options, restricted to its tables."""
    from mixpanel_data.destinations import adapt_source
    from mixpanel_data.sources.mixpanel import REPORT_SOURCES

    family = spec.family
    assert family is not None  # a report spec
    build = REPORT_SOURCES[spec.source.removeprefix("mixpanel_")]
    arguments: dict[str, Any] = {**options, "client": client}
    if family.dated:
        arguments["project_timezone"] = zone
        if asked.first or asked.last:  # a backfill; --from alone runs to today
            arguments["from_date"] = asked.first
            arguments["to_date"] = asked.last
    source = build(**arguments).with_resources(*spec.resources)
    return adapt_source(source, spec.destination)


def _rows_normalized(pipeline: Any, tables: list[str]) -> int:
    """Rows dlt normalized for the pipeline's tables in this run (what Mixpanel answered)."""
    trace = pipeline.last_trace
    info = getattr(trace, "last_normalize_info", None) if trace is not None else None
    counts = getattr(info, "row_counts", None) or {}
    return sum(int(n) for table, n in counts.items() if table in tables)


def _summary(
    spec: PipelineSpec,
    asked: RunRequest,
    before: dict[str, int],
    after: dict[str, int],
    fetched: int,
    zone: str | None,
    source_of_zone: str | None,
) -> RunSummary:
    from mixpanel_data.run.summary import RunSummary

    span = (str(asked.first), str(asked.last)) if asked.first and asked.last else None
    return RunSummary(
        pipeline=spec.name,
        resources=tuple(spec.resources),
        rows_fetched=fetched,
        rows_new=sum(after.values()) - sum(before.values()),
        duplicates_dropped=0,
        days_covered=0,
        date_range=span,
        duration_seconds=time.monotonic() - asked.started,
        table_rows=after,
        timezone=zone,
        timezone_source=source_of_zone,
    )
