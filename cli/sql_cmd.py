"""``mp sql QUERY_OR_FILE [--param name=value ...] [--scalar]``: SQL on the local database.

Imports only DuckDB (no dlt, no pandas), so it starts fast. The work is
``mixpanel_data.local.catalog.run_sql``, the same function behind ``Workspace.sql_rows``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mixpanel_data.cli.output import emit, render_scalar, write_rows
from mixpanel_data.cli.state import OPTIONS

EXAMPLES = """
Examples:

  mp sql "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 5"

  mp sql queries/daily_active_users.sql --param from_date=2024-01-01

  mp sql --scalar "SELECT count(DISTINCT distinct_id) FROM events"
"""


def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="Inline SQL, a .sql file (queries/NAME.sql works from anywhere), or - for stdin."
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-P", help="name=value, bound to $name (repeatable)."),
    ] = None,
    scalar: Annotated[
        bool,
        typer.Option(
            "--scalar",
            help="Print the one value as plain text; not exactly one row and column: exit 3.",
        ),
    ] = False,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", help="Ask this pipeline's destination (Postgres, lake, ...)."),
    ] = None,
) -> None:
    """Run SQL on the local database; tables answer to plain names (events, profiles).

    Parameters are bound by DuckDB, never pasted into the text. A parameter the query uses but
    was not given (and has no `-- param: name = default` header), or one given but not used,
    is an error naming it (exit 3).
    """
    from mixpanel_data.local.catalog import read_query, sql_text, stream_query
    from mixpanel_data.local.connection import open_settings_database
    from mixpanel_data.local.sqlparams import parse_assignments

    text = sql_text(sys.stdin.buffer.read(), "stdin") if query == "-" else read_query(query)
    params = parse_assignments(param or [])
    if pipeline:
        from mixpanel_data.config.pipelines import get_pipeline
        from mixpanel_data.destinations.query import open_connection

        settings = OPTIONS.settings
        con = open_connection(get_pipeline(pipeline, settings.pipelines_file), settings)
    else:
        con = open_settings_database(OPTIONS.settings)
    try:
        result = stream_query(con, text, params)
        if scalar:
            emit(render_scalar(result.one()))
            return
        fmt = OPTIONS.format
        raw = result.json_columns if fmt == "csv" else ()
        write_rows(result.columns, result.batches(json_text=fmt == "csv"), fmt, raw)
    finally:
        con.close()


def register(app: typer.Typer) -> None:
    app.command("sql", epilog=EXAMPLES)(sql)
