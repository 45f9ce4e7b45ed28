"""Pure answers of the segmentation family and Insights, computed from the project data.

Handlers call these; tests call them too, to check what a client fetched.
Shapes follow README §6.3 and §6.6 exactly. The other answers live in ``funnels`` (funnels,
retention, addiction) and ``discovery`` (events*, cohorts/funnels lists, stream) and are
re-exported here so ``answers`` is the one place to look.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mixpanel_data.standin.discovery import (
    cohorts_list,
    event_names,
    event_properties,
    event_properties_top,
    event_property_values,
    events,
    events_top,
    funnels_list,
    stream,
)
from mixpanel_data.standin.expr import MISSING, Compiled
from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.funnels import addiction, funnel, retention
from mixpanel_data.standin.jql import run_jql
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.querydata import (
    Row,
    bucket_key,
    grouped,
    measure,
    rows,
    segment_label,
    series,
)
from mixpanel_data.standin.tz import local_midnight_utc, offset_s


def computed_at(project: Project | None = None) -> str:
    """Timestamp text like ``2019-10-07T23:02:11.666218+00:00`` (the project's clock)."""
    return (project.now if project is not None else datetime.now(UTC)).isoformat()


def _filter(items: list[Row], event: str | None, where: str | None) -> list[Row]:
    pred: Compiled | None = compile_expr(where) if where else None
    return [
        r for r in items if (event is None or r.name == event) and (pred is None or pred(r.get))
    ]


def _values(
    items: list[Row],
    keys: list[str],
    key_of: Callable[[Row], str],
    kind: str,
    segment: Callable[[Row], str],
    limit: int | None,
    fill: bool,
) -> dict[str, Any]:
    """{segment: {date: n}} for the top ``limit`` segments (by rows)."""
    by_segment = grouped(items, segment)
    ranked = sorted(by_segment, key=lambda s: -len(by_segment[s]))[: limit or None]
    values: dict[str, Any] = {}
    for seg in ranked:
        per_date = grouped(by_segment[seg], key_of)
        values[seg] = {k: measure(per_date.get(k, []), kind) for k in keys if fill or k in per_date}
    return values


def segmentation(
    project: Project,
    event: str,
    first: date,
    last: date,
    unit: str = "day",
    kind: str = "general",
    on: str | None = None,
    where: str | None = None,
    limit: int = 60,
    interval: int | None = None,
) -> dict[str, Any]:
    """``/segmentation``: ``{"data":{"series","values"},"legend_size"}``; all dates per segment.

    ``interval``: buckets of that many days from ``first`` (keyed by their first day), in lieu
    of ``unit``.
    """
    items = _filter(rows(project, first, last), event, where)
    if interval:
        span = (last - first).days + 1
        keys = [(first + timedelta(days=k)).isoformat() for k in range(0, span, interval)]

        def key_of(r: Row) -> str:
            offset = (r.local.date() - first).days // interval * interval
            return (first + timedelta(days=offset)).isoformat()

    else:
        keys = series(first, last, unit)

        def key_of(r: Row) -> str:
            return bucket_key(r.local, unit)

    if on:
        on_fn = compile_expr(on)
        values = _values(
            items, keys, key_of, kind, lambda r: segment_label(on_fn(r.get)), limit, True
        )
    else:
        per_date = grouped(items, key_of)
        values = {event: {k: measure(per_date.get(k, []), kind) for k in keys}}
    return {"data": {"series": keys, "values": values}, "legend_size": len(values)}


def _bucket_edges(numbers: list[float]) -> tuple[float, float]:
    """(low, width) of ~10 round buckets covering the numbers."""
    low, high = min(numbers), max(numbers)
    raw = (high - low) / 10 or 1.0
    width = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * width:
            width *= step
            break
    return math.floor(low / width) * width, width


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def segmentation_numeric(
    project: Project,
    event: str,
    first: date,
    last: date,
    on: str,
    unit: str = "day",
    kind: str = "general",
    where: str | None = None,
) -> dict[str, Any]:
    """``/segmentation/numeric``: segments are ranges like ``"2,000 - 2,100"``."""
    on_fn = compile_expr(on)
    items = []
    for row in _filter(rows(project, first, last), event, where):
        value = on_fn(row.get)
        if isinstance(value, int | float) and not isinstance(value, bool):
            items.append((row, float(value)))
    keys = series(first, last, unit)
    if not items:
        return {"data": {"series": keys, "values": {}}, "legend_size": 0}
    low, width = _bucket_edges([v for _, v in items])

    def label(pair: tuple[Row, float]) -> str:
        start = low + math.floor((pair[1] - low) / width) * width
        return f"{_fmt(start)} - {_fmt(start + width)}"

    labels = {id(row): label((row, v)) for row, v in items}
    values = _values(
        [r for r, _ in items],
        keys,
        lambda r: bucket_key(r.local, unit),
        kind,
        lambda r: labels[id(r)],
        None,
        True,
    )
    return {"data": {"series": keys, "values": values}, "legend_size": len(values)}


def segmentation_sum(
    project: Project,
    event: str,
    first: date,
    last: date,
    on: str,
    unit: str = "day",
    where: str | None = None,
    average: bool = False,
) -> dict[str, Any]:
    """``/segmentation/sum`` (or ``/average``): ``{"status","computed_at","results":{date: x}}``.

    Non-numeric values count as 0.0, as the spec says for sum.
    """
    on_fn = compile_expr(on)
    items = _filter(rows(project, first, last), event, where)
    per_date = grouped(items, lambda r: bucket_key(r.local, unit))
    results: dict[str, float] = {}
    for key in series(first, last, unit):
        nums = [_numeric(on_fn(r.get)) for r in per_date.get(key, [])]
        total = sum(nums)
        results[key] = (
            round(total / len(nums), 3)
            if average and nums
            else (0.0 if average else round(total, 3))
        )
    return {"status": "ok", "computed_at": computed_at(project), "results": results}


def _numeric(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def _iso_local(project: Project, day: date, end: bool = False) -> str:
    """``2020-08-31T00:00:00-07:00`` (or the day's last millisecond) in the project zone."""
    tz = project.spec.timezone
    instant = (
        local_midnight_utc(day + timedelta(days=1), tz) - 1 if end else local_midnight_utc(day, tz)
    )
    off = offset_s(instant, tz)
    sign, off = ("-", -off) if off < 0 else ("+", off)
    stamp = "T23:59:59.999000" if end else "T00:00:00"
    return f"{day.isoformat()}{stamp}{sign}{off // 3600:02d}:{off % 3600 // 60:02d}"


def insights(project: Project, bookmark_id: int) -> dict[str, Any]:
    """``/insights``: a saved report over the whole generated range (up to today).

    Besides the spec's shape (§6.6) it serves what real saved reports send [OBS, Mixpanel's
    own client ``mixpanel-headless`` and users' exports]: ``$overall`` beside each breakdown
    level's values (the level's own total, a leaf: ``{"$overall": {"all": 4}, "US": {...}}``),
    ``{"all": n}`` for charts that are not time series, and the "normalized" bodies of funnel
    and retention bookmarks.
    """
    mark = project.bookmark(bookmark_id)
    first, last = project.spec.start, min(project.spec.end, project.today)
    if mark.kind == "funnels":
        headers, series_out = ["$metric"], _funnel_series(project, mark, first, last)
    elif mark.kind == "retention":
        headers, series_out = (
            ["$retention", "segment"],
            _retention_series(project, mark, first, last),
        )
    else:
        items = _filter(rows(project, first, last), mark.event, None)
        levels = [p for p in (mark.on, mark.then) if p]
        headers = ["$event", *levels]
        series_out = {
            name: _breakdown(project, named, mark, levels)
            for name, named in grouped(items, lambda r: r.name).items()
        }
    return {
        "computed_at": computed_at(project),
        "date_range": {
            "from_date": _iso_local(project, first),
            "to_date": _iso_local(project, last, end=True),
        },
        "headers": headers,
        "series": series_out,
    }


def _breakdown(project: Project, items: list[Row], mark: Any, levels: list[str]) -> dict[str, Any]:
    """One series node: the leaf, or ``$overall`` (when saved so) plus one node per value."""
    if not levels:
        return {"all": len(items)} if mark.chart == "bar" else _dated(project, items, mark.unit)
    node: dict[str, Any] = {}
    if mark.overall:
        node["$overall"] = _breakdown(project, items, mark, [])
    for seg, part in grouped(items, _segment_of(levels[0])).items():
        node[seg] = _breakdown(project, part, mark, levels[1:])
    return node


def _funnel_series(project: Project, mark: Any, first: date, last: date) -> dict[str, Any]:
    """A funnel bookmark through /insights: the whole range's steps, one metric per field."""
    definition = project.funnel(mark.funnel_id)
    body = funnel(project, mark.funnel_id, first, last, interval=(last - first).days + 1)
    steps = next(iter(body["data"].values()))["steps"]
    fields = ("count", "step_conv_ratio", "overall_conv_ratio", "avg_time", "avg_time_from_start")
    return {
        definition.name: {
            f: {f"{i + 1}. {s['event']}": {"all": s[f]} for i, s in enumerate(steps)}
            for f in fields
        }
    }


def _retention_series(project: Project, mark: Any, first: date, last: date) -> dict[str, Any]:
    """A retention bookmark through /insights: cohorts keyed by time, ``$overall`` leaves."""
    body = retention(project, first, last, mark.event, None, mark.unit, 1)
    return {
        f"{mark.event} and then Any event": {
            _iso_local(project, date.fromisoformat(day)): {
                "$overall": {
                    **cohort,
                    "rates": [
                        round(n / cohort["first"], 4) if cohort["first"] else 0
                        for n in cohort["counts"]
                    ],
                }
            }
            for day, cohort in body.items()
        }
    }


def _dated(project: Project, items: list[Row], unit: str) -> dict[str, int]:
    per = grouped(items, lambda r: bucket_key(r.local, unit))
    return {_iso_local(project, date.fromisoformat(k)): len(v) for k, v in sorted(per.items())}


__all__ = [
    "addiction",
    "cohorts_list",
    "event_names",
    "event_properties",
    "event_properties_top",
    "event_property_values",
    "events",
    "events_top",
    "funnel",
    "funnels_list",
    "insights",
    "retention",
    "run_jql",
    "segmentation",
    "segmentation_numeric",
    "segmentation_sum",
    "stream",
]


def _segment_of(on: str) -> Callable[[Row], str]:
    """The segment label of a row for the property ``on``."""
    return lambda r: segment_label(r.props.get(on, MISSING))
