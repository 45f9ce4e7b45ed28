"""The local database as ``mp sql``, ``mp tables``, ``mp schema`` and ``mp info`` see it.

Small functions over an open DuckDB connection (``connection.open_database``) so the CLI, the
``Workspace`` and a future ``--pipeline`` option (another destination) share one code path.
SQL parameters are always bound by DuckDB, never pasted into the text (``sqlparams``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import (
    InvalidArgumentError,
    QueryError,
    QueryFileNotFoundError,
    TableNotFoundError,
)
from mixpanel_data.results import ColumnInfo, DatabaseInfo, DateRange, SqlResult, TableInfo
from mixpanel_data.results import TableSchema as TableSchemaResult

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.local.sqlstream import SqlStream
from mixpanel_data.local.connection import (
    count_rows,
    qualified,
    quote,
    resolve_table,
    table_columns,
    table_type,
    user_tables,
)
from mixpanel_data.queries import queries_dir


def packaged_queries() -> list[str]:
    """Names of the shipped ``.sql`` files."""
    return sorted(p.name for p in queries_dir().glob("*.sql"))


def is_query_file(query: str) -> bool:
    """Whether ``mp sql``'s argument names a file rather than holding SQL."""
    text = query.strip()
    return text.lower().endswith(".sql") and "\n" not in text and " " not in text


def read_query(query: str) -> str:
    """Inline SQL as is, or the text of a ``.sql`` file.

    A path that does not exist but names a shipped query (``queries/funnel.sql`` or just
    ``funnel.sql``) reads the shipped copy, so the library works from any directory.
    """
    if not is_query_file(query):
        return query
    path = Path(query.strip()).expanduser()
    if path.is_file():
        return sql_text(path.read_bytes(), str(path))
    shipped = queries_dir() / path.name
    if path.parent in (Path(), Path("queries")) and shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    raise QueryFileNotFoundError(
        f"No SQL file at {path}: check the path; shipped queries are "
        f"{', '.join('queries/' + n for n in packaged_queries())}."
    )


def sql_text(data: bytes, where: str) -> str:
    """SQL read from a file or stdin: UTF-8, or one line saying so (never a codec traceback)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgumentError(
            f"{where} is not UTF-8 text (byte {exc.start}): save the SQL as UTF-8."
        ) from None


def run_sql(con: Any, text: str, params: dict[str, str] | None = None) -> SqlResult:
    """Run one statement with its ``$name`` parameters bound; DuckDB errors become ours."""
    import duckdb

    from mixpanel_data.local.sqlparams import bind

    values = bind(text, params or {})
    try:
        cursor = con.execute(text, values) if values else con.execute(text)
        columns = tuple(d[0] for d in cursor.description or [])
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise sql_error(exc, values) from None
    return SqlResult(columns, rows)


def stream_query(con: Any, text: str, params: dict[str, str] | None = None) -> SqlStream:
    """``run_sql`` read in batches (``mp sql``): memory stays flat however many rows come back."""
    from mixpanel_data.local.sqlparams import bind
    from mixpanel_data.local.sqlstream import stream_sql

    values = bind(text, params or {})
    return stream_sql(con, text, values, lambda exc: _query_error(exc, values))


def _query_error(exc: Exception, values: dict[str, str]) -> Exception:
    import duckdb

    return sql_error(exc, values) if isinstance(exc, duckdb.Error) else exc


def sql_error(exc: Exception, values: dict[str, str]) -> Exception:
    """A missing table is 'not found', a parameter DuckDB cannot convert is bad input."""
    import duckdb

    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.CatalogException) and "Table with name" in first:
        name = first.split("Table with name", 1)[1].split("does not exist")[0].strip()
        return TableNotFoundError(
            f"No table {name!r}: see `mp tables`, or load it with `mp run events`."
        )
    if isinstance(exc, duckdb.ConversionException) and any(
        v and v in first for v in values.values()
    ):
        return InvalidArgumentError(f"Bad parameter value: {first}")
    return QueryError(f"SQL failed: {first}")


def list_tables(con: Any) -> list[TableInfo]:
    """Every loaded table with its type and row count (dlt bookkeeping left out)."""
    tables = user_tables(con)
    out = []
    for schema, table in tables:
        columns = [c[0] for c in table_columns(con, schema, table)]
        out.append(
            TableInfo(
                name=qualified(schema, table, tables),
                dataset=schema,
                table=table,
                type=table_type(columns),
                rows=count_rows(con, schema, table),
            )
        )
    return out


def table_schema(con: Any, name: str) -> TableSchemaResult:
    """The columns of ``name`` (``events`` or ``dataset.events``)."""
    schema, table = resolve_table(con, name)
    columns = tuple(
        ColumnInfo(n, t, nullable) for n, t, nullable in table_columns(con, schema, table)
    )
    return TableSchemaResult(
        table=qualified(schema, table, user_tables(con)),
        dataset=schema,
        type=table_type([c.name for c in columns]),
        columns=columns,
    )


def date_ranges(con: Any, tables: list[TableInfo]) -> list[DateRange]:
    """First and last day loaded of every events table."""
    out = []
    for info in tables:
        if info.type != "events":
            continue
        row = con.execute(
            "SELECT min(event_date), max(event_date), count(DISTINCT event_date), "
            f"min(export_date), max(export_date) FROM {quote(info.dataset, info.table)}"
        ).fetchone()
        first, last, days, first_export, last_export = row
        out.append(
            DateRange(
                table=info.name,
                first_day=_text(first),
                last_day=_text(last),
                days=int(days or 0),
                first_export_date=_text(first_export),
                last_export_date=_text(last_export),
            )
        )
    return out


def database_info(settings: Settings, con: Any = None, path: Path | None = None) -> DatabaseInfo:
    """Path, size, tables, date ranges and last run per pipeline of the settings' database.

    Pass ``con`` to reuse an open connection (DuckDB refuses a second one with other settings
    in the same process); otherwise a read-only one is opened and closed here. ``path`` names
    another database file (``Workspace.open``).
    """
    from mixpanel_data.local.connection import open_database
    from mixpanel_data.local.loadinfo import pipeline_statuses

    path = path or settings.database_path
    data_dir = settings.data_dir
    if not path.exists():
        return DatabaseInfo(str(path), str(data_dir), exists=False, size_bytes=0)
    own = con is None
    con = open_database(path, wait=settings.lock_wait) if own else con
    try:
        tables = list_tables(con)
        return DatabaseInfo(
            database=str(path),
            data_dir=str(data_dir),
            exists=True,
            size_bytes=_size(path),
            tables=tuple(tables),
            date_ranges=tuple(date_ranges(con, tables)),
            pipelines=tuple(pipeline_statuses(con, settings.pipelines_file)),
        )
    finally:
        if own:
            con.close()


def schedule_history(settings: Settings) -> list[dict[str, Any]]:
    """``mp schedule status``'s rows per scheduled pipeline, once the scheduler has a history.

    Empty (and nothing created on disk) until the schedule history file exists.
    """
    from mixpanel_data.local.history import HISTORY_FILE

    if not (settings.schedule_dir / HISTORY_FILE).is_file():
        return []
    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.local.history import status_of

    specs = load_pipelines(settings.pipelines_file).values()
    return [status_of(settings.schedule_dir, spec) for spec in specs if spec.schedule]


def _size(path: Path) -> int:
    """The database file plus its write-ahead log, if one is pending."""
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
