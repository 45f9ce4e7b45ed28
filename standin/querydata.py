"""Deduped rows in project-local time and the date buckets Query answers are keyed by.

The Query API computes in the project timezone (README §3), whatever the export convention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mixpanel_data.standin.expr import MISSING
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.tz import day_clock

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Row:
    """One deduped event as the Query API sees it."""

    local: datetime  # naive project-local wall time
    utc: int  # true UTC epoch seconds
    name: str
    distinct_id: str | None
    props: dict[str, Any]

    def get(self, source: str, key: str) -> Any:
        """Expression getter (``properties["x"]``, ``event["$time"]``)."""
        if key in ("$time", "time"):
            return self.utc
        if key in ("$event_name", "$name", "name") and source == "event":
            return self.name
        if key == "$distinct_id":
            return self.distinct_id if self.distinct_id is not None else MISSING
        return self.props.get(key, MISSING)


def local_epoch(project: Project, utc_s: int) -> int:
    """Project-local epoch seconds of a true-UTC instant."""
    utc_day = EPOCH.date() + timedelta(days=utc_s // 86_400)
    return day_clock(utc_day, project.spec.timezone, False).shift(utc_s)


def rows(project: Project, first: date, last: date) -> list[Row]:
    """Deduped rows processed by now whose project-local date is within ``first..last``."""
    pad = timedelta(days=0 if project.spec.legacy_timezone else 1)
    out: list[Row] = []
    for ev, utc in project.iter_unique(first - pad, last + pad, project.now_ms()):
        local = EPOCH + timedelta(seconds=local_epoch(project, utc))
        if first <= local.date() <= last:
            props = ev["properties"]
            out.append(Row(local, utc, ev["event"], props.get("distinct_id"), props))
    out.sort(key=lambda r: r.utc)
    return out


def bucket_start(day: date, unit: str) -> date:
    """The first day of the bucket holding ``day`` (weeks start on Monday)."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, unit: str) -> date:
    """The first day of the bucket after the one starting at ``day``."""
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def bucket_key(moment: datetime, unit: str) -> str:
    """Date key text: ``YYYY-MM-DD`` (day/week/month), with time for hour and minute."""
    if unit == "hour":
        return moment.strftime("%Y-%m-%d %H:00:00")
    if unit == "minute":
        return moment.strftime("%Y-%m-%d %H:%M:00")
    return bucket_start(moment.date(), unit).isoformat()


def series(first: date, last: date, unit: str) -> list[str]:
    """Every bucket key from ``first`` to ``last`` in order."""
    if unit in ("hour", "minute"):
        step = timedelta(hours=1) if unit == "hour" else timedelta(minutes=1)
        out, moment = [], datetime(first.year, first.month, first.day)
        end = datetime(last.year, last.month, last.day) + timedelta(days=1)
        while moment < end:
            out.append(bucket_key(moment, unit))
            moment += step
        return out
    keys, day = [], bucket_start(first, unit)
    while day <= last:
        keys.append(day.isoformat())
        day = next_bucket(day, unit)
    return keys


def segment_label(value: Any) -> str:
    """How a property value names a segment (Mixpanel stringifies; missing -> "undefined")."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def measure(rows_in: Iterable[Row], kind: str) -> float | int:
    """general: count; unique: distinct users; average: count per user."""
    items = list(rows_in)
    users = {r.distinct_id for r in items if r.distinct_id is not None}
    if kind == "unique":
        return len(users)
    if kind == "average":
        return round(len(items) / len(users), 3) if users else 0
    return len(items)


def grouped(items: Iterable[Row], key: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    """Group rows by a key function, keeping first-seen order."""
    out: dict[Any, list[Row]] = {}
    for row in items:
        out.setdefault(key(row), []).append(row)
    return out
