"""``mp mcp``: serve the local database and the live API to an agent over MCP (stdio).

Settings, account and project are read here, once, as for every command (``-a``/``-p`` and
``MP_*``); the server keeps them for its life. stdout carries only the protocol, so nothing is
printed there; the server's own warnings go to stderr.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mixpanel_data.cli.state import OPTIONS

EXAMPLES = """
Examples (an agent host starts it; it waits for MCP messages on stdin):

  mp mcp

  MP_DATA_DIR=.mp-demo mp mcp --max-rows 200
"""


def mcp(
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Most rows any answer may hold.")
    ] = 1000,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=200, help="Most bytes any answer may hold.")
    ] = 32000,
    sql_timeout: Annotated[
        float,
        typer.Option("--sql-timeout", min=1, help="Seconds before a local SQL query is stopped."),
    ] = 30.0,
) -> None:
    """Serve Model Context Protocol tools over stdio: local SQL and the live Mixpanel API.

    Tools: tables, schema, sql (read-only), list_queries, run_query, freshness; events,
    properties, values, funnels, segmentation, funnel, retention, verify. Answers are compact
    CSV (50 rows / 2000 bytes unless a call asks for more, up to --max-rows/--max-bytes).
    """
    from mixpanel_data.mcp import serve
    from mixpanel_data.mcp.answers import Caps

    settings = OPTIONS.settings
    if sys.stdin.isatty():
        OPTIONS.status(
            "mp mcp speaks the Model Context Protocol on stdin/stdout: register it with an agent "
            "host (see README, 'For agents: an MCP server'); Ctrl+D or Ctrl+C stops it."
        )
    serve(
        settings,
        account=OPTIONS.account,
        project=OPTIONS.project,
        workspace=OPTIONS.workspace,
        caps=Caps(max_rows=max_rows, max_bytes=max_bytes),
        sql_timeout=sql_timeout,
    )


def register(app: typer.Typer) -> None:
    app.command("mcp", epilog=EXAMPLES)(mcp)
