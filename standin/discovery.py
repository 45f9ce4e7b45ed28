"""Pure answers for event discovery, saved lists and the activity stream (README §6.7-6.9).

"Recent" endpoints (top, names, property tops/values) look at the 31 days ending today.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from mixpanel_data.standin import catalog
from mixpanel_data.standin.expr import MISSING
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.querydata import (
    Row,
    bucket_key,
    bucket_start,
    grouped,
    measure,
    rows,
    segment_label,
    series,
)

RECENT_DAYS = 31


def interval_range(today: date, unit: str, interval: int) -> tuple[date, date]:
    """``interval``: the current unit plus the N-1 previous ones, ending today."""
    start = bucket_start(today, unit)
    for _ in range(interval - 1):
        start = bucket_start(start - timedelta(days=1), unit)
    return start, today


def _recent(project: Project) -> list[Row]:
    return rows(project, project.today - timedelta(days=RECENT_DAYS - 1), project.today)


def events(
    project: Project,
    names: list[str],
    first: date,
    last: date,
    kind: str = "general",
    unit: str = "day",
) -> dict[str, Any]:
    """``/events``: segmentation-like; a name's map leaves out dates without data."""
    keys = series(first, last, unit)
    by_name = grouped((r for r in rows(project, first, last) if r.name in names), lambda r: r.name)
    values = {}
    for name in names:
        per = grouped(by_name.get(name, []), lambda r: bucket_key(r.local, unit))
        values[name] = {k: measure(per[k], kind) for k in keys if k in per}
    return {"data": {"series": keys, "values": values}, "legend_size": len(values)}


def events_top(project: Project, kind: str = "general", limit: int = 100) -> dict[str, Any]:
    """``/events/top``: today against yesterday."""
    today = grouped(rows(project, project.today, project.today), lambda r: r.name)
    day_before = project.today - timedelta(days=1)
    before = grouped(rows(project, day_before, day_before), lambda r: r.name)
    out = []
    for name, items in today.items():
        amount, prev = measure(items, kind), measure(before.get(name, []), kind)
        change = round((amount - prev) / prev, 4) if prev else 0
        out.append({"amount": amount, "event": name, "percent_change": change})
    out.sort(key=lambda e: (-e["amount"], e["event"]))
    return {"events": out[:limit], "type": kind}


def event_names(project: Project, limit: int = 255) -> list[str]:
    """``/events/names``: the ``limit`` most common names of the last 31 days, as a bare array
    in alphabetical order, not by popularity (``openapi/query.openapi.yaml`` ``/events/names``:
    "List of names in descending alphabetical order", yet its example ``["battle", "click
    signup button", "View homepage"]`` ascends ignoring case: the example's order is served)."""
    counts = Counter(r.name for r in _recent(project))
    top = [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]
    return sorted(top, key=lambda name: (name.casefold(), name))


def event_properties(
    project: Project,
    event: str,
    name: str,
    first: date,
    last: date,
    kind: str = "general",
    unit: str = "day",
    values: list[str] | None = None,
    limit: int = 255,
) -> dict[str, Any]:
    """``/events/properties``: segmentation-like, keyed by the property's value."""
    keys = series(first, last, unit)
    items = [r for r in rows(project, first, last) if r.name == event]
    by_value = grouped(items, lambda r: segment_label(r.props.get(name, MISSING)))
    chosen = [
        v
        for v in sorted(by_value, key=lambda v: -len(by_value[v]))
        if values is None or v in values
    ][:limit]
    out = {}
    for value in chosen:
        per = grouped(by_value[value], lambda r: bucket_key(r.local, unit))
        out[value] = {k: measure(per[k], kind) for k in keys if k in per}
    return {"data": {"series": keys, "values": out}, "legend_size": len(out)}


def event_properties_top(project: Project, event: str, limit: int = 10) -> dict[str, Any]:
    """``/events/properties/top``: ``{prop: {"count": n}}``; ``{}`` for always-null ones."""
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for row in _recent(project):
        if row.name != event:
            continue
        for key, value in row.props.items():
            if key in ("time", "distinct_id", "$insert_id", "mp_processing_time_ms"):
                continue
            seen.add(key)
            if value is not None:
                counts[key] += 1
    ordered = sorted(seen, key=lambda k: (-counts[k], k))[:limit]
    return {k: ({"count": counts[k]} if counts[k] else {}) for k in ordered}


def event_property_values(project: Project, event: str, name: str, limit: int = 255) -> list[str]:
    """``/events/properties/values``: most common values as strings, a bare array."""
    counts = Counter(
        segment_label(r.props[name])
        for r in _recent(project)
        if r.name == event and r.props.get(name) is not None
    )
    return [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def cohorts_list(project: Project) -> list[dict[str, Any]]:
    """``/cohorts/list``: a bare array; ``is_visible`` is 0/1; ``created`` has a space."""
    return [
        {
            "count": len(project.cohort_members(c.cohort_id)),
            "is_visible": c.is_visible,
            "description": c.description,
            "created": c.created,
            "project_id": project.spec.project_id,
            "id": c.cohort_id,
            "name": c.name,
        }
        for c in catalog.COHORTS
    ]


def funnels_list() -> list[dict[str, Any]]:
    """``/funnels/list``: a bare array of ``{"funnel_id", "name"}``."""
    return [{"funnel_id": f.funnel_id, "name": f.name} for f in catalog.FUNNELS]


def stream(project: Project, distinct_ids: list[str], first: date, last: date) -> dict[str, Any]:
    """``/stream/query``: the users' events, time-ordered, ``$distinct_id`` in properties."""
    wanted = set(distinct_ids)
    out = []
    for row in rows(project, first, last):
        if row.distinct_id in wanted:
            props = {k: v for k, v in row.props.items() if k != "distinct_id"}
            props["$distinct_id"] = row.distinct_id
            out.append({"event": row.name, "properties": props})
    return {"status": "ok", "results": {"events": out}}
