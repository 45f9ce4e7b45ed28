"""Ask a pipeline's destination SQL, wherever it loaded: one connection shape for ``mp sql``.

- ``duckdb``: the embedded file (``local.connection.open_settings_database``).
- ``filesystem`` (Delta or Parquet tables, locally or in object storage): DuckDB's delta
  extension is a download, so the tables are opened with ``deltalake`` (through dlt, which
  passes the bucket's credentials) as lazy Arrow datasets and shown as views in an in-memory
  DuckDB, schema = dataset, so the same DuckDB SQL runs unchanged and reads only what it needs.
- any SQL destination (postgres, snowflake, bigquery, ...): the query runs *on the warehouse*
  through dlt's ``sql_client``; ``$name`` parameters become driver parameters, and on Postgres
  the dataset schema is on the ``search_path`` so tables answer to plain names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.destinations.pipeline import dlt_pipeline, table_counts
from mixpanel_data.exceptions import QueryError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as pads
    from dlt.pipeline.pipeline import Pipeline
from mixpanel_data.local.connection import count_rows

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Fetched:
    """A DB-API-like cursor that was already read (what ``run_sql`` needs).

    Values are whatever the warehouse's driver returns (``Any``), as are the DB-API
    ``description`` entries past the column name."""

    description: Sequence[tuple[Any, ...]] | None
    rows: list[tuple[Any, ...]]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class WarehouseConnection:
    """``execute``/``close`` over dlt's ``sql_client`` of a SQL destination."""

    def __init__(self, pipeline: Pipeline, spec: PipelineSpec) -> None:
        self.spec = spec
        self._client = pipeline.sql_client()
        self._client.open_connection()
        if spec.destination in ("postgres", "redshift"):
            self._client.execute_sql(f'SET search_path TO "{spec.dataset}", public')

    def execute(self, text: str, values: Mapping[str, object] | None = None) -> Fetched:
        if values:  # pyformat: literal % doubled, $name -> %(name)s
            text = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
        try:
            with self._client.execute_query(text, **(values or {})) as cursor:
                description = cursor.description
                rows = [tuple(r) for r in cursor.fetchall()] if description else []
        except Exception as exc:  # each driver has its own error classes (dlt wraps only some)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise QueryError(f"SQL failed on {self.spec.destination}: {first}") from None
        return Fetched(description, rows)

    def close(self) -> None:
        self._client.close_connection()


def open_connection(
    spec: PipelineSpec, settings: Settings
) -> duckdb.DuckDBPyConnection | WarehouseConnection:
    """A connection with ``execute(sql, params)`` answering for ``spec``'s destination."""
    if spec.destination == "duckdb":
        from mixpanel_data.local.connection import open_settings_database

        return open_settings_database(settings)
    pipeline = dlt_pipeline(spec, settings)
    if spec.destination == "filesystem":
        return lake_connection(pipeline, spec)
    return WarehouseConnection(pipeline, spec)


def lake_tables(pipeline: Pipeline, spec: PipelineSpec) -> dict[str, pads.Dataset]:
    """Every loaded data table of a filesystem pipeline as a lazy Arrow dataset.

    Delta tables are read through their current snapshot's files (``to_pyarrow_dataset``), so
    a query reads only the columns and row groups it needs, never the whole lake. Plain
    Parquet tables (``table_format`` unset, append-only) are still read whole through dlt.
    """
    if spec.table_format == "delta":
        from dlt.common.libs.deltalake import get_delta_tables

        return {name: dt.to_pyarrow_dataset() for name, dt in get_delta_tables(pipeline).items()}
    import pyarrow.dataset as ds

    dataset = pipeline.dataset()
    return {name: ds.dataset(dataset[name].arrow()) for name in sorted(_loaded(pipeline))}


def _loaded(pipeline: Pipeline) -> set[str]:
    """Tables that have data (a schema can name tables no load has written yet)."""
    schema = pipeline.default_schema
    return {
        name
        for name, table in schema.tables.items()
        if not name.startswith("_dlt") and table.get("columns")
    }


def lake_connection(pipeline: Pipeline, spec: PipelineSpec) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake's tables in schema ``dataset`` on the search path.

    Each table is a view over its Arrow dataset: nothing is copied when the connection opens,
    and DuckDB pushes projections and filters down into the scan.
    """
    import duckdb

    con = duckdb.connect()
    tables: dict[str, pads.Dataset] = (
        lake_tables(pipeline, spec) if pipeline.default_schema_name else {}
    )
    con.execute(f'CREATE SCHEMA "{spec.dataset}"')
    for index, (name, dataset) in enumerate(tables.items()):
        scan = f"_lake_{index}"
        con.register(scan, dataset)
        columns = ", ".join(_lake_column(field) for field in dataset.schema)
        con.execute(f'CREATE VIEW "{spec.dataset}"."{name}" AS SELECT {columns} FROM "{scan}"')
    con.execute(f"SET search_path = '{spec.dataset},main'")
    return con


def _lake_column(field: pa.Field) -> str:
    """A view column; text goes through ``coalesce(col, NULL)`` so no filter on it reaches the
    Arrow scan (DuckDB folds ``col || ''`` and casts back into the column and pushes them).

    DuckDB pushes a comparison with a text constant into the dataset scan as a
    ``string_view`` scalar, and pyarrow has no ``equal(string, string_view)`` kernel: the
    query fails ("Function 'equal' has no kernel ...", seen on the Delta events table). The
    expression keeps NULLs NULL; other columns, and every projection, still push down.
    """
    import pyarrow as pa

    quoted = '"' + field.name.replace('"', '""') + '"'
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return f"coalesce({quoted}, NULL) AS {quoted}"
    return quoted


def destination_info(spec: PipelineSpec, settings: Settings) -> dict[str, Any]:
    """What ``mp info --pipeline NAME`` shows for a destination other than the embedded DuckDB."""
    pipeline = dlt_pipeline(spec, settings)
    names: list[str] = sorted(_loaded(pipeline)) if pipeline.default_schema_name else []
    if spec.destination == "filesystem":
        con = lake_connection(pipeline, spec)
        try:
            tables = {n: count_rows(con, spec.dataset, n) for n in names}
        finally:
            con.close()
    else:
        tables = table_counts(pipeline, names)
    return {
        "pipeline": spec.name,
        "destination": spec.destination,
        "table_format": spec.table_format,
        "dataset": spec.dataset,
        "dlt_pipeline": spec.dlt_name,
        "tables": [{"name": n, "rows": r} for n, r in tables.items()],
    }


def pipeline_info(spec: PipelineSpec, settings: Settings) -> dict[str, Any]:
    """``mp info --pipeline NAME``: its destination's tables, plus its schedule history."""
    if spec.destination == "duckdb":
        from mixpanel_data.local.catalog import database_info

        found: dict[str, Any] = {
            "pipeline": spec.name,
            "destination": spec.destination,
            "dataset": spec.dataset,
            **database_info(settings).to_dict(),
        }
    else:
        found = destination_info(spec, settings)
    if spec.schedule is not None:
        from mixpanel_data.local.history import status_of

        found["schedule"] = status_of(settings.schedule_dir, spec)
    return found
