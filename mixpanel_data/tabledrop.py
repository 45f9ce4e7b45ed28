"""Drop local tables: the only way (with ``--full-refresh``) that loaded data is destroyed.

A table dlt loaded is dropped through dlt (``pipeline_drop``), which also removes it from the
stored schema and resets that resource's cursor, so the next ``mp run`` loads it afresh instead
of failing on a table dlt believes exists. Any other table is a plain ``DROP TABLE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.results import TableInfo
from mixpanel_data.storage import is_dlt_dataset, quote, resolve_table

TYPES = ("events", "profiles")


def plan_drop(
    con: Any, tables: Sequence[TableInfo], names: Sequence[str], *, all_: bool, type_: str | None
) -> list[TableInfo]:
    """Which tables ``mp drop NAME... [--all] [--type T]`` means; unknown names raise."""
    if type_ is not None and type_ not in TYPES:
        raise InvalidArgumentError(f"--type {type_!r} is not one of {', '.join(TYPES)}.")
    if not names and not all_ and type_ is None:
        raise InvalidArgumentError("Name the tables to drop, or pass --all or --type events.")
    if names and all_:
        raise InvalidArgumentError("Pass table names or --all, not both.")
    if names:
        wanted = {resolve_table(con, n) for n in names}
        chosen = [t for t in tables if (t.dataset, t.table) in wanted]
    else:
        chosen = list(tables)
    return [t for t in chosen if type_ is None or t.type == type_]


def drop_tables(database: Path, data_dir: Path, tables: Sequence[TableInfo]) -> None:
    """Drop ``tables`` from the database file (no connection to it may be open here)."""
    from mixpanel_data.datadir import using_data_dir
    from mixpanel_data.storage import open_database

    con = open_database(database, read_only=False)
    try:
        managed = {t.dataset for t in tables if is_dlt_dataset(con, t.dataset)}
    finally:
        con.close()
    leftovers = [t for t in tables if t.dataset not in managed]
    with using_data_dir(data_dir):
        for dataset in sorted(managed):
            names = [t.table for t in tables if t.dataset == dataset]
            leftovers += [t for t in tables if t.table in _drop_with_dlt(dataset, names)]
    if leftovers:
        con = open_database(database, read_only=False)
        try:
            for table in leftovers:
                con.execute(f"DROP TABLE IF EXISTS {quote(table.dataset, table.table)}")
        finally:
            con.close()


def _drop_with_dlt(dataset: str, tables: list[str]) -> list[str]:
    """Drop ``tables`` (resource names) with dlt; returns those dlt did not know."""
    from mixpanel_data.pipelines import PipelineSpec
    from mixpanel_data.runner import dlt_pipeline, finish_pending

    spec = PipelineSpec(name=f"drop-{dataset}", dataset=dataset, destination="duckdb")
    return drop_known(finish_pending(dlt_pipeline(spec), spec), tables)


def drop_known(pipeline: Any, tables: Sequence[str]) -> list[str]:
    """Drop the ``tables`` dlt loaded (tables and cursors, via dlt); returns the others."""
    from dlt.pipeline.helpers import pipeline_drop

    if not pipeline.default_schema_name:
        pipeline.sync_destination()  # a fresh working dir: the schema is in the destination
    if not pipeline.default_schema_name:
        return list(tables)
    known = {t["name"] for t in pipeline.default_schema.data_tables(include_incomplete=True)}
    resources = [t for t in tables if t in known]
    if resources:
        pipeline_drop(pipeline, resources=resources)()
    return [t for t in tables if t not in known]
