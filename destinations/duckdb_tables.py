"""Create the JSON-carrying tables on the embedded DuckDB before dlt does, to pick that column's
compression.

DuckDB picks a compression per column segment. For the ~1 KB of JSON text each event carries,
its automatic choice (FSST) makes a load spend most of its time compressing: on 1M events a table
write took 5.2 s and 620 MB, against 2.6 s and 171 MB with zstd on ``properties`` alone. Forcing
zstd for the whole load (``force_compression``) was as fast but took dictionary encoding from
short repeated text: ``GROUP BY event_name`` went from 2 ms to 15 ms. DuckDB only takes a
column's compression in ``CREATE TABLE``, so the tables are created here, for the dataset and
dlt's staging dataset, with the columns and types dlt would give them. dlt adopts an existing
table (it adds missing columns and loads by column name). A table dlt creates itself, such as
one made by an older version, keeps DuckDB's automatic choice: slower to load, same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
    from dlt.destinations.sql_client import SqlClientBase
    from dlt.extract import DltSource
    from dlt.pipeline.pipeline import Pipeline

JSON_TABLES = ("events", "profiles")
_VERSION_TABLE = "_dlt_version"

_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "json": "JSON",
}


def column_type(column: TColumnSchema) -> str | None:
    """The DuckDB type dlt gives a column of these hints, or None for a type not mapped here."""
    data_type = column.get("data_type")
    if data_type == "timestamp":
        tz = column.get("timezone", True)
        return "TIMESTAMP WITH TIME ZONE" if tz else "TIMESTAMP"
    return _TYPES.get(str(data_type))


def table_ddl(
    columns: TTableSchemaColumns, compression: str, quote: Callable[[str], str]
) -> str | None:
    """Column definitions with ``compression`` on JSON columns; None if a type is unknown."""
    parts = []
    for name, column in columns.items():
        sql_type = column_type(column)
        if sql_type is None:
            return None
        part = f"{quote(name)} {sql_type}"
        if column.get("nullable") is False:
            part += " NOT NULL"
        if sql_type == "JSON":
            part += f" USING COMPRESSION {compression}"
        parts.append(part)
    return ", ".join(parts)


def create_json_tables(pipeline: Pipeline, source: DltSource, compression: str) -> list[str]:
    """Create missing ``events``/``profiles`` tables of ``source`` (and their staging twins).

    Returns the tables it created. ``compression`` ``auto`` leaves everything to dlt.
    """
    if compression == "auto":
        return []
    wanted: dict[str, TTableSchemaColumns] = {}
    for name, resource in source.selected_resources.items():
        if name in JSON_TABLES:
            schema = resource.compute_table_schema()
            wanted[str(schema["name"])] = schema.get("columns", {})  # dlt's hint allows None
    created: list[str] = []
    if not wanted:
        return created
    with pipeline.sql_client() as client:
        for staging in (False, True):
            dataset = client.fully_qualified_dataset_name(staging=staging)
            existing = _tables(client, staging)
            client.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
            for table, columns in wanted.items():
                ddl = table_ddl(columns, compression, client.escape_column_name)
                if ddl is None or table in existing:
                    continue
                client.execute_sql(
                    f"CREATE TABLE {dataset}.{client.escape_column_name(table)} ({ddl})"
                )
                created.append(f"{dataset}.{table}")
    return created


def drop_bare_staging(pipeline: Pipeline) -> bool:
    """Drop the staging schema when it holds only tables made here, before a refresh.

    dlt sets its staging dataset up (with its version table) on the first load that merges;
    loads that append never do. A refresh drops its tables in the staging dataset too when the
    schema exists, and fails on the version table it expects there. The twins made here are
    empty, and ``create_json_tables`` makes them again before the next load.
    """
    with pipeline.sql_client() as client:
        existing = _tables(client, staging=True)
        if not existing or _VERSION_TABLE in existing:
            return False
        client.execute_sql(
            f"DROP SCHEMA IF EXISTS {client.fully_qualified_dataset_name(staging=True)} CASCADE"
        )
        return True


def _tables(client: SqlClientBase[Any], staging: bool) -> set[str]:
    schema = client.dataset_name if not staging else _staging_name(client)
    rows = client.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", schema
    )
    return {row[0] for row in rows or []}


def _staging_name(client: SqlClientBase[Any]) -> str:
    with client.with_staging_dataset():
        return str(client.dataset_name)


def rebuild_json_tables(pipeline: Pipeline, source: DltSource, compression: str) -> list[str]:
    """Re-create ``source``'s JSON tables (and staging twins) with ``compression`` on JSON.

    dlt's ``refresh`` drops and re-creates tables inside its load step, with DuckDB's automatic
    compression. Right after that first refreshed load the tables hold one chunk, so copying
    them into tables created here is cheap, and every later load writes the fast way again.
    Columns, types, order and NOT NULL are taken from the table as it stands.
    """
    if compression == "auto":
        return []
    names = {
        str(resource.compute_table_schema()["name"])
        for name, resource in source.selected_resources.items()
        if name in JSON_TABLES
    }
    rebuilt: list[str] = []
    with pipeline.sql_client() as client:
        for staging in (False, True):
            schema = client.dataset_name if not staging else _staging_name(client)
            dataset = client.fully_qualified_dataset_name(staging=staging)
            for table in sorted(names & _tables(client, staging)):
                columns = (
                    client.execute_sql(
                        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                        "WHERE schema_name = %s AND table_name = %s ORDER BY column_index",
                        schema,
                        table,
                    )
                    or []  # as in _tables: dlt types a statement's rows as optional
                )
                parts = []
                for name, kind, nullable in columns:
                    part = f"{client.escape_column_name(name)} {kind}"
                    part += "" if nullable else " NOT NULL"
                    part += f" USING COMPRESSION {compression}" if kind == "JSON" else ""
                    parts.append(part)
                quoted = client.escape_column_name(table)
                fresh = client.escape_column_name(f"{table}__rebuilt")
                listed = ", ".join(client.escape_column_name(c[0]) for c in columns)
                copy = f"SELECT {listed} FROM {dataset}.{quoted}"
                client.execute_sql(
                    f"BEGIN TRANSACTION; "
                    f"CREATE TABLE {dataset}.{fresh} ({', '.join(parts)}); "
                    f"INSERT INTO {dataset}.{fresh} ({listed}) {copy}; "
                    f"DROP TABLE {dataset}.{quoted}; "
                    f"ALTER TABLE {dataset}.{fresh} RENAME TO {quoted}; COMMIT"
                )
                rebuilt.append(f"{dataset}.{table}")
    return rebuilt
