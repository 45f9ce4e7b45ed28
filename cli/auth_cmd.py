"""``mp auth list|add|remove|switch|show|test``: named accounts in ``~/.mp/config.toml``.

The secret is never printed (``show`` redacts it) and never needs to be typed on the command
line: ``add`` prompts for it on a terminal, or reads it from stdin with ``--secret-stdin``.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer

from mixpanel_data.cli.output import emit, render_records, render_value
from mixpanel_data.cli.state import OPTIONS, interactive
from mixpanel_data.exceptions import InvalidArgumentError

app = typer.Typer(name="auth", help="Manage named Mixpanel accounts.", no_args_is_help=True)
REDACTED = "********"
ACCOUNT_COLUMNS = ("name", "username", "project_id", "region", "default")
#: The cheapest authenticated call: one event name from the Query API.
TEST_ENDPOINT = ("events/names", {"type": "general", "limit": 1})


def _store() -> Any:
    from mixpanel_data.config.accounts import AccountStore

    return AccountStore(OPTIONS.settings.config_path)


@app.command("list")
def list_accounts() -> None:
    """Accounts with username, project and region (never the secret)."""
    rows = [
        {
            "name": a.name,
            "username": a.username,
            "project_id": a.project_id,
            "region": a.region,
            "default": a.is_default,
        }
        for a in _store().list()
    ]
    emit(render_records(ACCOUNT_COLUMNS, rows, OPTIONS.format))


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the account, e.g. production.")],
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="Service account username.")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option("--secret", help="Service account secret (prefer the prompt or stdin)."),
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the secret from stdin's first line.")
    ] = False,
    project: Annotated[str | None, typer.Option("--project", help="Project id.")] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Data View (workspace) id, if any.")
    ] = None,
    region: Annotated[str, typer.Option("--region", help="us, eu or in.")] = "us",
    default: Annotated[bool, typer.Option("--default", help="Make it the default.")] = False,
) -> None:
    """Store an account (file mode 0600); the first one becomes the default."""
    from mixpanel_data.config.credentials import Credentials

    value = _secret(secret, secret_stdin)
    credentials = Credentials(
        secret=value,
        username=username or None,
        project_id=project or OPTIONS.project,
        region=region.lower(),  # type: ignore[arg-type]
        source=f"account {name!r}",
        workspace_id=workspace or OPTIONS.workspace,
    )
    store = _store()
    store.add(name, credentials, make_default=default)
    is_default = next(a.is_default for a in store.list() if a.name == name)
    OPTIONS.status(f"Added account {name!r}" + (" (default)." if is_default else "."))
    emit(render_value({"account": name, "default": is_default}, OPTIONS.format))


def _secret(given: str | None, from_stdin: bool) -> str:
    if given and from_stdin:
        raise InvalidArgumentError("Pass --secret or --secret-stdin, not both.")
    if from_stdin:
        value = sys.stdin.readline().strip()
    elif given:
        value = given
    elif interactive():
        value = typer.prompt("Secret", hide_input=True, err=True).strip()
    else:
        raise InvalidArgumentError(
            "No secret: not on a terminal, so pipe it in with --secret-stdin."
        )
    if not value:
        raise InvalidArgumentError("The secret is empty.")
    return value


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Account to delete.")]) -> None:
    """Delete an account (the default moves to another one)."""
    _store().remove(name)
    OPTIONS.status(f"Removed account {name!r}.")
    emit(render_value({"removed": name}, OPTIONS.format))


@app.command("switch")
def switch(name: Annotated[str, typer.Argument(help="Account to make the default.")]) -> None:
    """Make an account the default."""
    _store().set_default(name)
    OPTIONS.status(f"Default account is now {name!r}.")
    emit(render_value({"default": name}, OPTIONS.format))


@app.command("show")
def show(
    name: Annotated[str | None, typer.Argument(help="Account (default: the default).")] = None,
) -> None:
    """One account's settings, the secret redacted."""
    store = _store()
    accounts = store.list()
    wanted = name or next((a.name for a in accounts if a.is_default), None)
    if wanted is None:
        store.credentials("(default)")  # raises the not-found error listing known accounts
    found = store.credentials(wanted)
    doc = {
        "name": wanted,
        "username": found.username,
        "secret": REDACTED,
        "project_id": found.project_id,
        "workspace_id": found.workspace_id,
        "region": found.region,
        "default": any(a.is_default and a.name == wanted for a in accounts),
        "kind": "legacy project secret" if found.is_legacy else "service account",
        "file_layout": store.layout(),
    }
    emit(render_value(doc, OPTIONS.format))


@app.command("test")
def test(
    name: Annotated[
        str | None, typer.Argument(help="Account (default: whatever `mp run` would use).")
    ] = None,
) -> None:
    """Make cheap authenticated calls; report region, project, Data View and the project's
    time zone (exit 2 if refused). The zone is what Mixpanel's /me reports to a service account
    (or the project_timezone setting), the one `mp run` uses for "today" and event_date. A
    legacy project secret is reported with Mixpanel's retirement date."""
    from mixpanel_data.api import make_client
    from mixpanel_data.config.credentials import LEGACY_SECRET_NOTICE
    from mixpanel_data.config.resolve import resolve_credentials
    from mixpanel_data.run.project import describe_project

    settings = OPTIONS.settings
    credentials = resolve_credentials(
        account=name or OPTIONS.account,
        project_id=OPTIONS.project,
        workspace_id=OPTIONS.workspace,
        settings=settings,
    )
    started = time.monotonic()
    with make_client(credentials, settings) as client:
        project = describe_project(client, _configured_zone())
        path, params = TEST_ENDPOINT
        client.query(path, params)
        host = client.hosts.origin("query")
    doc = {
        "ok": True,
        "account": name or OPTIONS.account,
        "credentials_from": credentials.source,
        "username": credentials.username,
        "project_id": credentials.project_id,
        "workspace_id": credentials.workspace_id,
        "project_name": project.name,
        "region": credentials.region,
        "timezone": project.timezone,
        "timezone_source": project.timezone_source,
        "host": host,
        "seconds": round(time.monotonic() - started, 3),
        "warnings": [LEGACY_SECRET_NOTICE] if credentials.is_legacy else [],
    }
    zone = project.timezone or "unknown (set project_timezone)"
    view = f", Data View {credentials.workspace_id}" if credentials.workspace_id else ""
    OPTIONS.status(
        f"Authenticated: project {credentials.project_id}{view} in {credentials.region}, "
        f"time zone {zone}."
    )
    emit(render_value(doc, OPTIONS.format))


def _configured_zone() -> str | None:
    """``project_timezone`` as `mp run events` would see it (pipelines.yaml, then dlt config)."""
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.config.sources import source_setting

    options = get_pipeline("events", OPTIONS.settings.pipelines_file).options
    zone = source_setting("project_timezone", options)
    return str(zone) if zone else None


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="auth")
