"""Funnels: a saved funnel's steps over time (``/funnels``) and the saved list (``/funnels/list``).

Each call is one Query API request (60/hour, 5 concurrent per project). Dates are inclusive
days in the project's time zone; Mixpanel looks for conversions past ``to_date``, so the last
days keep changing as late events land (re-pull them, as the dlt source does).

Wire shapes (API reference §6.4)::

    {"meta": {"dates": [...]},
     "data": {date: {"steps": [{count, step_conv_ratio, overall_conv_ratio, avg_time,
                                avg_time_from_start, goal, event[, step_label]}, ...],
                     "analysis": {completion, starting_amount, steps, worst}}}}

With ``on`` (a breakdown) each date holds one entry per property value plus ``$overall``,
each a list of steps (or a ``{"steps": [...]}`` object): ``{date: {"$overall": [...],
"Chrome": [...]}}`` (Mixpanel's Data Export docs; ``limit``, default 255, caps the values:
``openapi/query.openapi.yaml`` ``/funnels`` ``limit``). A value may nest one more breakdown
(a funnel saved with its own): ``{"Chrome": {"$overall": [...], "US": [...]}}``; every level
is read, as segments ``Chrome`` (its own ``$overall``) and ``Chrome / US``. An unsegmented
date is reported under the segment ``$overall`` too, so a table always has the same columns.
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
    check_id,
    check_positive,
    check_range,
    number,
)
from mixpanel_data.live.cache import DiscoveryCache, cached

__all__ = [
    "OVERALL",
    "FunnelInfo",
    "FunnelList",
    "FunnelPeriod",
    "FunnelResult",
    "FunnelStep",
    "funnel",
    "funnels_list",
    "parse_funnel",
]

OVERALL = "$overall"
UNITS = ("day", "week", "month")
LENGTH_UNITS = ("day", "hour", "minute", "second")
MAX_LENGTH_DAYS = 90
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class FunnelStep:
    """One step: users reaching it, conversion from the previous step and from the start."""

    step: int  # 1-based
    event: str
    label: str
    count: int
    step_conversion: float
    overall_conversion: float
    avg_time: float | None  # seconds from the previous step
    avg_time_from_start: float | None


@dataclass(frozen=True)
class FunnelPeriod:
    """The steps of users who entered the funnel in the bucket starting ``date``."""

    date: str
    segment: str
    steps: tuple[FunnelStep, ...]
    #: The breakdown path (``("Chrome", "US")``); ``("$overall",)`` for the whole funnel.
    keys: tuple[str, ...] = ()

    @property
    def conversion_rate(self) -> float:
        """Last step over first step (0 when nobody entered)."""
        return _ratio(self.steps[-1].count, self.steps[0].count) if self.steps else 0.0


@dataclass(frozen=True)
class FunnelResult(LiveResult):
    """A saved funnel over ``from_date``..``to_date``: per-bucket periods and the whole range.

    ``steps`` sums the ``$overall`` periods' counts over the range and recomputes the ratios
    from those sums; average times are count-weighted means of the periods'.
    """

    funnel_id: int
    funnel_name: str | None
    from_date: date
    to_date: date
    unit: str | None
    interval: int | None
    on: str | None
    where: str | None
    dates: tuple[str, ...]
    periods: tuple[FunnelPeriod, ...]
    steps: tuple[FunnelStep, ...]

    columns = (
        "date",
        "segment",
        "step",
        "event",
        "count",
        "step_conversion",
        "overall_conversion",
        "avg_time",
        "avg_time_from_start",
    )

    @property
    def conversion_rate(self) -> float:
        """Completed over entered, for the whole range."""
        return _ratio(self.steps[-1].count, self.steps[0].count) if self.steps else 0.0

    @property
    def segments(self) -> tuple[str, ...]:
        """``$overall`` first, then the breakdown's values in Mixpanel's order."""
        return tuple(dict.fromkeys(p.segment for p in self.periods))

    def segment_steps(self, segment: str) -> tuple[FunnelStep, ...]:
        """One segment's steps summed over the range."""
        return aggregate_steps([p.steps for p in self.periods if p.segment == segment])

    def records(self) -> list[dict[str, Any]]:
        return [
            {"date": p.date, "segment": p.segment, **_step_record(s)}
            for p in self.periods
            for s in p.steps
        ]

    def summary_records(self) -> list[dict[str, Any]]:
        """One row per segment and step over the whole range (what ``mp funnel`` prints)."""
        return [
            {"segment": seg, **_step_record(s)}
            for seg in self.segments
            for s in self.segment_steps(seg)
        ]


@dataclass(frozen=True)
class FunnelInfo:
    """A saved funnel's id and name."""

    funnel_id: int
    name: str


@dataclass(frozen=True)
class FunnelList(LiveResult):
    """The project's saved funnels."""

    funnels: tuple[FunnelInfo, ...]

    columns = ("funnel_id", "name")

    def name_of(self, funnel_id: int) -> str | None:
        return next((f.name for f in self.funnels if f.funnel_id == funnel_id), None)

    def records(self) -> list[dict[str, Any]]:
        return [{"funnel_id": f.funnel_id, "name": f.name} for f in self.funnels]


def funnel(
    client: QueryClient,
    funnel_id: int | str,
    from_date: date | str,
    to_date: date | str,
    *,
    unit: str | None = None,
    interval: int | None = None,
    on: str | None = None,
    where: str | None = None,
    length: int | None = None,
    length_unit: str | None = None,
    limit: int | None = None,
    cache: DiscoveryCache | None = None,
) -> FunnelResult:
    """Saved funnel ``funnel_id`` bucketed by ``unit`` (day/week/month) or ``interval`` days.

    ``length``/``length_unit`` override the saved conversion window (at most 90 days). With a
    ``cache``, the funnel's name is looked up in the (cached) saved list.
    """
    params = _funnel_params(
        funnel_id, from_date, to_date, unit, interval, on, where, length, length_unit, limit
    )
    body = client.query("funnels", params)
    dates, periods = parse_funnel(body)
    ident = params["funnel_id"]
    name = funnels_list(client, cache=cache).name_of(ident) if cache is not None else None
    # Mixpanel sends $overall with a breakdown; without it, the outer segments partition the
    # users (nested ones are parts of theirs, so they are left out).
    overall = [p.steps for p in periods if p.segment == OVERALL] or [
        p.steps for p in periods if len(p.keys) <= 1
    ]
    return FunnelResult(
        ident,
        name,
        params["from_date"],
        params["to_date"],
        unit,
        interval,
        on,
        where,
        dates,
        periods,
        aggregate_steps(overall),
    )


def _funnel_params(
    funnel_id: int | str,
    from_date: date | str,
    to_date: date | str,
    unit: str | None,
    interval: int | None,
    on: str | None,
    where: str | None,
    length: int | None,
    length_unit: str | None,
    limit: int | None,
) -> dict[str, Any]:
    """Checked request parameters; raises before any request on a bad value."""
    ident = check_id(funnel_id, "funnel id")
    first, last = check_range(from_date, to_date)
    if unit is not None and interval is not None:
        raise InvalidArgumentError("Give either unit or interval for a funnel, not both.")
    if unit is not None:
        check_choice(unit, UNITS, "unit")
    if interval is not None:
        check_positive(interval, "interval")
    if length_unit is not None:
        check_choice(length_unit, LENGTH_UNITS, "length_unit")
    if length is not None:
        seconds = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}[length_unit or "day"]
        check_positive(length, "length", MAX_LENGTH_DAYS * 86_400 // seconds)
    if limit is not None:
        check_positive(limit, "limit", MAX_LIMIT)
    return {
        "funnel_id": ident,
        "from_date": first,
        "to_date": last,
        "unit": unit,
        "interval": interval,
        "on": on or None,
        "where": where or None,
        "length": length,
        "length_unit": length_unit,
        "limit": limit if on else None,
    }


def funnels_list(client: QueryClient, *, cache: DiscoveryCache | None = None) -> FunnelList:
    """The saved funnels (``/funnels/list``, a bare array); cached when ``cache`` is given."""

    def fetch() -> FunnelList:
        body = client.query("funnels/list")
        if isinstance(body, dict):  # tolerate a {"results": [...]} wrapper
            body = body.get("results")
        if not isinstance(body, list):
            raise QueryError(
                "Mixpanel /funnels/list did not answer a list: check MP_BASE_URL points at "
                "Mixpanel's Query API."
            )
        items = [i for i in body if isinstance(i, dict) and "funnel_id" in i]
        return FunnelList(
            tuple(FunnelInfo(int(i["funnel_id"]), str(i.get("name") or "")) for i in items)
        )

    return cached(cache, ("funnels/list",), fetch)


def parse_funnel(body: Any) -> tuple[tuple[str, ...], tuple[FunnelPeriod, ...]]:
    """Sorted dates and every (date, segment) period of a ``/funnels`` body, either shape."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise QueryError(
            'Mixpanel /funnels answered an unexpected shape (expected {"data": {date: ...}}): '
            "check MP_BASE_URL points at Mixpanel's Query API."
        )
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    dates = tuple(sorted({str(d) for d in meta.get("dates") or []} | {str(d) for d in data}))
    periods: list[FunnelPeriod] = []
    for day in dates:
        for keys, raw_steps in _segments(data.get(day), ()):
            periods.append(FunnelPeriod(day, " / ".join(keys), parse_steps(raw_steps), keys))
    periods.sort(key=lambda p: (p.segment != OVERALL, p.date))
    return dates, tuple(periods)


def _segments(entry: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], list[Any]]]:
    """``[(keys, raw steps)]`` under one date: unsegmented, or one per breakdown value at
    every level. A nested ``$overall`` is its parent's own total, so it takes the parent's keys.
    """
    if isinstance(entry, dict) and isinstance(entry.get("steps"), list):
        entry = entry["steps"]
    if isinstance(entry, list):
        return [(path or (OVERALL,), entry)]
    if not isinstance(entry, dict):
        return []
    out: list[tuple[tuple[str, ...], list[Any]]] = []
    for segment, value in entry.items():
        key = str(segment)
        out += _segments(value, path if key == OVERALL and path else (*path, key))
    return out


def parse_steps(raw: list[Any]) -> tuple[FunnelStep, ...]:
    """Typed steps; ratios Mixpanel left out are computed from the counts."""
    steps: list[FunnelStep] = []
    counts = [int(number(s.get("count"))) if isinstance(s, dict) else 0 for s in raw]
    for i, item in enumerate(s if isinstance(s, dict) else {} for s in raw):
        event = str(item.get("event") or item.get("goal") or f"step {i + 1}")
        prev = counts[i - 1] if i else counts[0]
        steps.append(
            FunnelStep(
                step=i + 1,
                event=event,
                label=str(item.get("step_label") or event),
                count=counts[i],
                step_conversion=_given(
                    item, "step_conv_ratio", 1.0 if i == 0 else _ratio(counts[i], prev)
                ),
                overall_conversion=_given(item, "overall_conv_ratio", _ratio(counts[i], counts[0])),
                avg_time=_seconds(item.get("avg_time")),
                avg_time_from_start=_seconds(item.get("avg_time_from_start")),
            )
        )
    return tuple(steps)


def aggregate_steps(periods: list[tuple[FunnelStep, ...]]) -> tuple[FunnelStep, ...]:
    """Steps summed over periods: counts added, ratios recomputed, times count-weighted."""
    if not periods:
        return ()
    width = max(len(p) for p in periods)
    counts = [sum(p[i].count for p in periods if i < len(p)) for i in range(width)]
    template = max(periods, key=len)
    out = []
    for i in range(width):
        prev = counts[i - 1] if i else counts[0]
        out.append(
            FunnelStep(
                step=i + 1,
                event=template[i].event,
                label=template[i].label,
                count=counts[i],
                step_conversion=1.0 if i == 0 else _ratio(counts[i], prev),
                overall_conversion=_ratio(counts[i], counts[0]) if i else 1.0,
                avg_time=_weighted(periods, i, "avg_time"),
                avg_time_from_start=_weighted(periods, i, "avg_time_from_start"),
            )
        )
    return tuple(out)


def _weighted(periods: list[tuple[FunnelStep, ...]], i: int, name: str) -> float | None:
    pairs = [(getattr(p[i], name), p[i].count) for p in periods if i < len(p)]
    pairs = [(t, c) for t, c in pairs if t is not None and c]
    weight = sum(c for _, c in pairs)
    return sum(t * c for t, c in pairs) / weight if weight else None


def _step_record(step: FunnelStep) -> dict[str, Any]:
    return {
        "step": step.step,
        "event": step.event,
        "count": step.count,
        "step_conversion": step.step_conversion,
        "overall_conversion": step.overall_conversion,
        "avg_time": step.avg_time,
        "avg_time_from_start": step.avg_time_from_start,
    }


def _given(item: dict[str, Any], key: str, default: float) -> float:
    value = item.get(key)
    return float(number(value)) if value is not None else default


def _seconds(value: Any) -> float | None:
    return None if value is None else float(number(value))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
