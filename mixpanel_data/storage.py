"""Open the local DuckDB database so that loaded tables answer to their plain names.

dlt writes each dataset into a DuckDB schema (``mixpanel.events``); the search path puts those
schemas first so ``SELECT count(*) FROM events`` just works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixpanel_data.exceptions import ConfigError, NotFoundError
from mixpanel_data.paths import default_database_path

_INTERNAL_SCHEMAS = {"information_schema", "pg_catalog", "main"}


def open_database(path: Path | None = None, *, read_only: bool = True) -> Any:
    """A DuckDB connection with dataset schemas on the search path."""
    import duckdb

    path = path or default_database_path()
    if read_only and not path.exists():
        raise NotFoundError(
            f"No local database at {path}: load data first with "
            "`mp run events --from DATE --to DATE`."
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise ConfigError(
            f"Cannot open {path} ({str(exc).splitlines()[0]}): is a load still running? "
            "Wait for it, or set MP_DATA_DIR to another directory."
        ) from None
    schemas = dataset_schemas(con)
    search = ",".join([*schemas, "main"]).replace("'", "''")
    con.execute(f"SET search_path = '{search}'")
    return con


def dataset_schemas(con: Any) -> list[str]:
    """Schemas holding loaded datasets, the default ``mixpanel`` first."""
    rows = con.execute(
        "SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
    ).fetchall()
    names = sorted(r[0] for r in rows if r[0] not in _INTERNAL_SCHEMAS and "staging" not in r[0])
    return sorted(names, key=lambda n: n != "mixpanel")


def user_tables(con: Any) -> list[tuple[str, str]]:
    """(dataset, table) of loaded tables, without dlt's bookkeeping and staging tables."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() "
        "AND table_name NOT LIKE '\\_dlt\\_%' ESCAPE '\\' "
        "AND schema_name NOT LIKE '%staging%' ORDER BY 1, 2"
    ).fetchall()
    return [(schema, table) for schema, table in rows]
