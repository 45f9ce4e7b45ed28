"""Commands on the local database: ``sql``, ``tables``, ``info``, ``pipelines``, ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from mixpanel_data.cli.output import emit, render_rows, render_value
from mixpanel_data.cli.state import OPTIONS

from mixpanel_data.exceptions import QueryError, QueryFileNotFoundError


def sql(
    query: Annotated[str, typer.Argument(help="Inline SQL, or a path to a .sql file.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="name=value, bound to $name (repeatable).")
    ] = None,
    scalar: Annotated[bool, typer.Option("--scalar", help="Print only the first value.")] = False,
) -> None:
    """Run SQL on the local database; tables answer to plain names (events, profiles)."""
    import duckdb

    from mixpanel_data.sqlparams import bind, parse_assignments
    from mixpanel_data.storage import open_database

    text = _query_text(query)
    values = bind(text, parse_assignments(param or []))
    con = open_database()
    try:
        cursor = con.execute(text, values) if values else con.execute(text)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise QueryError(f"SQL failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    if scalar:
        emit("" if not rows else str(rows[0][0]))
        return
    emit(render_rows(columns, rows, OPTIONS.format))


def _query_text(query: str) -> str:
    if query.strip().lower().endswith(".sql") and "\n" not in query:
        path = Path(query)
        if not path.is_file():
            raise QueryFileNotFoundError(
                f"No SQL file at {path}: check the path (try `ls queries/`)."
            )
        return path.read_text(encoding="utf-8")
    return query


def tables() -> None:
    """List local tables with row counts."""
    from mixpanel_data.storage import open_database, user_tables

    con = open_database()
    try:
        out = [
            (t, s, con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0])
            for s, t in user_tables(con)
        ]
    finally:
        con.close()
    emit(render_rows(["table", "dataset", "rows"], out, OPTIONS.format))


def info() -> None:
    """Where the database lives, its size, tables and the date range loaded."""
    from mixpanel_data.paths import data_dir, default_database_path
    from mixpanel_data.storage import open_database

    path = default_database_path()
    result: dict[str, object] = {
        "data_dir": str(data_dir()),
        "database": str(path),
        "exists": path.exists(),
        "size_bytes": path.stat().st_size if path.exists() else 0,
    }
    if path.exists():
        con = open_database()
        try:
            result["tables"] = _table_summaries(con)
        finally:
            con.close()
    emit(render_value(result, OPTIONS.format))


def _table_summaries(con: Any) -> list[dict[str, object]]:
    from mixpanel_data.storage import user_tables

    out = []
    for schema, table in user_tables(con):
        entry: dict[str, object] = {"table": table, "dataset": schema}
        entry["rows"] = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
        if table == "events":
            lo, hi = con.execute(
                f'SELECT min(export_date), max(export_date) FROM "{schema}"."events"'
            ).fetchone()
            entry["date_range"] = [str(lo), str(hi)] if lo else None
        out.append(entry)
    return out


def pipelines() -> None:
    """List pipelines (built-ins and pipelines.yaml) with resources, destination and schedule."""
    from mixpanel_data.pipelines import load_pipelines

    rows = [
        (
            s.name,
            ",".join(s.resources),
            s.destination,
            s.dataset,
            s.schedule.cron if s.schedule else None,
        )
        for s in load_pipelines().values()
    ]
    emit(
        render_rows(
            ["name", "resources", "destination", "dataset", "schedule"], rows, OPTIONS.format
        )
    )


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)
    app.command("tables")(tables)
    app.command("info")(info)
    app.command("pipelines")(pipelines)
    _ = QueryError
