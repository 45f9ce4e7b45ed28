"""What the live-query commands share: their client, reusable options and output.

The client is lazy: credentials are resolved (``--account``/``--project``, then the documented
order) only when the first request is about to go out, so bad input is refused (exit 3)
before anything else happens and without a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixpanel_data.cli.output import emit, render_rows
from mixpanel_data.cli.state import OPTIONS

if TYPE_CHECKING:
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
    """A lazily built client for the global ``--account``/``--project``; closed afterwards."""
    from mixpanel_data.live import LazyClient, live_client

    with LazyClient(
        lambda: live_client(
            account=OPTIONS.account,
            project_id=OPTIONS.project,
            settings=OPTIONS.settings,
            on_wait=OPTIONS.waiting,
        )
    ) as client:
        yield client


def emit_records(columns: tuple[str, ...] | list[str], records: list[dict[str, Any]]) -> None:
    """Rows to stdout in the chosen ``--format``."""
    emit(render_rows(list(columns), [[r.get(c) for c in columns] for r in records], OPTIONS.format))
