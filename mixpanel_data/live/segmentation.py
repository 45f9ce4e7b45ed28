"""Segmentation: ``/segmentation`` (+ ``/numeric``), ``/segmentation/sum`` and ``/average``.

Mixpanel keeps this family in maintenance mode (it recommends Insights) but serves it; each
call is one Query API request (60/hour, 5 concurrent per project). Dates are inclusive days in
the project's time zone.

Wire shapes (API reference §6.3)::

    /segmentation, /numeric   {"data": {"series": [dates], "values": {segment: {date: n}}},
                               "legend_size": k}
    /sum, /average            {"status": "ok", "computed_at": "...", "results": {date: x}}

``series`` is not sorted and a segment may leave out dates without data: the parser sorts the
dates and fills a missing one with 0, so every segment has a value for every date.

Weeks: ``/segmentation`` defines ``unit`` as minute, hour, day or month, no week
(``openapi/query.openapi.yaml``, ``/segmentation`` ``unit`` enum). ``unit="week"`` therefore
asks Mixpanel for days and adds them up into Monday-started weeks keyed by their Monday (the
first and last week hold only the days in range). Counts add up, so this is exact for
``type="general"``; unique users and averages do not add up, so a week of those is refused
before any request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mixpanel_data.exceptions import InvalidArgumentError, QueryError
from mixpanel_data.live._base import (
    LiveResult,
    QueryClient,
    check_choice,
    check_positive,
    check_range,
    check_text,
    number,
)

__all__ = [
    "AggregateResult",
    "SegmentationResult",
    "SeriesPoint",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
]

UNITS = ("minute", "hour", "day", "week", "month")
#: What Mixpanel's /segmentation itself accepts; "week" is summed here from days.
WIRE_UNITS = ("minute", "hour", "day", "month")
NUMERIC_UNITS = ("hour", "day")
TYPES = ("general", "unique", "average")
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class SeriesPoint:
    """One segment's value on one date bucket (``YYYY-MM-DD``, with a time for hour/minute)."""

    date: str
    segment: str
    value: int | float


@dataclass(frozen=True)
class SegmentationResult(LiveResult):
    """Counts of ``event`` per date bucket and segment (the event name when not segmented)."""

    event: str
    from_date: date
    to_date: date
    unit: str
    type: str
    on: str | None
    where: str | None
    dates: tuple[str, ...]
    points: tuple[SeriesPoint, ...]
    endpoint: str = "segmentation"

    columns = ("date", "segment", "value")

    @property
    def segments(self) -> tuple[str, ...]:
        """Segment names in Mixpanel's order."""
        return tuple(dict.fromkeys(p.segment for p in self.points))

    @property
    def total(self) -> int | float:
        """The sum over every date and segment (for ``type=general``: the event count)."""
        return sum(p.value for p in self.points)

    def totals(self) -> dict[str, int | float]:
        """The sum over the dates, per segment."""
        out: dict[str, int | float] = {}
        for p in self.points:
            out[p.segment] = out.get(p.segment, 0) + p.value
        return out

    def series(self, segment: str) -> dict[str, int | float]:
        """``{date: value}`` of one segment."""
        return {p.date: p.value for p in self.points if p.segment == segment}

    def records(self) -> list[dict[str, Any]]:
        return [{"date": p.date, "segment": p.segment, "value": p.value} for p in self.points]


@dataclass(frozen=True)
class AggregateResult(LiveResult):
    """The sum or average of numeric expression ``on`` over ``event``, per date bucket."""

    event: str
    from_date: date
    to_date: date
    unit: str
    on: str
    where: str | None
    aggregate: str  # "sum" | "average"
    computed_at: str | None
    values: tuple[tuple[str, float], ...]  # (date, value), dates sorted

    columns = ("date", "value")

    @property
    def total(self) -> float:
        """The sum of the per-date values."""
        return sum(v for _, v in self.values)

    def records(self) -> list[dict[str, Any]]:
        return [{"date": d, "value": v} for d, v in self.values]


def segmentation(
    client: QueryClient,
    event: str,
    from_date: date | str,
    to_date: date | str,
    *,
    on: str | None = None,
    unit: str = "day",
    where: str | None = None,
    type: str = "general",
    limit: int | None = None,
) -> SegmentationResult:
    """Counts of ``event`` per ``unit``, broken down by expression ``on`` when given.

    ``type``: ``general`` (events), ``unique`` (users) or ``average`` (events per user).
    ``limit`` (top segments, 1..10000) only applies with ``on``. ``unit="week"`` is summed
    from days here (Mixpanel has no weekly segmentation), so only for ``type="general"``.
    """
    event = check_text(event, "event")
    first, last = check_range(from_date, to_date)
    check_choice(unit, UNITS, "unit")
    check_choice(type, TYPES, "type")
    check_week(unit, type)
    if limit is not None:
        check_positive(limit, "limit", MAX_LIMIT)
    params = {
        "event": event,
        "from_date": first,
        "to_date": last,
        "unit": "day" if unit == "week" else unit,
        "type": type,
        "on": on or None,
        "where": where or None,
        "limit": limit if on else None,
    }
    body = client.query("segmentation", params)
    dates, points = parse_series(body, "segmentation")
    if unit == "week":
        dates, points = _weeks(points)
    return SegmentationResult(event, first, last, unit, type, on, where, dates, points)


def check_week(unit: str, type: str) -> None:
    """Weeks are summed from days here, which only counts (``type="general"``) survive."""
    if unit == "week" and type != "general":
        raise InvalidArgumentError(
            f"unit 'week' with type {type!r} cannot be built: Mixpanel's /segmentation has no "
            "weeks (minute, hour, day, month) and daily unique users or averages do not add up "
            "to weeks; use --unit day or month, or type general."
        )


def _weeks(points: tuple[SeriesPoint, ...]) -> tuple[tuple[str, ...], tuple[SeriesPoint, ...]]:
    """Daily points summed per segment into weeks keyed by their Monday (counts only)."""
    sums: dict[tuple[str, str], int | float] = {}
    for p in points:
        day = date.fromisoformat(p.date[:10])
        monday = (day - timedelta(days=day.weekday())).isoformat()
        sums[(p.segment, monday)] = sums.get((p.segment, monday), 0) + p.value
    weeks = tuple(sorted({week for _, week in sums}))
    return weeks, tuple(SeriesPoint(w, seg, n) for (seg, w), n in sums.items())


def segmentation_numeric(
    client: QueryClient,
    event: str,
    from_date: date | str,
    to_date: date | str,
    on: str,
    *,
    unit: str = "day",
    where: str | None = None,
    type: str = "general",
) -> SegmentationResult:
    """Counts of ``event`` in numeric buckets of ``on`` (segments like ``"2,000 - 2,100"``)."""
    event = check_text(event, "event")
    on = check_text(on, "on")
    first, last = check_range(from_date, to_date)
    check_choice(unit, NUMERIC_UNITS, "unit")
    check_choice(type, TYPES, "type")
    params = {
        "event": event,
        "from_date": first,
        "to_date": last,
        "on": on,
        "unit": unit,
        "type": type,
        "where": where or None,
    }
    dates, points = parse_series(client.query("segmentation/numeric", params), "numeric")
    return SegmentationResult(
        event, first, last, unit, type, on, where, dates, points, "segmentation/numeric"
    )


def segmentation_sum(
    client: QueryClient,
    event: str,
    from_date: date | str,
    to_date: date | str,
    on: str,
    *,
    unit: str = "day",
    where: str | None = None,
) -> AggregateResult:
    """The per-date sum of numeric expression ``on`` (non-numeric values count as 0)."""
    return _aggregate(client, "sum", event, from_date, to_date, on, unit, where)


def segmentation_average(
    client: QueryClient,
    event: str,
    from_date: date | str,
    to_date: date | str,
    on: str,
    *,
    unit: str = "day",
    where: str | None = None,
) -> AggregateResult:
    """The per-date average of numeric expression ``on``."""
    return _aggregate(client, "average", event, from_date, to_date, on, unit, where)


def _aggregate(
    client: QueryClient,
    aggregate: str,
    event: str,
    from_date: date | str,
    to_date: date | str,
    on: str,
    unit: str,
    where: str | None,
) -> AggregateResult:
    event = check_text(event, "event")
    on = check_text(on, "on")
    first, last = check_range(from_date, to_date)
    check_choice(unit, NUMERIC_UNITS, "unit")
    params = {
        "event": event,
        "from_date": first,
        "to_date": last,
        "on": on,
        "unit": unit,
        "where": where or None,
    }
    body = client.query(f"segmentation/{aggregate}", params)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, dict):
        raise _shape_error(f"segmentation/{aggregate}", '{"results": {date: value}}')
    values = tuple((str(d), float(number(v))) for d, v in sorted(results.items()))
    computed = body.get("computed_at")
    return AggregateResult(
        event,
        first,
        last,
        unit,
        on,
        where,
        aggregate,
        computed if isinstance(computed, str) else None,
        values,
    )


def parse_series(body: Any, endpoint: str) -> tuple[tuple[str, ...], tuple[SeriesPoint, ...]]:
    """Sorted dates and every (date, segment) point of a ``{"data": {"series", "values"}}`` body.

    Shared by ``/segmentation``, ``/segmentation/numeric`` and ``/events``-like answers.
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("values", {}), dict):
        raise _shape_error(endpoint, '{"data": {"series": [...], "values": {...}}}')
    values: dict[str, Any] = data.get("values") or {}
    dates = {str(d) for d in data.get("series") or []}
    for per_date in values.values():
        if isinstance(per_date, dict):
            dates.update(str(d) for d in per_date)
    ordered = tuple(sorted(dates))
    points = tuple(
        SeriesPoint(d, str(segment), number(per_date.get(d)) if isinstance(per_date, dict) else 0)
        for segment, per_date in values.items()
        for d in ordered
    )
    return ordered, points


def _shape_error(endpoint: str, expected: str) -> QueryError:
    return QueryError(
        f"Mixpanel /{endpoint} answered an unexpected shape (expected {expected}): check "
        "MP_BASE_URL points at Mixpanel's Query API."
    )
