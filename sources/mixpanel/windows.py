"""Whole-day, inclusive, non-overlapping export windows, and the last day export accepts now."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mixpanel_data.exceptions import InvalidArgumentError

EARLIEST_ZONE = timedelta(hours=12)
"""The westmost zone in use is UTC-12: when a project's zone is unknown, its "today" is at least
the date 12 hours ago in UTC, so a request up to that day can never be in its future."""


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of whole days, as the Export API's from_date/to_date take it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def halves(self) -> tuple[Window, Window]:
        """Two windows that cover this one (it must be longer than a day)."""
        middle = self.start + timedelta(days=self.days // 2 - 1)
        return Window(self.start, middle), Window(middle + timedelta(days=1), self.end)

    def __str__(self) -> str:
        return self.start.isoformat() if self.days == 1 else f"{self.start}..{self.end}"


def last_export_day(now: datetime, tz: ZoneInfo | None, legacy: bool | None) -> date:
    """The latest ``to_date`` Mixpanel accepts at ``now``: never a day in the project's future.

    Mixpanel refuses a ``to_date`` after today in the project's zone (400). Export days are UTC
    days for projects created from 2023 on and project-local days before; a UTC export cannot
    hold a UTC day that has not begun either. So: today in the zone for a legacy project, the
    earlier of that and UTC's today otherwise (or while undecided), and with the zone unknown
    the date 12 hours ago in UTC (the earliest today anywhere on Earth).
    """
    utc = now.astimezone(UTC)
    if tz is None:
        return (utc - EARLIEST_ZONE).date()
    local = utc.astimezone(tz).date()
    return local if legacy else min(local, utc.date())


def merge_ranges(ranges: Iterable[Window]) -> list[Window]:
    """Sorted, non-overlapping windows covering the same days (adjacent ones joined)."""
    merged: list[Window] = []
    for window in sorted(ranges):
        if merged and window.start <= merged[-1].end + timedelta(days=1):
            last = merged[-1]
            merged[-1] = Window(last.start, max(last.end, window.end))
        else:
            merged.append(window)
    return merged


def uncovered(start: date, end: date, covered: Iterable[Window]) -> list[Window]:
    """The parts of ``start..end`` that ``covered`` leaves out."""
    out: list[Window] = []
    day = start
    for window in merge_ranges(covered):
        if window.end < day or window.start > end:
            continue
        if window.start > day:
            out.append(Window(day, window.start - timedelta(days=1)))
        day = max(day, window.end + timedelta(days=1))
    if day <= end:
        out.append(Window(day, end))
    return out


class WindowPlanner:
    """Hands out export windows on demand, each sized from the bytes per day seen so far.

    Every export request counts against Mixpanel's 3/second and 60/hour, and a small project's
    day downloads in a fraction of a second, so one-day windows spend the budget (and the run's
    time) on request overhead. A window holds one day until one has been measured; then as many
    days as fit in ``target_bytes`` of export at the densest rate seen (keeping each download's
    spool near that size), growing at most ``GROWTH`` times the longest window that had data.
    Windows that come back empty double in length (up to ``MAX_EMPTY_DAYS``), so years of mostly
    empty days cost a few dozen requests, not thousands; should a long window meet a busy stretch
    the fetch stops it at ``max_bytes`` and ``split`` hands out its halves. The hourly budget is
    respected by waiting for it, never by growing windows. ``window_days`` fixes the size.

    ``todo`` is what to fetch (several ranges when a resumed backfill skips finished ones).
    ``chunk(target)`` starts a chunk: ``next`` returns None once ``target`` bytes were fetched in
    it (``exhausted`` tells whether days are left for the next chunk). Thread-safe: every fetch
    thread asks for its next window when it is free.

    ``stored`` are the days the table may already hold. A window never mixes such days with
    fresh ones, and a chunk with a byte target holds one kind only (``chunk`` says which), so a
    load of fresh days can append while a load of stored days merges. Without a target (one load
    for everything) a chunk is fresh only when every day left is.
    """

    GROWTH = 4
    MAX_EMPTY_DAYS = 256

    def __init__(
        self,
        todo: Iterable[Window],
        *,
        window_days: int | None,
        target_bytes: int,
        stored: Iterable[Window] = (),
    ) -> None:
        if window_days is not None and window_days < 1:
            raise InvalidArgumentError(
                f"window_days must be 1 or more, not {window_days}: leave it out to size "
                "windows automatically."
            )
        self._todo = merge_ranges(todo)
        self.start = self._todo[0].start if self._todo else None
        self.end = self._todo[-1].end if self._todo else None
        known = merge_ranges(stored)
        self._stored = [w for t in self._todo for w in _cut(t, known, fresh=False)]
        self._todo = _by_kind(self._todo, known)
        self._pending: list[Window] = []  # halves of windows that came back too large
        self._fixed = window_days
        self._target = target_bytes
        self._bytes_per_day: float | None = None
        self._longest_with_data = 0
        self._empty_days = 1
        self._chunk_target: int | None = None
        self._chunk_bytes = 0
        self._chunk_fresh = False
        self._lock = threading.Lock()

    @property
    def days(self) -> int:
        """Days still to hand out (halves of split windows included)."""
        with self._lock:
            return sum(w.days for w in self._todo) + sum(w.days for w in self._pending)

    @property
    def exhausted(self) -> bool:
        """True when every day has been handed out."""
        with self._lock:
            return not self._todo and not self._pending

    def chunk(self, target_bytes: int | None) -> bool:
        """Start a chunk that ends once ``target_bytes`` of export were fetched (None: never).

        True when every window it hands out holds fresh days only (the load may append).
        """
        with self._lock:
            self._chunk_target, self._chunk_bytes = target_bytes, 0
            left = [*self._pending, *self._todo]
            if target_bytes is None:
                self._chunk_fresh = all(self._is_fresh(w) for w in left)
            else:
                head = self._pending[-1] if self._pending else self._todo[0] if self._todo else None
                self._chunk_fresh = head is not None and self._is_fresh(head)
            return self._chunk_fresh

    def next(self) -> Window | None:
        """The next window to fetch, or None when the chunk is full or every day is out."""
        with self._lock:
            if self._chunk_target is not None and self._chunk_bytes >= self._chunk_target:
                return None
            if self._pending:
                if self._other_kind(self._pending[-1]):
                    return None
                return self._pending.pop()
            if not self._todo or self._other_kind(self._todo[0]):
                return None
            head = self._todo[0]
            last = min(head.end, head.start + timedelta(days=self._size() - 1))
            window = Window(head.start, last)
            if last == head.end:
                self._todo.pop(0)
            else:
                self._todo[0] = Window(last + timedelta(days=1), head.end)
            return window

    def observe(self, window: Window, export_bytes: int) -> None:
        """Record how big ``window``'s export was (decompressed bytes)."""
        with self._lock:
            self._chunk_bytes += max(0, export_bytes)
            if export_bytes <= 0:
                self._empty_days = min(self.MAX_EMPTY_DAYS, max(self._empty_days, window.days) * 2)
                return
            rate = export_bytes / window.days
            self._bytes_per_day = max(self._bytes_per_day or 0.0, rate)
            self._longest_with_data = max(self._longest_with_data, window.days)
            self._empty_days = 1

    def split(self, window: Window, fetched_bytes: int) -> None:
        """``window`` was stopped after ``fetched_bytes``: hand out its halves next."""
        first, second = window.halves()
        with self._lock:
            self._chunk_bytes += fetched_bytes
            rate = fetched_bytes / window.days
            self._bytes_per_day = max(self._bytes_per_day or 0.0, rate)
            self._empty_days = 1
            self._pending += [second, first]  # popped from the end: first half first

    def _is_fresh(self, window: Window) -> bool:
        return not any(s.start <= window.end and window.start <= s.end for s in self._stored)

    def _other_kind(self, window: Window) -> bool:
        """Whether ``window`` must wait for a chunk of its own kind."""
        return self._chunk_target is not None and self._is_fresh(window) != self._chunk_fresh

    def _size(self) -> int:
        if self._fixed:
            return self._fixed
        measured = 1
        if self._bytes_per_day is not None:
            fits = int(self._target // self._bytes_per_day)
            measured = max(1, min(fits, self._longest_with_data * self.GROWTH))
        return max(measured, self._empty_days)


def _cut(window: Window, stored: list[Window], *, fresh: bool) -> list[Window]:
    """The parts of ``window`` that are fresh (not in ``stored``), or the stored parts."""
    gaps = uncovered(window.start, window.end, stored)
    if fresh:
        return gaps
    return uncovered(window.start, window.end, gaps)


def _by_kind(todo: list[Window], stored: list[Window]) -> list[Window]:
    """``todo`` cut where stored and fresh days meet, so no window holds both kinds."""
    out: list[Window] = []
    for window in todo:
        parts = _cut(window, stored, fresh=True) + _cut(window, stored, fresh=False)
        out.extend(sorted(parts))
    return out
