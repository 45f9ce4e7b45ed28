"""The parameters the report sources share, written once: where requests go, which days.

dlt injects a source's settings (``SOURCES__MIXPANEL__LOOKBACK_DAYS``, ``[sources.mixpanel]``)
by the names in its signature, so every report source must show every parameter it takes: a
shared dataclass or ``**kwargs`` would hide them from dlt. ``report_source`` builds that
signature instead. The decorated function declares its own parameters plus block parameters
(``window: ReportWindow``, ``connection: ReportConnection``); the source dlt sees has each block
parameter replaced by the block's own parameters, and the function receives the block built
from the values dlt resolved (or the caller passed).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import dlt
from dlt.extract.source import DltSource

from mixpanel_data import live
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.dates import parse_day
from mixpanel_data.live._base import QueryClient, check_range
from mixpanel_data.sources.mixpanel import settings
from mixpanel_data.sources.mixpanel.timezones import zone

if TYPE_CHECKING:
    from mixpanel_data.api.client import MixpanelClient

_LATEST_ZONE_BEHIND_UTC = timedelta(hours=12)


class ReportWindow:
    """The days one run asks for, and the resource state that carries them to the next run.

    Incremental: ``lookback_days`` before the previous run's last day up to today, the first
    run ``start_days_ago`` days back. ``from_date``/``to_date``: a backfill that leaves the
    state alone. Days are in ``project_timezone`` (without it, where today starts last).
    """

    def __init__(
        self,
        from_date: str | date | None = None,
        to_date: str | date | None = None,
        lookback_days: int = settings.DEFAULT_LOOKBACK_DAYS,
        start_days_ago: int = settings.DEFAULT_START_DAYS_AGO,
        project_timezone: str | None = None,
    ) -> None:
        self.tz = zone(project_timezone) if project_timezone else None
        self.lookback = timedelta(days=max(lookback_days, 0))
        self.start = timedelta(days=max(start_days_ago, 1) - 1)
        first = parse_day(from_date, "from_date") if from_date else None
        last = parse_day(to_date, "to_date") if to_date else None
        self.backfill: tuple[date, date] | None = None
        if first is not None or last is not None:
            last = last or self.today()
            self.backfill = check_range(first or last - self.start, last)

    def today(self) -> date:
        """Today in the project zone; without one, in the zone where today starts last."""
        if self.tz is not None:
            return datetime.now(self.tz).date()
        return (datetime.now(UTC) - _LATEST_ZONE_BEHIND_UTC).date()

    def span(self) -> tuple[date, date]:
        """This run's inclusive days (call inside a resource: it reads resource state)."""
        if self.backfill is not None:
            return self.backfill
        today = self.today()
        previous = dlt.current.resource_state().get("last_day")
        first = parse_day(previous, "last_day") - self.lookback if previous else today - self.start
        return min(first, today), today

    def done(self, last: date) -> None:
        """Remember the last day loaded, unless this was a backfill."""
        if self.backfill is None:
            dlt.current.resource_state()["last_day"] = last.isoformat()


@dataclass(frozen=True)
class ReportConnection:
    """Where a report source's requests go: ``client`` when given, else a client built for
    ``credentials`` or ``account`` (``MP_*`` otherwise). Opened by the source, after it has
    checked its own arguments, so a bad argument is reported before missing credentials."""

    credentials: Credentials | None = field(default=None, repr=False)
    account: str | None = None
    base_url: str | None = None
    client: Any = None

    def open(self) -> QueryClient:
        """The given client, or a new one (see ``report_client``)."""
        return self.client or report_client(self.credentials, self.account, self.base_url)


def report_client(
    credentials: Credentials | None, account: str | None, base_url: str | None
) -> MixpanelClient:
    """From ``api.factory`` with the ``MP_*`` settings for a load: the configured limits, and
    waits for the hourly budget of up to an hour (a report source makes one Query request per
    saved report; a live query would give up after a minute)."""
    from mixpanel_data.config.settings import Settings

    conf = Settings.from_env().for_loads()
    return live.live_client(
        credentials=credentials, account=account, base_url=base_url, settings=conf
    )


#: Block parameters ``report_source`` expands, by the name a source gives them.
_BLOCKS: dict[str, type] = {"window": ReportWindow, "connection": ReportConnection}


def report_source(name: str) -> Callable[[Callable[..., Any]], Callable[..., DltSource]]:
    """``@dlt.source(name=name, section="mixpanel")`` over ``build`` with its block parameters
    expanded (see the module docstring)."""

    def decorate(build: Callable[..., Any]) -> Callable[..., DltSource]:
        own = inspect.signature(build, eval_str=True)  # real types: dlt reads them from here
        params: list[inspect.Parameter] = []
        blocks: dict[str, tuple[type, list[str]]] = {}
        for param in own.parameters.values():
            block = _BLOCKS.get(param.name)
            if block is None:
                params.append(param)
                continue
            shared = list(inspect.signature(block, eval_str=True).parameters.values())
            params += shared
            blocks[param.name] = (block, [p.name for p in shared])
        public = own.replace(parameters=params)

        def source(*args: Any, **kwargs: Any) -> Any:
            bound = public.bind(*args, **kwargs)
            bound.apply_defaults()
            given = dict(bound.arguments)
            built = {
                key: cls(**{n: given.pop(n) for n in names}) for key, (cls, names) in blocks.items()
            }
            return build(**given, **built)

        source.__signature__ = public  # type: ignore[attr-defined]  # what dlt and help() read
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(source, attr, getattr(build, attr))
        return dlt.source(name=name, section="mixpanel", max_table_nesting=0)(source)

    return decorate
