"""The dlt pipeline behind a pipeline spec: built, repaired, kept clean, counted, dropped from.

One module both sides use: the runner (loads), ``mp drop`` and ``--full-refresh`` (drops through
dlt), ``mp sql --pipeline`` / ``mp info --pipeline`` (reads). A spec's destination and dataset
select one dlt pipeline (``PipelineSpec.dlt_name``) whose state holds every resource's cursor,
in the settings' ``pipelines_dir``.

What a run leaves on disk is kept to dlt's bookkeeping: loaded packages are deleted once loaded
(dlt keeps their data files by default: a second, growing copy of every event), a run that
fails or is interrupted removes what its extract wrote before it exits, and a run that was
killed leaves extract folders and half-normalized packages that the next run removes.
Committed packages that did not load yet stay: they hold the state the next run finishes.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlt.common.pipeline import LoadInfo
    from dlt.pipeline.pipeline import Pipeline

    from mixpanel_data.config.pipelines import PipelineSpec
    from mixpanel_data.config.settings import Settings

logger = logging.getLogger("mixpanel_data.destinations")

_TEMP_NAME = re.compile(r"[0-9a-f]{16}")
"""dlt's ``uniq_id()`` names (16 hex digits): the temporary file of an atomic write."""
_DLT_NORMALIZE_KEEP = {"extracted"}
"""Folders of dlt's ``normalize`` storage that hold committed work; any other folder there is an
extract that never finished (dlt names each extract's scratch folder with a random id)."""


def dlt_pipeline(spec: PipelineSpec, settings: Settings) -> Pipeline:
    """The dlt pipeline of a spec's destination + dataset (created or attached)."""
    import dlt

    from mixpanel_data.destinations import make_destination

    directory = settings.pipelines_dir
    directory.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=spec.dlt_name,
        destination=make_destination(spec.destination, settings),
        dataset_name=spec.dataset,
        pipelines_dir=str(directory),
    )


def finish_pending(pipeline: Pipeline, spec: PipelineSpec, settings: Settings) -> Pipeline:
    """Complete what a killed run left behind, so this run's extract is not skipped.

    Packages still in dlt's local normalize stage can be left half-moved by a SIGKILL, which dlt
    cannot resume ("Directory not empty"). Nothing of them reached the destination, so the local
    working directory is dropped instead: dlt then restores the cursor state from the
    destination, where it is only ever committed together with the rows it describes.
    """
    from dlt.pipeline.exceptions import PipelineStepFailed

    remove_leftovers(pipeline)
    if not pipeline.has_pending_data:
        return pipeline
    try:
        info = pipeline.run()
        prune_loaded(pipeline, info)
        return pipeline
    except PipelineStepFailed as exc:
        if exc.step != "normalize" and not isinstance(exc.exception, OSError):
            raise
    logger.warning(
        "Dropping unfinishable local packages of %s; state comes from the destination",
        pipeline.pipeline_name,
    )
    pipeline.drop()
    return dlt_pipeline(spec, settings)


def remove_leftovers(pipeline: Pipeline) -> list[Path]:
    """Delete what a killed run left in dlt's working folder; returns what was removed.

    Extract scratch folders (``normalize/<random id>``: parquet files of an extract that never
    committed), packages a killed normalize left in ``load/new``, and loaded packages the
    previous run had no chance to prune. Raw event data, personal data included, is never kept
    past the run that fetched it: the runner calls this before a run and after a failed one.
    Never while another process runs the same pipeline (``mp run`` and the scheduler hold its
    run lock): its extract folder would go too.
    """
    root = Path(pipeline.working_dir)
    doomed: list[Path] = []
    normalize = root / "normalize"
    if normalize.is_dir():
        keep = _DLT_NORMALIZE_KEEP
        doomed += [p for p in normalize.iterdir() if p.is_dir() and p.name not in keep]
    new = root / "load" / "new"
    if new.is_dir():
        doomed += list(new.iterdir())
    # dlt writes files atomically through a temporary file named with a random id in the
    # storage's folder (``FileStorage.save_atomic``): a kill mid-write leaves it behind (seen
    # in ``load/new`` after a SIGKILL during normalize)
    load = root / "load"
    for folder in (root, normalize, load, load / "normalized", load / "loaded"):
        if folder.is_dir():
            doomed += [p for p in folder.iterdir() if p.is_file() and _TEMP_NAME.fullmatch(p.name)]
    if _prunes(pipeline):
        loaded = root / "load" / "loaded"
        if loaded.is_dir():
            doomed += [p for p in loaded.iterdir() if p.is_dir()]
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if doomed:
        logger.info("removed %d leftover folders of an earlier run", len(doomed))
    return doomed


def prune_loaded(pipeline: Pipeline, info: LoadInfo | None) -> None:
    """Delete what a finished load leaves behind, unless the user keeps it.

    dlt keeps every loaded package's files by default (1.7 GB after a 5M-event load), and the
    last load's rows in the staging dataset (``mixpanel_staging.events``: a second copy of up
    to a chunk of events in the database). dlt's own settings keep them:
    ``load.delete_completed_jobs`` and ``load.truncate_staging_dataset`` set to ``false``
    (``[load]`` in ``.dlt/config.toml``, ``LOAD__...`` or ``<PIPELINE>__LOAD__...``).
    """
    if info is None:
        return
    if _unless_kept(pipeline, "delete_completed_jobs"):
        root = Path(pipeline.working_dir) / "load" / "loaded"
        for load_id in getattr(info, "loads_ids", None) or []:
            shutil.rmtree(root / str(load_id), ignore_errors=True)
    if _unless_kept(pipeline, "truncate_staging_dataset"):
        truncate_staging(pipeline)


def truncate_staging(pipeline: Pipeline) -> None:
    """Empty the staging tables of the pipeline's data tables, as dlt's own
    ``truncate_staging_dataset`` does (``Load._maybe_truncate_staging_dataset``)."""
    from dlt.common.destination.client import WithStagingDataset

    if not pipeline.default_schema_name:
        return
    schema = pipeline.default_schema
    with pipeline.destination_client() as client:
        if not isinstance(client, WithStagingDataset):
            return
        tables = [
            name
            for name in schema.data_table_names()
            if client.should_load_data_to_staging_dataset(name)
        ]
        if tables:
            with client.with_staging_dataset() as staging:
                staging.initialize_storage(truncate_tables=tables)


def _prunes(pipeline: Pipeline) -> bool:
    """False when the user set dlt's ``load.delete_completed_jobs`` to false anywhere."""
    return _unless_kept(pipeline, "delete_completed_jobs")


def _unless_kept(pipeline: Pipeline, name: str) -> bool:
    """False when the user set dlt's ``load.<name>`` to false anywhere (globally or for this
    pipeline); we do the deletion dlt would only do when asked."""
    import dlt

    setting = f"load.{name}"
    for key in (setting, f"{pipeline.pipeline_name}.{setting}"):
        value: object = dlt.config.get(key)
        if value is not None:
            return str(value).strip().lower() not in ("false", "0", "no", "off")
    return True


def drop_known(pipeline: Pipeline, tables: Sequence[str]) -> list[str]:
    """Drop the ``tables`` dlt loaded (tables and cursors, via dlt); returns the others."""
    from dlt.pipeline.helpers import pipeline_drop

    if not pipeline.default_schema_name:
        pipeline.sync_destination()  # a fresh working dir: the schema is in the destination
    if not pipeline.default_schema_name:
        return list(tables)
    known = {t["name"] for t in pipeline.default_schema.data_tables(include_incomplete=True)}
    resources = [t for t in tables if t in known]
    if resources:
        if str(pipeline.destination.destination_type).endswith(".duckdb"):
            from mixpanel_data.destinations.duckdb_tables import drop_bare_staging

            drop_bare_staging(pipeline)  # dlt's drop fails on a staging schema it never set up
        pipeline_drop(pipeline, resources=resources)()
    return [t for t in tables if t not in known]


def count_rows(pipeline: Any, table: str, where: str = "", *args: Any) -> int:
    """``count(*)`` of a loaded table (``WHERE where`` with ``%s`` args), on any destination.

    Not ``local.connection.count_rows``: that one counts on an open DuckDB connection (the
    embedded file, a lake's in-memory copy); this one goes through the dlt destination itself.
    On the filesystem destination dlt's own SQL needs DuckDB's delta extension (a download), so
    Delta tables are scanned as a lazy Arrow dataset instead.
    """
    clause = f" WHERE {where}" if where else ""
    if pipeline.destination.destination_name == "filesystem":
        import duckdb
        from dlt.common.libs.deltalake import get_delta_tables

        lake = get_delta_tables(pipeline, table)[table].to_pyarrow_dataset()  # noqa: F841
        con = duckdb.connect()
        try:
            row = con.execute(f"SELECT count(*) FROM lake{clause.replace('%s', '?')}", list(args))
            found = row.fetchone()
        finally:
            con.close()
        return int(found[0]) if found else 0
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(table)
        rows = client.execute_sql(f"SELECT count(*) FROM {name}{clause}", *args)
    return int(rows[0][0]) if rows else 0


def table_counts(pipeline: Pipeline, tables: Iterable[str]) -> dict[str, int]:
    """Row counts of the pipeline's tables; 0 only for a table that does not exist yet.

    Any other failure (a destination that cannot be reached, a broken table) propagates: a run
    summary must not report 0 rows for data it could not count.
    """
    known = _loaded_tables(pipeline)
    return {table: count_rows(pipeline, table) if table in known else 0 for table in tables}


def _loaded_tables(pipeline: Pipeline) -> set[str]:
    """Data tables that exist in the destination (dlt's schema can name some not written yet)."""
    if not pipeline.default_schema_name:
        return set()
    if pipeline.destination.destination_name == "filesystem":
        from dlt.common.libs.deltalake import get_delta_tables

        return set(get_delta_tables(pipeline))
    names = [t["name"] for t in pipeline.default_schema.data_tables(include_incomplete=True)]
    with pipeline.destination_client() as client:
        return {name for name in names if client.get_storage_table(name)[0]}
