"""Retention (``/retention``) and frequency, a.k.a. addiction (``/retention/addiction``).

Each call is one Query API request (60/hour, 5 concurrent per project). Dates are inclusive
days in the project's time zone; cohorts are the buckets users were "born" in.

Wire shapes (API reference §6.5)::

    /retention            {date: {"counts": [n0, n1, ...], "first": size}, ...}   (no wrapper)
    /retention/addiction  {"data": {date: [users active in >= 1, >= 2, ... units]}}
                          (the docs page shows it without "data": both are accepted)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mixpanel_data.exceptions import InvalidArgumentError, QueryError
from mixpanel_data.live._base import (
    LiveResult,
    QueryClient,
    check_choice,
    check_positive,
    check_range,
    number,
)

__all__ = [
    "FrequencyPeriod",
    "FrequencyResult",
    "RetentionCohort",
    "RetentionResult",
    "addiction",
    "retention",
]

UNITS = ("day", "week", "month")
ADDICTION_UNITS = ("hour", "day")
RETENTION_TYPES = ("birth", "compounded")
MAX_INTERVAL_COUNT = 1_000


@dataclass(frozen=True)
class RetentionCohort:
    """Users born in the bucket starting ``date``: how many, and how many came back per period.

    ``counts[0]`` is the "0th" period (the birth bucket itself); ``rates[i]`` is
    ``counts[i] / size`` (0 for an empty cohort).
    """

    date: str
    size: int
    counts: tuple[int, ...]
    rates: tuple[float, ...]


@dataclass(frozen=True)
class RetentionResult(LiveResult):
    """Cohorts of users who did ``born_event``, returning to do ``return_event`` (None: any)."""

    born_event: str | None
    return_event: str | None
    from_date: date
    to_date: date
    unit: str
    interval_count: int
    retention_type: str
    born_where: str | None
    where: str | None
    cohorts: tuple[RetentionCohort, ...]

    columns = ("date", "size", "period", "count", "rate")

    @property
    def total_users(self) -> int:
        """Users in every cohort together."""
        return sum(c.size for c in self.cohorts)

    def average_rates(self) -> tuple[float, ...]:
        """Per period: returners over cohort sizes, over the cohorts that reached that period."""
        width = max((len(c.counts) for c in self.cohorts), default=0)
        out = []
        for i in range(width):
            reached = [c for c in self.cohorts if i < len(c.counts)]
            size = sum(c.size for c in reached)
            out.append(sum(c.counts[i] for c in reached) / size if size else 0.0)
        return tuple(out)

    def records(self) -> list[dict[str, Any]]:
        return [
            {"date": c.date, "size": c.size, "period": i, "count": n, "rate": c.rates[i]}
            for c in self.cohorts
            for i, n in enumerate(c.counts)
        ]


@dataclass(frozen=True)
class FrequencyPeriod:
    """``counts[k]``: users who did the event in at least ``k + 1`` distinct units of the period."""

    date: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class FrequencyResult(LiveResult):
    """How often users came back within each ``unit`` bucket, in ``addiction_unit`` slots."""

    from_date: date
    to_date: date
    unit: str
    addiction_unit: str
    event: str | None
    where: str | None
    periods: tuple[FrequencyPeriod, ...]

    columns = ("date", "at_least", "users")

    def records(self) -> list[dict[str, Any]]:
        return [
            {"date": p.date, "at_least": k + 1, "users": n}
            for p in self.periods
            for k, n in enumerate(p.counts)
        ]


def retention(
    client: QueryClient,
    born_event: str | None,
    return_event: str | None,
    from_date: date | str,
    to_date: date | str,
    *,
    unit: str = "day",
    interval_count: int = 1,
    retention_type: str = "birth",
    born_where: str | None = None,
    where: str | None = None,
    interval: int | None = None,
    unbounded: bool = False,
) -> RetentionResult:
    """Birth (first-time) or compounded (recurring) retention cohorts.

    ``born_event`` is required for ``birth``; ``return_event`` None counts any event.
    ``interval_count`` periods follow the 0th one.
    """
    first, last = check_range(from_date, to_date)
    check_choice(unit, UNITS, "unit")
    check_choice(retention_type, RETENTION_TYPES, "retention_type")
    check_positive(interval_count, "interval_count", MAX_INTERVAL_COUNT)
    if interval is not None:  # at most 90 when counted in days (spec: /retention ``interval``)
        check_positive(interval, "interval", 90 if unit == "day" else None)
    if retention_type == "birth" and not (born_event or "").strip():
        raise InvalidArgumentError(
            "Birth retention needs a born event: pass --born EVENT (or use compounded retention)."
        )
    params = {
        "born_event": born_event or None,
        "event": return_event or None,
        "from_date": first,
        "to_date": last,
        "unit": unit,
        "interval_count": interval_count,
        "retention_type": retention_type,
        "born_where": born_where or None,
        "where": where or None,
        "interval": interval,
        "unbounded_retention": True if unbounded else None,
    }
    body = client.query("retention", params)
    return RetentionResult(
        born_event,
        return_event,
        first,
        last,
        unit,
        interval_count,
        retention_type,
        born_where,
        where,
        parse_retention(body),
    )


def parse_retention(body: Any) -> tuple[RetentionCohort, ...]:
    """Cohorts sorted by date from ``{date: {"counts": [...], "first": n}}``."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]  # tolerate a wrapper, as addiction has one
    if not isinstance(body, dict):
        raise QueryError(
            "Mixpanel /retention answered an unexpected shape (expected {date: {counts, first}}): "
            "check MP_BASE_URL points at Mixpanel's Query API."
        )
    cohorts = []
    for day in sorted(body):
        entry = body[day] if isinstance(body[day], dict) else {}
        size = int(number(entry.get("first")))
        counts = tuple(int(number(n)) for n in entry.get("counts") or [])
        cohorts.append(
            RetentionCohort(
                str(day), size, counts, tuple(n / size if size else 0.0 for n in counts)
            )
        )
    return tuple(cohorts)


def addiction(
    client: QueryClient,
    from_date: date | str,
    to_date: date | str,
    *,
    unit: str = "day",
    addiction_unit: str = "hour",
    event: str | None = None,
    where: str | None = None,
) -> FrequencyResult:
    """Frequency: per ``unit`` bucket, users active in at least 1, 2, ... ``addiction_unit``s."""
    first, last = check_range(from_date, to_date)
    check_choice(unit, UNITS, "unit")
    check_choice(addiction_unit, ADDICTION_UNITS, "addiction_unit")
    params = {
        "from_date": first,
        "to_date": last,
        "unit": unit,
        "addiction_unit": addiction_unit,
        "event": event or None,
        "where": where or None,
    }
    body = client.query("retention/addiction", params)
    data = body.get("data", body) if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise QueryError(
            "Mixpanel /retention/addiction answered an unexpected shape (expected "
            '{"data": {date: [...]}}): check MP_BASE_URL points at Mixpanel\'s Query API.'
        )
    periods = tuple(
        FrequencyPeriod(str(day), tuple(int(number(n)) for n in data[day] or []))
        for day in sorted(data)
        if isinstance(data[day], list | type(None))
    )
    return FrequencyResult(first, last, unit, addiction_unit, event, where, periods)
