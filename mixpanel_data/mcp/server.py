"""``mp mcp``: both data paths as Model Context Protocol tools, served over stdio.

Built on the official SDK's ``MCPServer`` (``mcp.server.mcpserver``): each tool is a plain
function whose type hints become its input schema; the SDK runs synchronous tools in worker
threads and diverts stray writes to fd 1 onto stderr, so only protocol messages reach stdout.
A tool answers one compact text (CSV rows or brief JSON, see ``answers``); a failure is an MCP
tool error (``is_error``) carrying one line (``errors``), never a traceback or a secret.

    local (free, after `mp run`)    tables, schema, sql, list_queries, run_query, freshness
    live (Query API, 60/hour)       events, properties, values, funnels, segmentation, funnel,
                                    retention, verify (local counts against Mixpanel's)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from mixpanel_data.mcp.answers import Caps
from mixpanel_data.mcp.errors import arguments_message, one_line_errors
from mixpanel_data.mcp.live_tools import LiveTools
from mixpanel_data.mcp.local_tools import LocalTools

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings

INSTRUCTIONS = """\
Mixpanel data along two paths. Local: events and profiles loaded into DuckDB by `mp run`; \
free and unlimited (tables, schema, sql, list_queries, run_query, freshness). Live: Mixpanel's \
Query API, 60 requests/hour per project (events, properties, values, funnels, segmentation, \
funnel, retention, verify). Look first (freshness, tables, schema), aggregate in SQL, never \
SELECT * without LIMIT. Dates are YYYY-MM-DD days in the project's time zone. Answers are CSV; \
a '# truncated' line says rows were cut."""

Day = Annotated[str, Field(description="YYYY-MM-DD, project time zone, inclusive.")]
MaxRows = Annotated[
    int | None, Field(description="Most rows in the answer (default 50, at most the server's).")
]
MaxBytes = Annotated[
    int | None, Field(description="Most bytes in the answer (default 2000, at most the server's).")
]
Params = Annotated[
    dict[str, str | int | float | bool] | None,
    Field(description="Values bound to $name placeholders (never pasted into the SQL)."),
]
Expr = Annotated[str | None, Field(description='Expression, e.g. properties["$os"].')]
Limit = Annotated[int, Field(description="At most this many rows.", ge=1, le=1000)]

LOCAL = ToolAnnotations(read_only_hint=True, open_world_hint=False, idempotent_hint=True)
LIVE = ToolAnnotations(read_only_hint=True, open_world_hint=True)


class MixpanelDataServer(MCPServer[Any]):
    """``MCPServer`` whose argument errors are one line too (pydantic's are a page)."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            message = f"Error executing tool {name}: {arguments_message(exc.__cause__)}"
            raise ToolError(message) from exc.__cause__


def build_server(
    settings: Settings,
    *,
    account: str | None = None,
    project: str | None = None,
    workspace: str | None = None,
    caps: Caps | None = None,
    sql_timeout: float = 30.0,
) -> MixpanelDataServer:
    """An ``MCPServer`` with every tool bound to these settings (read once, at startup)."""
    local = LocalTools(settings, caps or Caps(), sql_timeout)
    live = LiveTools(settings, caps or Caps(), account, project, workspace)

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            live.close()

    server = MixpanelDataServer(
        "mixpanel-data",
        instructions=INSTRUCTIONS,
        version=_version(),
        lifespan=lifespan,
        log_level="WARNING",
    )

    def add(fn: Callable[..., str], annotations: ToolAnnotations) -> None:
        server.add_tool(one_line_errors(fn), annotations=annotations, structured_output=False)

    def tables() -> str:
        """Local tables with type (events, profiles, other) and row count."""
        return local.tables()

    def schema(
        table: Annotated[str, Field(description="A table name: events, profiles, ...")],
    ) -> str:
        """Columns and types of a local table; properties is JSON (properties->>'$.name')."""
        return local.schema(table)

    def sql(
        query: Annotated[str, Field(description="One SELECT (DuckDB SQL) on the local tables.")],
        params: Params = None,
        max_rows: MaxRows = None,
        max_bytes: MaxBytes = None,
    ) -> str:
        """Run one read-only SELECT on the local database; writes and file access are refused."""
        return local.sql(query, params, max_rows, max_bytes)

    def list_queries() -> str:
        """The ready SQL files (queries/): name, parameters (name=default, * required), answers."""
        return local.list_queries()

    def run_query(
        name: Annotated[str, Field(description="A query name from list_queries, e.g. top_events.")],
        params: Params = None,
        max_rows: MaxRows = None,
        max_bytes: MaxBytes = None,
    ) -> str:
        """Run a ready SQL file from queries/ with its parameters (`mp sql queries/NAME.sql`)."""
        return local.run_query(name, params, max_rows, max_bytes)

    def freshness() -> str:
        """What is loaded: rows per table, days covered, each pipeline's last load and cursor."""
        return local.freshness()

    local_tools: tuple[Callable[..., str], ...] = (
        tables,
        schema,
        sql,
        list_queries,
        run_query,
        freshness,
    )
    for fn in local_tools:
        add(fn, LOCAL)

    def events(limit: Limit = 50) -> str:
        """Event names seen in the last 31 days, in alphabetical order (live)."""
        return live.events(limit)

    def properties(
        event: Annotated[str, Field(description="An event name.")], limit: Limit = 20
    ) -> str:
        """An event's most common property names over the last 31 days, with counts (live)."""
        return live.properties(event, limit)

    def values(
        event: Annotated[str, Field(description="An event name.")],
        property: Annotated[str, Field(description="A property name, e.g. $browser.")],
        limit: Limit = 20,
    ) -> str:
        """The most common values of an event's property over the last 31 days (live)."""
        return live.values(event, property, limit)

    def funnels() -> str:
        """Saved funnels: id and name, for the funnel tool (live)."""
        return live.funnels()

    def segmentation(
        event: Annotated[str, Field(description="The event to count.")],
        from_date: Day,
        to_date: Day,
        unit: Annotated[str, Field(description="minute, hour, day, week or month.")] = "day",
        on: Expr = None,
        where: Expr = None,
        type: Annotated[str, Field(description="general (events), unique (users), average.")] = (
            "general"
        ),
        limit: Annotated[int | None, Field(description="Top segments with on.")] = None,
    ) -> str:
        """Counts of an event per date (and segment with on), with the total (live)."""
        return live.segmentation(event, from_date, to_date, unit, on, where, type, limit)

    def funnel(
        funnel_id: Annotated[int, Field(description="A saved funnel's id (see funnels).")],
        from_date: Day,
        to_date: Day,
        on: Expr = None,
        where: Expr = None,
    ) -> str:
        """A saved funnel over the range: each step's users and conversions (live)."""
        return live.funnel(funnel_id, from_date, to_date, on, where)

    def retention(
        born_event: Annotated[
            str | None, Field(description="The event that puts a user in a cohort.")
        ],
        from_date: Day,
        to_date: Day,
        return_event: Annotated[str | None, Field(description="Counted as a return; any.")] = None,
        unit: Annotated[str, Field(description="day, week or month.")] = "day",
        interval_count: Annotated[int, Field(description="Periods after the 0th.", ge=1)] = 1,
        retention_type: Annotated[str, Field(description="birth or compounded.")] = "birth",
        where: Expr = None,
    ) -> str:
        """Retention cohorts: per cohort date and period, users and rate (live)."""
        return live.retention(
            born_event,
            from_date,
            to_date,
            return_event,
            unit,
            interval_count,
            retention_type,
            where,
        )

    def verify(
        from_date: Annotated[str | None, Field(description="First day; default: all.")] = None,
        to_date: Annotated[str | None, Field(description="Last day; default: all.")] = None,
        events: Annotated[
            list[str] | None, Field(description="Only these events; default: every one.")
        ] = None,
        pipeline: Annotated[str, Field(description="The events pipeline.")] = "events",
    ) -> str:
        """Local per-day, per-event counts against Mixpanel's own (`mp verify`): the verdict,
        each difference, skipped days and the `mp run` that reloads the differing days."""
        return live.verify(from_date, to_date, events, pipeline)

    live_tools: tuple[Callable[..., str], ...] = (
        events,
        properties,
        values,
        funnels,
        segmentation,
        funnel,
        retention,
        verify,
    )
    for tool in live_tools:
        add(tool, LIVE)
    return server


def serve(settings: Settings, **options: Any) -> None:
    """Serve ``build_server(settings, **options)`` on stdin/stdout until the client leaves."""
    build_server(settings, **options).run("stdio")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mixpanel-data")
    except PackageNotFoundError:
        return "0"
