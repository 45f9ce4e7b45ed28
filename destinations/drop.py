"""Drop local tables: the only way (with ``--full-refresh``) that loaded data is destroyed.

A table dlt loaded is dropped through dlt (``pipeline_drop``), which also removes it from the
stored schema and resets that resource's cursor, so the next ``mp run`` loads it afresh instead
of failing on a table dlt believes exists. Any other table is a plain ``DROP TABLE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.local.connection import is_dlt_dataset, quote, resolve_table
from mixpanel_data.results import TableInfo

if TYPE_CHECKING:
    import duckdb

TYPES = ("events", "profiles")


def plan_drop(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[TableInfo],
    names: Sequence[str],
    *,
    all_: bool,
    type_: str | None,
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


def drop_tables(settings: Settings, tables: Sequence[TableInfo]) -> None:
    """Drop ``tables`` from the settings' database (no connection to it may be open here)."""
    from mixpanel_data.local.connection import open_database

    con = open_database(settings.database_path, read_only=False)
    try:
        managed = {t.dataset for t in tables if is_dlt_dataset(con, t.dataset)}
    finally:
        con.close()
    leftovers = [t for t in tables if t.dataset not in managed]
    for dataset in sorted(managed):
        names = [t.table for t in tables if t.dataset == dataset]
        leftovers += [t for t in tables if t.table in _drop_with_dlt(settings, dataset, names)]
    if leftovers:
        con = open_database(settings.database_path, read_only=False)
        try:
            for table in leftovers:
                con.execute(f"DROP TABLE IF EXISTS {quote(table.dataset, table.table)}")
        finally:
            con.close()


def _drop_with_dlt(settings: Settings, dataset: str, tables: list[str]) -> list[str]:
    """Drop ``tables`` (resource names) with dlt; returns those dlt did not know."""
    from mixpanel_data.config.pipelines import PipelineSpec
    from mixpanel_data.destinations.pipeline import dlt_pipeline, drop_known, finish_pending

    spec = PipelineSpec(name=f"drop-{dataset}", dataset=dataset, destination="duckdb")
    return drop_known(finish_pending(dlt_pipeline(spec, settings), spec, settings), tables)
