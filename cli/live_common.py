"""What the live-query commands share: their client, reusable options and output.

The client is lazy: credentials are resolved (``--account``/``--project``/``--workspace``,
then the documented order) only when the first request is about to go out, so bad input is
refused (exit 3) before anything else happens and without a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixpanel_data.cli.output import emit, render_rows
from mixpanel_data.cli.state import OPTIONS

if TYPE_CHECKING:
    from mixpanel_data.config.credentials import Credentials
    from mixpanel_data.live import LazyClient

TZ_NOTE = "Dates are inclusive days in the project's time zone."

FromOpt = Annotated[
    str, typer.Option("--from", help="First day, YYYY-MM-DD (project time zone, inclusive).")
]
ToOpt = Annotated[
    str, typer.Option("--to", help="Last day, YYYY-MM-DD (project time zone, inclusive).")
]
OptionalFrom = Annotated[
    str | None, typer.Option("--from", help="First day, YYYY-MM-DD (project time zone).")
]
OptionalTo = Annotated[
    str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (project time zone).")
]
OnOpt = Annotated[
    str | None,
    typer.Option("--on", help="Break down by a property expression, e.g. 'properties[\"$os\"]'."),
]
WhereOpt = Annotated[
    str | None,
    typer.Option("--where", help='Filter expression, e.g. \'properties["plan"] == "pro"\'.'),
]


def limit_option(default: int, what: str) -> Any:
    """A ``--limit N`` option with its own default."""
    return typer.Option("--limit", help=f"At most this many {what} (default {default}).")


@contextmanager
def live_api() -> Iterator[LazyClient]:
    """A lazily built client for the global ``--account``/``--project``/``--workspace``; closed
    afterwards."""
    from mixpanel_data.live import LazyClient, live_client

    with LazyClient(
        lambda: live_client(
            credentials=cli_credentials(),
            settings=OPTIONS.settings,
            on_wait=OPTIONS.waiting,
        )
    ) as client:
        yield client


def cli_credentials(account: str | None = None) -> Credentials:
    """Credentials for the global ``--account``, ``--project`` and ``--workspace`` (``account``
    replaces ``--account`` when given), resolved in the documented order."""
    from mixpanel_data.config.resolve import resolve_credentials

    return resolve_credentials(
        account=account or OPTIONS.account,
        project_id=OPTIONS.project,
        workspace_id=OPTIONS.workspace,
        settings=OPTIONS.settings,
    )


def emit_records(columns: tuple[str, ...] | list[str], records: list[dict[str, Any]]) -> None:
    """Rows to stdout in the chosen ``--format``."""
    emit(render_rows(list(columns), [[r.get(c) for c in columns] for r in records], OPTIONS.format))


def configured_target() -> dict[str, Any] | None:
    """The project and Data View that live commands and `mp run` would use (no request made).

    None without credentials: ``mp info`` is a local command, so a broken accounts file is a
    warning on stderr there, not an error.
    """
    from mixpanel_data.exceptions import AuthenticationError, MixpanelDataError

    try:
        found = cli_credentials()
    except AuthenticationError:
        return None
    except MixpanelDataError as exc:
        OPTIONS.status(f"warning: Mixpanel project not shown: {exc.message}")
        return None
    return {
        "project_id": found.project_id,
        "workspace_id": found.workspace_id,
        "region": found.region,
        "credentials_from": found.source,
    }
