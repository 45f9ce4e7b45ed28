"""The ``mp`` command: a thin Typer layer over the library; one module per command group.

Each group module has a ``register(app)`` function, called below (one import and one line per
group). Heavy imports (dlt, pandas, duckdb) happen inside commands, so ``mp --help`` stays fast.
"""

from __future__ import annotations

import contextlib
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
    mcp_cmd,
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
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _format(value: str | None) -> str:
    fmt = value or default_format()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}.")
    return fmt


def _version(value: bool) -> None:
    """``mp --version``: the installed mixpanel-data version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mixpanel-data")
        except PackageNotFoundError:  # run from a checkout that was never installed
            found = "unknown (not installed)"
        print(f"mixpanel-data {found}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", "-a", help="Named account from ~/.mp/config.toml.")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Override the project id.")
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", help="Data View (workspace) id for Query and App API calls."),
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
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Mixpanel data, loaded once with dlt into DuckDB, asked with SQL.

    Data goes to stdout, status and progress to stderr. Exit codes: 0 ok, 1 error,
    2 authentication, 3 invalid input, 4 not found, 5 rate limited, 130 interrupted.
    """
    OPTIONS.reset()
    OPTIONS.account = account
    OPTIONS.project = project
    OPTIONS.workspace = workspace
    OPTIONS.format = _format(format)
    OPTIONS.quiet = quiet
    OPTIONS.verbose = verbose
    ctx.call_on_close(OPTIONS.configure_logging())
    ctx.call_on_close(OPTIONS.show_notices())
    if account and ctx.invoked_subcommand != "auth":
        _check_account(account)
    pipelines_cmd.check_named_file(ctx.invoked_subcommand)


def _check_account(name: str) -> None:
    """An unknown ``--account`` is an error for every command (exit 4), also for the local ones
    that need no credentials (``mp -a nope tables``), rather than silently ignored."""
    from mixpanel_data.config.accounts import AccountStore
    from mixpanel_data.exceptions import AuthenticationError

    with contextlib.suppress(AuthenticationError):  # it exists, of a kind live commands refuse
        AccountStore(OPTIONS.settings.config_path).credentials(name)


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
mcp_cmd.register(app)


#: Metavars for options whose name does not say what to write.
METAVARS = {"param": "NAME=VALUE", "from_date": "YYYY-MM-DD", "to_date": "YYYY-MM-DD"}


def tidy_help(command: Any) -> Any:
    """Help that shows what to type: ``--force`` rather than ``--force <bool>``, ``--param
    NAME=VALUE`` rather than ``<list[str]>`` (Typer prints the Python annotation otherwise).

    A metavar a command sets itself is kept. Applied to the whole tree, so a command group
    added later gets the same treatment.
    """
    for param in command.params:
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
            continue
        name = param.name or ""
        param.metavar = METAVARS.get(name) or name.strip("_").upper().replace("_", "-")
        if param.param_type_name == "argument":  # the name says it; no `<str>` beside it
            param.display_type_rich = lambda ctx: None
    command.help = _paragraphs(command.help)
    if command.help and not command.short_help:  # the whole first paragraph, never cut at "..."
        command.short_help = " ".join(command.help.split("\n\n")[0].split())
    command.epilog = _paragraphs(command.epilog)
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
    return command


def _paragraphs(text: str | None) -> str | None:
    """Docstring paragraphs Click may re-wrap to the terminal's width, except examples and
    lists, which keep their lines (Click's ``\\b`` marker)."""
    if not text:
        return text
    import inspect

    out = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines = para.splitlines()
        keep = any(line.startswith((" ", "\t", "mp ", "- ", "* ", "|")) for line in lines)
        out.append("\b\n" + para if keep and not para.startswith("\b") else para)
    return "\n\n".join(out)


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the command inside the error boundary.

    Returns the documented exit code; tests call this directly. ``settings`` replaces what the
    command would read from ``MP_*`` (an embedding program's own, or a test's clock).
    """
    from mixpanel_data.cli.argv import hoist_global_options

    args = sys.argv[1:] if argv is None else list(argv)
    OPTIONS.given_settings = settings

    def invoke() -> Any:
        command = tidy_help(typer.main.get_command(app))
        return command.main(
            args=hoist_global_options(args, command), prog_name="mp", standalone_mode=False
        )

    return errors.guarded(invoke)


def run() -> None:
    """Console-script entry point: one error boundary, documented exit codes."""
    sys.exit(main())


__all__ = ["app", "click", "main", "run"]
