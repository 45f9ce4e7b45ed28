"""The ``mp`` command: a thin Typer layer over the library; one module per command group.

Each group module has a ``register(app)`` function, called below (one import and one line per
group). Heavy imports (dlt, pandas, duckdb) happen inside commands, so ``mp --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from mixpanel_data.cli import (
    audit_cmd,
    auth_cmd,
    demo_cmd,
    discovery_cmd,
    errors,
    local_cmd,
    pipelines_cmd,
    query_cmd,
    run_cmd,
    schedule_cmd,
    sql_cmd,
    verify_cmd,
)
from mixpanel_data.cli.output import FORMATS, default_format
from mixpanel_data.cli.state import OPTIONS

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings

app = typer.Typer(
    name="mp",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _format(value: str | None) -> str:
    fmt = value or default_format()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}.")
    return fmt


@app.callback()
def root(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", "-a", help="Named account from ~/.mp/config.toml.")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Override the project id.")
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="json, jsonl, csv or table (default: table on a terminal, else json; MP_FORMAT).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or status.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="More detail on stderr.")
    ] = False,
) -> None:
    """Mixpanel data, loaded once with dlt into DuckDB, asked with SQL.

    Data goes to stdout, status and progress to stderr. Exit codes: 0 ok, 1 error,
    2 authentication, 3 invalid input, 4 not found, 5 rate limited, 130 interrupted.
    """
    OPTIONS.reset()
    OPTIONS.account = account
    OPTIONS.project = project
    OPTIONS.format = _format(format)
    OPTIONS.quiet = quiet
    OPTIONS.verbose = verbose
    ctx.call_on_close(OPTIONS.configure_logging())


auth_cmd.register(app)
run_cmd.register(app)
sql_cmd.register(app)
local_cmd.register(app)
pipelines_cmd.register(app)
demo_cmd.register(app)
query_cmd.register(app)
discovery_cmd.register(app)
audit_cmd.register(app)
schedule_cmd.register(app)
verify_cmd.register(app)


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the command inside the error boundary.

    Returns the documented exit code; tests call this directly. ``settings`` replaces what the
    command would read from ``MP_*`` (an embedding program's own, or a test's clock).
    """
    from mixpanel_data.cli.argv import hoist_global_options

    args = sys.argv[1:] if argv is None else list(argv)
    OPTIONS.given_settings = settings

    def invoke() -> Any:
        command = typer.main.get_command(app)
        return command.main(
            args=hoist_global_options(args, command), prog_name="mp", standalone_mode=False
        )

    return errors.guarded(invoke)


def run() -> None:
    """Console-script entry point: one error boundary, documented exit codes."""
    sys.exit(main())


__all__ = ["app", "click", "main", "run"]
