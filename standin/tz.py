"""Timezone arithmetic for export days and the legacy "project-local epoch".

A legacy project's export ``time`` is ``true_utc + utcoffset(true_utc)``; export days are the
project's local days. Each day has at most one DST transition, so a day's offsets are resolved
once (``DayClock``) and per-event shifting is a comparison, keeping generation fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_S = 86_400


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo (construction reads tzdata from disk)."""
    return ZoneInfo(name)


def offset_s(utc_s: float, tz: str) -> int:
    """The zone's UTC offset in seconds at a true-UTC instant."""
    moment = datetime.fromtimestamp(utc_s, UTC).astimezone(zone(tz))
    off = moment.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def local_midnight_utc(day: date, tz: str) -> int:
    """True-UTC epoch seconds of local midnight starting ``day`` in ``tz``."""
    naive = datetime(day.year, day.month, day.day)
    return int(naive.replace(tzinfo=zone(tz)).timestamp())


def utc_midnight(day: date) -> int:
    """Epoch seconds of 00:00 UTC on ``day``."""
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * DAY_S


def to_local_epoch(utc_s: float, tz: str) -> float:
    """Shift a true-UTC instant to the legacy project-local epoch."""
    return utc_s + offset_s(utc_s, tz)


def from_local_epoch(local_s: float, tz: str) -> list[float]:
    """All true-UTC instants that a project-local epoch value can stand for.

    Two candidates during a fall-back hour, none inside a spring-forward gap, else one.
    """
    naive = datetime(1970, 1, 1) + timedelta(seconds=local_s)
    found: list[float] = []
    for fold in (0, 1):
        aware = naive.replace(tzinfo=zone(tz), fold=fold)
        utc_s = aware.timestamp()
        if to_local_epoch(utc_s, tz) == local_s and utc_s not in found:
            found.append(utc_s)
    return found


def local_date(utc_s: float, tz: str) -> date:
    """The project-local calendar date of a true-UTC instant."""
    return datetime.fromtimestamp(utc_s, UTC).astimezone(zone(tz)).date()


@dataclass(frozen=True)
class DayClock:
    """One export day: its true-UTC span and the (at most one) offset change inside it."""

    day: date
    start_utc: int
    end_utc: int
    offset_before: int
    offset_after: int
    transition_utc: int

    def shift(self, utc_s: int) -> int:
        """Project-local epoch seconds for a true-UTC instant inside this day."""
        return utc_s + (self.offset_before if utc_s < self.transition_utc else self.offset_after)

    @property
    def has_transition(self) -> bool:
        """True on DST transition days."""
        return self.offset_before != self.offset_after


@lru_cache(maxsize=4096)
def day_clock(day: date, tz: str, legacy: bool) -> DayClock:
    """The true-UTC span of export day ``day`` (UTC day, or local day for legacy projects)."""
    nxt = day + timedelta(days=1)
    if legacy:
        start, end = local_midnight_utc(day, tz), local_midnight_utc(nxt, tz)
    else:
        start, end = utc_midnight(day), utc_midnight(nxt)
    before, after = offset_s(start, tz), offset_s(end - 1, tz)
    transition = end
    if before != after:
        lo, hi = start, end - 1
        while lo < hi:  # first second carrying the new offset
            mid = (lo + hi) // 2
            if offset_s(mid, tz) == before:
                lo = mid + 1
            else:
                hi = mid
        transition = lo
    return DayClock(day, start, end, before, after, transition)
