"""Run a named pipeline with dlt: the one code path behind ``mp run``, the scheduler and Workspace.

A pipeline's destination and dataset select one dlt pipeline (``mp_<dataset>`` on the embedded
DuckDB, ``mp_<destination>_<dataset>`` elsewhere: ``PipelineSpec.dlt_name``), whose state holds
every resource's cursor, kept in ``MP_DATA_DIR/pipelines``. dlt finishes any load package a
killed run left behind before it extracts new data, and the events/profiles merges are
idempotent, so running again after a crash ends with exactly the rows of a clean run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mixpanel_data.destinations.query import count_rows
from mixpanel_data.paths import pipelines_dir
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "resources": list(self.resources),
            "rows_fetched": self.rows_fetched,
            "rows_new": self.rows_new,
            "duplicates_dropped": self.duplicates_dropped,
            "days_covered": self.days_covered,
            "date_range": list(self.date_range) if self.date_range else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "table_rows": self.table_rows,
        }


def dlt_pipeline(spec: PipelineSpec) -> Any:
    """The dlt pipeline of a spec's destination + dataset (created or attached)."""
    import dlt

    from mixpanel_data.destinations import make_destination

    directory = pipelines_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _drop_loaded_files(spec.dlt_name)
    return dlt.pipeline(
        pipeline_name=spec.dlt_name,
        destination=make_destination(spec.destination),
        dataset_name=spec.dataset,
        pipelines_dir=str(directory),
    )


def _drop_loaded_files(pipeline_name: str) -> None:
    """Have dlt delete a package's data files once they are loaded, unless the user chose.

    dlt keeps them by default, which silently keeps a second, growing copy of every event under
    ``MP_DATA_DIR/pipelines`` (1.7 GB after a 5M-event load). Setting dlt's own
    ``load.delete_completed_jobs`` (``[load]`` in ``.dlt/config.toml``, ``LOAD__...`` or
    ``<PIPELINE>__LOAD__DELETE_COMPLETED_JOBS``) to ``false`` keeps them.
    """
    import dlt

    for key in ("load.delete_completed_jobs", f"{pipeline_name}.load.delete_completed_jobs"):
        if dlt.config.get(key) is not None:
            return
    os.environ[f"{pipeline_name.upper()}__LOAD__DELETE_COMPLETED_JOBS"] = "true"


def run_pipeline(
    spec: PipelineSpec,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    full_refresh: bool = False,
    observer: Any = None,
    source_overrides: dict[str, Any] | None = None,
) -> RunSummary:
    """Extract, normalize and load ``spec``'s resources; returns the run summary."""
    from mixpanel_data.destinations import adapt_source, duckdb_compression
    from mixpanel_data.destinations.duckdb_tables import create_json_tables
    from mixpanel_data.sources.mixpanel import FetchStats, mixpanel_source

    started = time.monotonic()
    pipeline = dlt_pipeline(spec)
    pipeline = finish_pending(pipeline, spec)
    embedded = spec.destination == "duckdb"
    if full_refresh and embedded:
        pipeline = _drop_resources(pipeline, spec)
    before = table_counts(pipeline, spec.resources)
    stats = FetchStats()
    options = {**spec.options, **(source_overrides or {})}
    source = mixpanel_source(
        from_date=from_date, to_date=to_date, observer=observer, stats=stats, **options
    ).with_resources(*spec.resources)
    source = adapt_source(source, spec.destination)
    if embedded:
        create_json_tables(pipeline, source, duckdb_compression())
    pipeline.run(
        source,
        refresh="drop_resources" if full_refresh and not embedded else None,
        table_format=spec.table_format,
    )
    after = table_counts(pipeline, spec.resources)
    in_range = _rows_in_range(pipeline, stats) if "events" in spec.resources else None
    fetched = stats.rows_fetched
    windows = sorted(stats.windows)
    return RunSummary(
        pipeline=spec.name,
        resources=tuple(spec.resources),
        rows_fetched=fetched,
        rows_new=sum(after.values()) - sum(before.values()),
        duplicates_dropped=max(0, fetched - in_range) if in_range is not None else 0,
        days_covered=stats.days,
        date_range=(str(windows[0].start), str(windows[-1].end)) if windows else None,
        duration_seconds=time.monotonic() - started,
        table_rows=after,
    )


def finish_pending(pipeline: Any, spec: PipelineSpec) -> Any:
    """Complete what a killed run left behind, so this run's extract is not skipped.

    Packages still in dlt's local normalize stage can be left half-moved by a SIGKILL, which dlt
    cannot resume ("Directory not empty"). Nothing of them reached the destination, so the local
    working directory is dropped instead: dlt then restores the cursor state from the
    destination, where it is only ever committed together with the rows it describes.
    """
    from dlt.pipeline.exceptions import PipelineStepFailed

    if not pipeline.has_pending_data:
        return pipeline
    try:
        pipeline.run()
        return pipeline
    except PipelineStepFailed as exc:
        if exc.step != "normalize" and not isinstance(exc.exception, OSError):
            raise
    logger.warning(
        "Dropping unfinishable local packages of %s; state comes from the destination",
        pipeline.pipeline_name,
    )
    pipeline.drop()
    return dlt_pipeline(spec)


def table_counts(pipeline: Any, tables: Sequence[str]) -> dict[str, int]:
    """Row counts of the pipeline's tables (0 for a table not created yet)."""
    counts = {}
    for table in tables:
        try:
            counts[table] = count_rows(pipeline, table)
        except Exception:
            counts[table] = 0
    return counts


def _rows_in_range(pipeline: Any, stats: Any) -> int | None:
    """Rows stored for the export days this run read (after dedupe)."""
    if not stats.windows:
        return None
    first = min(w.start for w in stats.windows)
    last = max(w.end for w in stats.windows)
    return count_rows(pipeline, "events", "export_date BETWEEN %s AND %s", first, last)


def _drop_resources(pipeline: Any, spec: PipelineSpec) -> Any:
    """``--full-refresh`` on DuckDB: drop the resources' tables and state with dlt, up front.

    dlt's own ``refresh`` drops and re-creates the tables in the load, which would lose the JSON
    column's compression (``duckdb_tables``); dropping first lets this run create them again.
    """
    from mixpanel_data.tabledrop import drop_known

    drop_known(pipeline, spec.resources)
    return dlt_pipeline(spec)
