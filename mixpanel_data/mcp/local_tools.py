"""The local database's tools: tables, schema, read-only SQL, the ``queries/`` files, freshness.

Each call opens the database read-only and closes it before answering, so the server never
holds the file between calls and a load (``mp run``) is never kept waiting by an idle agent.
SQL is refused unless it is one ``SELECT`` (or ``EXPLAIN``); the connection is read-only, and
file access (``ATTACH``, ``COPY``, ``read_csv``) is switched off and locked before the agent's
statement runs, so nothing it sends can write anywhere. The work itself is the CLI's: the
catalog of ``mp tables``/``mp schema``/``mp info`` and the parameter binding of ``mp sql``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import InvalidArgumentError, QueryError, QueryFileNotFoundError
from mixpanel_data.mcp.answers import Caps, compact_json, table

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings

#: Statement kinds an agent may run (DESCRIBE, SHOW and SUMMARIZE parse as SELECT).
READ_KINDS = ("SELECT", "EXPLAIN")
_QUERY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_HEADER = re.compile(r"^--\s*(name|answers|param):\s*(.*)$")
#: Date defaults that mean "every day loaded": shown as a bare optional name.
_ALL_DAYS = ("1970-01-01", "2999-12-31")


class LocalTools:
    """Answers from the local DuckDB file of ``settings`` (``MP_DATA_DIR``)."""

    def __init__(self, settings: Settings, caps: Caps, sql_timeout: float) -> None:
        self.settings = settings
        self.caps = caps
        self.sql_timeout = sql_timeout

    def _open(self) -> Any:
        from mixpanel_data.local.connection import open_settings_database

        return open_settings_database(self.settings)

    def tables(self) -> str:
        from mixpanel_data.local.catalog import list_tables

        con = self._open()
        try:
            found = list_tables(con)
        finally:
            con.close()
        if not found:
            return "No tables yet: load some with `mp run events --from DATE --to DATE`."
        return table(
            ("table", "type", "rows"),
            [(t.name, t.type, t.rows) for t in found],
            max_rows=self.caps.max_rows,
            max_bytes=self.caps.max_bytes,
        )

    def schema(self, table_name: str) -> str:
        from mixpanel_data.local.catalog import table_schema

        con = self._open()
        try:
            found = table_schema(con, table_name)
        finally:
            con.close()
        rows = [(c.name, c.type) for c in found.columns]
        text = table(
            ("column", "type"), rows, max_rows=self.caps.max_rows, max_bytes=self.caps.max_bytes
        )
        if "properties" in {c.name for c in found.columns}:
            text += "\n# properties is JSON: properties->>'$.plan', properties->>'$.\"$browser\"'"
        return text

    def sql(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> str:
        """One read-only statement with ``$name`` parameters bound, capped."""
        if not query.strip():
            raise InvalidArgumentError("Empty SQL: send one SELECT statement.")
        return self._run(query, params, max_rows, max_bytes)

    def list_queries(self) -> str:
        rows = []
        for name, path in sorted(query_files().items()):
            header = query_header(path.read_text(encoding="utf-8"))
            rows.append((name, " ".join(header["params"]), header.get("answers", "")))
        return table(
            ("query", "params", "answers"),
            rows,
            max_rows=self.caps.max_rows,
            max_bytes=self.caps.max_bytes,
        )

    def run_query(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> str:
        """A ``queries/`` file by name (``top_events``), as ``mp sql queries/NAME.sql -P ...``."""
        stem = name.strip().removeprefix("queries/").removesuffix(".sql")
        path = query_files().get(stem) if _QUERY_NAME.match(stem) else None
        if path is None:
            known = ", ".join(sorted(query_files())) or "none"
            raise QueryFileNotFoundError(f"No query {name!r}: the queries are {known}.")
        return self._run(path.read_text(encoding="utf-8"), params, max_rows, max_bytes)

    def freshness(self) -> str:
        """``mp info`` in brief: what is loaded, up to which day, and each pipeline's last load."""
        from mixpanel_data.local.catalog import database_info

        info = database_info(self.settings)
        if not info.exists:
            return compact_json(
                {
                    "database": info.database,
                    "loaded": False,
                    "hint": "load with `mp run events --from DATE --to DATE`",
                }
            )
        days = {d.table: f"{d.first_day}..{d.last_day} ({d.days} days)" for d in info.date_ranges}
        pipelines = [
            {
                "pipeline": p.name,
                "last_load": p.last_loaded_at,
                "cursor": p.cursors or None,
                "zone": (p.events or {}).get("event_date_zone"),
                "backfill_in_progress": (p.events or {}).get("backfill_in_progress"),
            }
            for p in info.pipelines
            if p.loads
        ]
        return compact_json(
            {
                "database": info.database,
                "size_mb": round(info.size_bytes / 1e6, 1),
                "rows": {t.name: t.rows for t in info.tables},
                "days": days,
                "pipelines": pipelines or "none loaded yet",
            }
        )

    def _run(
        self,
        text: str,
        params: Mapping[str, Any] | None,
        max_rows: int | None,
        max_bytes: int | None,
    ) -> str:
        from mixpanel_data.local.sqlparams import bind

        rows_cap, bytes_cap = self.caps.clamp(max_rows, max_bytes)
        check_read_only(text)
        values = bind(text, {k: _param_text(v) for k, v in (params or {}).items()})
        con = self._open()
        try:
            columns, rows = capped_fetch(con, text, values, rows_cap, self.sql_timeout)
        finally:
            con.close()
        if not columns:
            return "The statement returned no columns."
        if not rows:
            return table(columns, [], max_rows=rows_cap, max_bytes=bytes_cap) + "\n# no rows"
        return table(columns, rows, max_rows=rows_cap, max_bytes=bytes_cap)


def check_read_only(text: str) -> None:
    """Refuse anything but exactly one SELECT/EXPLAIN statement, before it reaches DuckDB."""
    import duckdb

    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise QueryError(f"SQL failed: {first}") from None
    if len(statements) != 1:
        raise InvalidArgumentError(
            f"Send exactly one statement (got {len(statements)}): this server runs one "
            "read-only SELECT per call."
        )
    kind = statements[0].type.name
    if kind not in READ_KINDS:
        raise InvalidArgumentError(
            f"Refused a {kind} statement: this server is read-only (SELECT, DESCRIBE, SHOW, "
            "EXPLAIN); load data with `mp run`."
        )


def capped_fetch(
    con: Any, text: str, values: dict[str, str], max_rows: int, timeout: float
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Columns and at most ``max_rows + 1`` rows (one more tells that more exist).

    File access is switched off and locked first; a statement still running after ``timeout``
    seconds is interrupted.
    """
    import duckdb

    from mixpanel_data.local.catalog import sql_error

    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    timer = threading.Timer(timeout, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cursor = con.execute(text, values) if values else con.execute(text)
        columns = tuple(d[0] for d in cursor.description or [])
        rows = cursor.fetchmany(max_rows + 1) if columns else []
    except duckdb.InterruptException:
        raise QueryError(
            f"SQL stopped after {timeout:g} s: aggregate, filter by event_date or add LIMIT."
        ) from None
    except duckdb.Error as exc:
        raise sql_error(exc, values) from None
    finally:
        timer.cancel()
    return columns, rows


def query_files() -> dict[str, Path]:
    """``{name: path}`` of the shipped queries, overridden by ``./queries/*.sql`` of the same name.

    The same files ``mp sql queries/NAME.sql`` reads (a local copy wins over the shipped one).
    """
    from mixpanel_data.queries import queries_dir

    found = {p.stem: p for p in queries_dir().glob("*.sql")}
    local = Path("queries")
    if local.is_dir():
        found.update({p.stem: p for p in local.glob("*.sql") if _QUERY_NAME.match(p.stem)})
    return found


def query_header(sql: str) -> dict[str, Any]:
    """``name``, ``answers`` and ``params`` from a query file's header, kept short for a list.

    A parameter reads ``name`` (optional, its default means "all"), ``name=default`` or
    ``name*`` (required); ``answers`` is the header's question up to its first ``?`` or ``:``.
    """
    from mixpanel_data.local.sqlparams import declared, header_defaults

    out: dict[str, Any] = {}
    for line in sql.splitlines():
        match = _HEADER.match(line.strip())
        if match and match.group(1) in ("name", "answers"):
            out.setdefault(match.group(1), match.group(2).strip())
    answers = re.split(r"(?<=\?)|:", out.get("answers", ""), maxsplit=1)[0].strip()
    out["answers"] = answers if len(answers) <= 60 else answers[:57].rsplit(" ", 1)[0] + "..."
    defaults = header_defaults(sql)
    out["params"] = [_param_shown(n, defaults.get(n)) for n in declared(sql)]
    return out


def _param_shown(name: str, default: str | None) -> str:
    if default is None:
        return f"{name}*"
    if default in _ALL_DAYS:
        return name
    return f"{name}={default}"


def _param_text(value: Any) -> str:
    """A parameter as ``mp sql -P`` would pass it: text (JSON booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
