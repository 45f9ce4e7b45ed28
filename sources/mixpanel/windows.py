"""Whole-day, inclusive, non-overlapping export windows, and "today" in the export's time zone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mixpanel_data.exceptions import InvalidArgumentError


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of whole days, as the Export API's from_date/to_date take it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.start.isoformat() if self.days == 1 else f"{self.start}..{self.end}"


def parse_day(value: str | date, what: str) -> date:
    """A YYYY-MM-DD string or a date, or a one-line error naming the argument."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidArgumentError(
            f"{what} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31."
        ) from None


def export_today(tz: ZoneInfo | None) -> date:
    """Today in the zone that export days are counted in (UTC, or the legacy project zone)."""
    return datetime.now(tz or UTC).date()


def split_windows(
    start: date, end: date, *, window_days: int | None, max_windows: int
) -> list[Window]:
    """Cut [start, end] into consecutive whole-day windows that never share a day.

    ``window_days=None`` picks the smallest size that keeps the run within ``max_windows``
    requests, so a year-long backfill stays inside Export's 60 requests/hour.
    """
    if end < start:
        raise InvalidArgumentError(
            f"--from {start} is after --to {end}: swap them or fix the range."
        )
    total = (end - start).days + 1
    size = window_days or max(1, math.ceil(total / max_windows))
    windows = []
    cursor = start
    while cursor <= end:
        last = min(end, cursor + timedelta(days=size - 1))
        windows.append(Window(cursor, last))
        cursor = last + timedelta(days=1)
    return windows
