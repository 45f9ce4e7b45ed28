"""Turn Mixpanel export ``time`` values into true UTC, and UTC instants into project-local days.

Projects created before 2023-01-01 export "project-local epoch" seconds: the wall-clock time in
the project's zone written as if it were UTC. We add the offset back. Wall times that occur twice
(DST fall-back) resolve to the first occurrence; wall times that never occur (spring-forward gap)
use the offset in force before the gap. Both rules are zoneinfo's ``fold=0`` and never drop a row.

Offsets are looked up once per distinct minute, so a batch of a million rows costs ~1k lookups.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from mixpanel_data.exceptions import ConfigError

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1)


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or a one-line error naming the fix."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"Unknown project_timezone {name!r}: use an IANA name such as 'America/New_York'."
        ) from None


def raw_time_to_us(raw: np.ndarray) -> np.ndarray:
    """Export ``time`` (seconds, or milliseconds with time_in_ms) as integer microseconds."""
    values = np.asarray(raw, dtype=np.float64)
    is_ms = values > 1e11
    scaled = np.where(is_ms, values * 1_000.0, values * 1_000_000.0)
    return np.rint(scaled).astype(np.int64)


def _per_minute(values_us: np.ndarray, offset_of_minute: Callable[[int], int]) -> np.ndarray:
    minutes, inverse = np.unique(values_us // US_PER_MINUTE, return_inverse=True)
    offsets = np.fromiter(
        (offset_of_minute(int(m)) for m in minutes),
        dtype=np.int64,
        count=len(minutes),
    )
    return offsets[inverse.reshape(-1)]


def local_to_utc_us(
    local_us: np.ndarray, tz: ZoneInfo, processing_ms: np.ndarray | None = None
) -> np.ndarray:
    """Project-local epoch microseconds to true UTC microseconds.

    A wall time in a fall-back hour has two candidate instants: the later one is taken when the
    event's ``mp_processing_time_ms`` is already past it (Mixpanel processes most events within
    minutes), else the earlier. Gap times use the offset in force before the gap.
    """
    if len(local_us) == 0:
        return local_us

    def offset(minute: int, fold: int) -> int:
        wall = (_EPOCH + timedelta(minutes=minute)).replace(tzinfo=tz, fold=fold)
        delta = wall.utcoffset() or timedelta(0)
        return int(delta.total_seconds()) * US_PER_SECOND

    minutes, inverse = np.unique(local_us // US_PER_MINUTE, return_inverse=True)
    inverse = inverse.reshape(-1)
    first = np.fromiter((offset(int(m), 0) for m in minutes), dtype=np.int64, count=len(minutes))
    second = np.fromiter((offset(int(m), 1) for m in minutes), dtype=np.int64, count=len(minutes))
    earlier = local_us - first[inverse]
    ambiguous = (first != second)[inverse]
    if not ambiguous.any() or processing_ms is None:
        return earlier
    later = local_us - second[inverse]
    processed_us = np.nan_to_num(np.asarray(processing_ms, dtype=np.float64), nan=-1.0) * 1_000.0
    take_later = ambiguous & (later > earlier) & (processed_us >= later)
    return np.where(take_later, later, earlier)


def utc_to_local_us(utc_us: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """True UTC microseconds to the project's wall-clock microseconds."""

    def offset(minute: int) -> int:
        instant = datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(tz)
        delta = instant.utcoffset() or timedelta(0)
        return int(delta.total_seconds()) * US_PER_SECOND

    if len(utc_us) == 0:
        return utc_us
    return utc_us + _per_minute(utc_us, offset)


def days_since_epoch(us: np.ndarray) -> np.ndarray:
    """Calendar day numbers (Arrow date32) of microsecond timestamps."""
    return (us // US_PER_DAY).astype(np.int32)


class LegacySwitch:
    """Whether export ``time`` is project-local; ``None`` (auto) is decided from the first batch.

    Auto looks at how far ``mp_processing_time_ms`` trails ``time``: Mixpanel processes most
    events within minutes, so a typical gap close to minus the zone's UTC offset (hours) rather
    than close to zero means the project exports project-local times.
    """

    def __init__(self, value: bool | None) -> None:
        self.value = value
        self._lock = threading.Lock()

    def decide(self, raw_us: np.ndarray, processing_ms: np.ndarray, tz: ZoneInfo) -> bool:
        if self.value is not None:
            return self.value
        with self._lock:
            if self.value is None:
                self.value = _looks_local(raw_us, processing_ms, tz)
            return self.value


def _looks_local(raw_us: np.ndarray, processing_ms: np.ndarray, tz: ZoneInfo) -> bool:
    valid = ~np.isnan(np.asarray(processing_ms, dtype=np.float64))
    if not valid.any():
        return False
    raw = raw_us[valid]
    gap = np.asarray(processing_ms, dtype=np.float64)[valid] * 1_000.0 - raw
    offset = (utc_to_local_us(raw, tz) - raw).astype(np.float64)
    if not np.any(offset):
        return False
    return bool(np.median(np.abs(gap + offset)) < np.median(np.abs(gap)))
