"""Whole-day, inclusive, non-overlapping export windows, and "today" in the export's time zone."""

from __future__ import annotations

import math
import threading
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


class WindowPlanner:
    """Hands out export windows on demand, each sized from the bytes per day seen so far.

    Every export request counts against Mixpanel's 3/second and 60/hour, and a small project's
    day downloads in a fraction of a second, so one-day windows spend the budget (and the run's
    time) on request overhead. Until a window has been measured, windows are the smallest size
    (one day, or what keeps a long range within ``max_windows``). After that a window holds as
    many days as fit in ``target_bytes`` of export at the densest rate seen so far (which keeps
    each download's spool near that size; a single busy day, or days denser than any measured,
    can still exceed it), and at most ``GROWTH`` times the longest window that had data (empty
    days, such as those before a project's first event, say nothing about the days after them).
    A day is never split; ``window_days`` fixes the size. Thread-safe: every fetch thread asks
    for its next window when it is free.
    """

    GROWTH = 4

    def __init__(
        self,
        start: date,
        end: date,
        *,
        window_days: int | None,
        max_windows: int,
        target_bytes: int,
    ) -> None:
        if end < start:
            raise InvalidArgumentError(
                f"--from {start} is after --to {end}: swap them or fix the range."
            )
        if window_days is not None and window_days < 1:
            raise InvalidArgumentError(
                f"window_days must be 1 or more, not {window_days}: leave it out to size "
                "windows automatically."
            )
        self.start = start
        self.end = end
        self._next = start
        self._fixed = window_days
        self._smallest = max(1, math.ceil(((end - start).days + 1) / max_windows))
        self._target = target_bytes
        self._bytes_per_day: float | None = None
        self._longest_with_data = 0
        self._lock = threading.Lock()

    def next(self) -> Window | None:
        """The next window to fetch, or None when every day has been handed out."""
        with self._lock:
            if self._next > self.end:
                return None
            last = min(self.end, self._next + timedelta(days=self._size() - 1))
            window = Window(self._next, last)
            self._next = last + timedelta(days=1)
            return window

    def observe(self, window: Window, export_bytes: int) -> None:
        """Record how big ``window``'s export was (decompressed bytes)."""
        if export_bytes <= 0:
            return
        with self._lock:
            rate = export_bytes / window.days
            self._bytes_per_day = max(self._bytes_per_day or 0.0, rate)
            self._longest_with_data = max(self._longest_with_data, window.days)

    def _size(self) -> int:
        if self._fixed:
            return self._fixed
        if self._bytes_per_day is None:
            return self._smallest
        fits = int(self._target // self._bytes_per_day)
        return max(self._smallest, min(fits, self.GROWTH * self._longest_with_data))
