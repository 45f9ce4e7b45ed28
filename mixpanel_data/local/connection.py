"""Open the local DuckDB database so that loaded tables answer to their plain names.

dlt writes each dataset into a DuckDB schema (``mixpanel.events``); the search path puts those
schemas first so ``SELECT count(*) FROM events`` just works. Only ``duckdb`` is imported here
(lazily), never dlt or pandas, so ``mp sql`` starts fast.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import ConfigError, NotFoundError, TableNotFoundError

if TYPE_CHECKING:
    import duckdb

    from mixpanel_data.config.settings import Settings

logger = logging.getLogger("mixpanel_data.local")

_INTERNAL_SCHEMAS = {"information_schema", "pg_catalog", "main"}
#: Columns that tell what a table holds (``mp drop --type``), checked in this order.
TABLE_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("events", frozenset({"event_key", "event_name", "event_time", "distinct_id"})),
    ("profiles", frozenset({"distinct_id", "last_seen", "properties"})),
)


def open_database(path: Path, *, read_only: bool = True, wait: float | None = None) -> Any:
    """A DuckDB connection with dataset schemas on the search path.

    Read-only (the default) refuses a missing file with a hint to load data first, and lets
    several readers share the file; a writer creates the file (and its folder) when needed.
    Either side first takes the database's lock (``dblock``): a reader waits up to ``wait``
    seconds (``MP_LOCK_WAIT``, 30 by default) for a load that is writing, saying so on stderr,
    and holds the lock until the connection is closed and let go.
    """
    import duckdb

    from mixpanel_data.local import dblock

    if read_only and not path.exists():
        raise NotFoundError(
            f"No local database at {path}: load data first with "
            "`mp run events --from DATE --to DATE`."
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    release = dblock.acquire(path, write=not read_only, wait=wait, notify=_tell_waiting)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        release()
        reason = str(exc).splitlines()[0]
        if "lock" in reason.lower():
            fix = "another program (not `mp`) has it open for writing: close it"
        else:
            fix = "it is not a DuckDB database this version can read, or it is damaged"
        raise ConfigError(
            f"Cannot open {path} ({reason}): {fix}, or set MP_DATA_DIR to another directory."
        ) from None
    except BaseException:
        release()
        raise
    weakref.finalize(con, release)  # closed and let go: the next load may write
    refresh_search_path(con)
    return con


def open_settings_database(settings: Settings) -> Any:
    """``open_database`` for reading the settings' database, waiting ``MP_LOCK_WAIT`` for a
    load: what every reader (``mp sql``, ``mp info``, ``mp audit``, the MCP tools) opens."""
    return open_database(settings.database_path, wait=settings.lock_wait)


def _tell_waiting(message: str) -> None:
    """A wait for the lock is starting: one line on stderr (``logging``'s last resort)."""
    logger.warning(message)


def refresh_search_path(con: Any) -> None:
    """Put every dataset schema on the search path (call again after a load adds one)."""
    schemas = dataset_schemas(con)
    search = ",".join([*schemas, "main"]).replace("'", "''")
    con.execute(f"SET search_path = '{search}'")


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
    ordered = sorted(rows, key=lambda r: (r[0] != "mixpanel", r[0], r[1]))
    return [(schema, table) for schema, table in ordered]


def resolve_table(con: Any, name: str) -> tuple[str, str]:
    """``events`` or ``dataset.events`` -> (dataset, table), as the search path would pick it.

    An unknown name raises ``TableNotFoundError`` listing the tables there are.
    """
    tables = user_tables(con)
    dataset, _, table = name.rpartition(".")
    for schema, candidate in tables:
        if candidate == table and dataset in ("", schema):
            return schema, candidate
    known = ", ".join(qualified(s, t, tables) for s, t in tables) or "none yet"
    raise TableNotFoundError(f"No table {name!r} (tables: {known}): see `mp tables`.")


def qualified(schema: str, table: str, tables: list[tuple[str, str]] | None = None) -> str:
    """The shortest name that finds a table: plain when its dataset is searched first."""
    if tables is not None and next((s for s, t in tables if t == table), None) == schema:
        return table
    return f"{schema}.{table}"


def quote(schema: str, table: str) -> str:
    """A safely quoted ``"schema"."table"`` for SQL built from catalog names."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))


def table_columns(con: Any, schema: str, table: str) -> list[tuple[str, str, bool]]:
    """(column, type, nullable) in table order."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [(name, kind, bool(nullable)) for name, kind, nullable in rows]


def table_type(columns: list[str] | set[str]) -> str:
    """``events``, ``profiles`` or ``other``, from the columns a table has."""
    have = set(columns)
    return next((kind for kind, needed in TABLE_TYPES if needed <= have), "other")


def count_rows(con: Any, schema: str, table: str) -> int:
    """Row count of one table."""
    row = con.execute(f"SELECT count(*) FROM {quote(schema, table)}").fetchone()
    return int(row[0]) if row else 0


def is_dlt_dataset(con: Any, schema: str) -> bool:
    """True when dlt loaded this schema (it holds dlt's ``_dlt_version`` table)."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = '_dlt_version'",
        [schema],
    ).fetchone()
    return bool(row and row[0])


class ThreadConnections:
    """One in-memory DuckDB per thread, opened on first use with these limits.

    Work that runs in several threads at once (parsing export batches, the PII policy) gets
    its own connection in each: DuckDB releases the GIL, and a connection is never shared.
    """

    def __init__(self, threads: int, memory_limit: str | None = None) -> None:
        self.threads = threads
        self.memory_limit = memory_limit
        self._local = threading.local()

    def get(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection."""
        con: duckdb.DuckDBPyConnection | None = getattr(self._local, "con", None)
        if con is None:
            con = memory_database(self.threads, self.memory_limit)
            self._local.con = con
        return con


def memory_database(threads: int, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with these limits (work on Arrow tables, no file)."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con
