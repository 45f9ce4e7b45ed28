"""What every live-query module shares: the client protocol, input checks and the result base.

Input checks run before a request is built, so a bad date, unit or id never spends one of the
60 queries/hour Mixpanel allows per project; each raises ``InvalidArgumentError`` (exit 3) with
a one-line message naming the fix.

Every result is a frozen dataclass whose one table is ``records()`` (a list of plain dicts with
``columns`` as keys). ``df`` (pandas, built on first access and then kept) and the CLI's
json/csv/table output both come from those records, so they always agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from mixpanel_data.config.dates import parse_day
from mixpanel_data.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LiveResult",
    "QueryClient",
    "check_choice",
    "check_id",
    "check_positive",
    "check_range",
    "check_text",
    "number",
]

#: The furthest "today" runs ahead of UTC anywhere (UTC+14): a later to_date is surely future.
_MAX_ZONE_AHEAD = timedelta(hours=14)


class QueryClient(Protocol):
    """What live queries need of ``mixpanel_data.api.MixpanelClient`` (a stub works in tests)."""

    def query(
        self, path: str, params: Mapping[str, Any] | None = None, *, method: str = "GET"
    ) -> Any:
        """The JSON body of a Query API endpoint."""
        ...

    def engage_page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """One page of ``/engage``."""
        ...

    def app(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        method: str = "GET",
        json: Any = None,
    ) -> Any:
        """The JSON body of an App API endpoint under ``/projects/{id}/``."""
        ...


def check_range(
    from_date: date | str, to_date: date | str, names: tuple[str, str] = ("from_date", "to_date")
) -> tuple[date, date]:
    """Both inclusive ends, in order and not in the future anywhere on Earth."""
    first, last = parse_day(from_date, names[0]), parse_day(to_date, names[1])
    if first > last:
        raise InvalidArgumentError(
            f"{names[0]} {first} is after {names[1]} {last}: swap them (both days are inclusive)."
        )
    latest = (datetime.now(UTC) + _MAX_ZONE_AHEAD).date()
    if last > latest:
        raise InvalidArgumentError(
            f"{names[1]} {last} is in the future: use a day no later than today "
            "(in the project's time zone)."
        )
    return first, last


def check_choice(value: str, allowed: Sequence[str], name: str) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise InvalidArgumentError(
            f"{name} {value!r} is not one of {', '.join(allowed)}: pick one."
        )
    return value


def check_id(value: int | str, name: str) -> int:
    """A positive integer id (funnel, bookmark, cohort), given as an int or digits."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise InvalidArgumentError(
            f"{name} {value!r} is not an id: use the positive number Mixpanel shows "
            "(e.g. in the report's URL)."
        )
    return int(text)


def check_positive(value: int, name: str, maximum: int | None = None) -> int:
    """A whole number from 1 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a whole number of at least 1, not {value!r}.")
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(f"{name} {value} is above Mixpanel's maximum of {maximum}.")
    return value


def check_text(value: str | None, name: str) -> str:
    """A non-blank string (an event or property name, a script)."""
    if value is None or not str(value).strip():
        raise InvalidArgumentError(f"{name} is empty: give a name (see `mp events`).")
    return str(value)


def number(value: Any) -> int | float:
    """A count or ratio from a JSON body: ints stay ints, anything non-numeric counts as 0."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return value
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return 0
    return int(parsed) if parsed.is_integer() and "." not in str(value) else parsed


class LiveResult:
    """Base of the result dataclasses: one table (``records``), plus ``df`` and ``to_dict``."""

    columns: ClassVar[tuple[str, ...]] = ()

    def table_columns(self) -> tuple[str, ...]:
        """Column names of ``records()``; fixed per type except where the answer decides."""
        return self.columns

    def records(self) -> list[dict[str, Any]]:
        """The result as rows of plain values, one dict per row."""
        raise NotImplementedError

    @cached_property
    def df(self) -> pd.DataFrame:
        """The records as a pandas DataFrame, built on first access and then kept."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), columns=list(self.table_columns()))

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON-ready values (dates as ISO text, tuples as lists)."""
        assert dataclasses.is_dataclass(self)
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
