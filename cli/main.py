"""The ``mp`` command: a thin Typer layer over the library; one module per command group.

Heavy imports (dlt, pandas, duckdb) happen inside commands, so ``mp --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer
from mixpanel_data.cli import demo_cmd, discovery_cmd, errors, local_cmd, query_cmd, run_cmd
from mixpanel_data.cli.output import FORMATS, default_format
from mixpanel_data.cli.state import OPTIONS

app = typer.Typer(
    name="mp",
    help="Mixpanel data, loaded once with dlt into DuckDB, asked with SQL.",
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
    """Global options."""
    OPTIONS.account = account
    OPTIONS.project = project
    OPTIONS.format = _format(format)
    OPTIONS.quiet = quiet
    OPTIONS.verbose = verbose


run_cmd.register(app)
local_cmd.register(app)
demo_cmd.register(app)
query_cmd.register(app)
discovery_cmd.register(app)


def run() -> None:
    """Console-script entry point: one error boundary, documented exit codes."""

    def main() -> None:
        app(standalone_mode=False)

    code = errors.guarded(main)
    sys.exit(code)


__all__ = ["app", "click", "run"]
