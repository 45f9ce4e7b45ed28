"""Turn Mixpanel export ``time`` values into true UTC, and UTC instants into project-local days.

Projects created before 2023-01-01 export "project-local epoch" seconds: the wall-clock time in
the project's zone written as if it were UTC. We add the offset back. Wall times that occur twice
(DST fall-back) resolve to the first occurrence; wall times that never occur (spring-forward gap)
use the offset in force before the gap. Both rules are zoneinfo's ``fold=0`` and never drop a row.

Offsets are looked up once per distinct minute, so a batch of a million rows costs ~1k lookups.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from mixpanel_data.exceptions import ConfigError

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1)
logger = logging.getLogger("mixpanel_data.sources")


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
    """True UTC microseconds to the project's wall-clock microseconds (``tz`` is required: a
    None would mean the zone of the machine running the load)."""

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


FAST_US = 10 * US_PER_MINUTE
"""Processed "at once": Mixpanel processes a live client's event within minutes."""
SKEW_US = 2 * US_PER_MINUTE
"""Earlier than its own time by more than this, an event cannot have been processed (client
clocks run a little fast; Mixpanel clamps times from the future at ingestion)."""
MIN_ROWS = 20


@dataclass(frozen=True)
class Judgement:
    """What a batch says about export ``time``: project-local (legacy) or UTC, and why.

    ``legacy`` is None when the batch cannot tell; ``same`` is True when the zone's offset was
    zero for every row, so both readings give the same instants (nothing to decide yet).
    """

    legacy: bool | None
    evidence: str
    same: bool = False


def judge_export_times(
    raw_us: np.ndarray, processing_ms: np.ndarray, tz: ZoneInfo | None
) -> Judgement:
    """Decide from evidence that processing lag cannot fake whether ``time`` is project-local.

    An event is never processed before it happened, and a live client's event is processed
    within minutes. Read under the wrong hypothesis, every instant moves by the zone's offset:
    for a zone west of UTC, UTC times read as local ones put most events' processing before
    their occurrence; east of UTC, local times read as UTC do. And the spike of events processed
    within minutes of happening sits at zero only under the right reading. Lag of hours (batch
    imports, offline phones) widens both distributions but moves neither the impossible share
    nor the spike, unlike the medians this replaced: with 3-14 h of normal lag a modern project
    west of UTC looked "local". When neither test is clear the answer is None, and the caller
    refuses rather than shifting every timestamp on a guess.
    """
    valid = ~np.isnan(np.asarray(processing_ms, dtype=np.float64))
    n = int(valid.sum())
    if n == 0:
        return Judgement(None, "no row carries mp_processing_time_ms")
    raw = raw_us[valid]
    processed = np.asarray(processing_ms, dtype=np.float64)[valid] * 1_000.0
    gap_utc = processed - raw
    if tz is None:
        return _judge_without_zone(gap_utc, n)
    ms = np.asarray(processing_ms, dtype=np.float64)[valid]
    # The instant a local reading gives: the wall time converted exactly as the parser would
    # (not "raw read as UTC, shifted by the offset then", which is an hour off on DST days).
    local_instant = local_to_utc_us(raw, tz, ms).astype(np.float64)
    if not np.any(local_instant - raw):
        return Judgement(None, f"{tz.key} was at UTC+0 for all {n:,} rows", same=True)
    gap_local = processed - local_instant
    neg_utc, neg_local = _share(gap_utc < -SKEW_US), _share(gap_local < -SKEW_US)
    fast_utc = _share((gap_utc >= -SKEW_US) & (gap_utc <= FAST_US))
    fast_local = _share((gap_local >= -SKEW_US) & (gap_local <= FAST_US))
    facts = (
        f"of {n:,} events, read as UTC {neg_utc:.1%} were processed before they happened and "
        f"{fast_utc:.1%} within 10 min; read as {tz.key} wall times {neg_local:.1%} and "
        f"{fast_local:.1%}"
    )
    if n < MIN_ROWS and max(neg_utc, neg_local) < 0.5:
        return Judgement(None, f"too few rows to tell: {facts}")
    if neg_local >= 0.25 and neg_utc <= 0.02:
        return Judgement(False, f"UTC export times: {facts}")
    if neg_utc >= 0.25 and neg_local <= 0.02:
        return Judgement(True, f"project-local export times: {facts}")
    if fast_utc >= 0.2 and fast_utc >= 5 * fast_local and neg_utc <= 0.02:
        return Judgement(False, f"UTC export times: {facts}")
    if fast_local >= 0.2 and fast_local >= 5 * fast_utc and neg_local <= 0.02:
        return Judgement(True, f"project-local export times: {facts}")
    return Judgement(None, f"unclear: {facts}")


def _judge_without_zone(gap_utc: np.ndarray, n: int) -> Judgement:
    """Without the project's zone only the UTC reading can be tested."""
    neg = _share(gap_utc < -SKEW_US)
    fast = _share((gap_utc >= -SKEW_US) & (gap_utc <= FAST_US))
    facts = (
        f"of {n:,} events read as UTC, {neg:.1%} were processed before they happened and "
        f"{fast:.1%} within 10 min"
    )
    if n >= MIN_ROWS and fast >= 0.2 and neg <= 0.02:
        return Judgement(False, f"UTC export times: {facts}")
    return Judgement(None, f"unclear without the project's time zone: {facts}")


def _share(mask: np.ndarray) -> float:
    return float(np.count_nonzero(mask)) / max(1, len(mask))


class LegacySwitch:
    """Whether export ``time`` is project-local; ``None`` (auto) is decided from the data.

    ``decide`` judges a batch (``judge_export_times``) the first time the answer is unknown and
    keeps the answer with its evidence, which the source stores in its state (``mp info`` shows
    it). A batch whose zone offset is zero reads the same either way and decides nothing yet; a
    batch that cannot tell raises a one-line ``ConfigError`` asking for ``legacy_timezone``.
    """

    def __init__(self, value: bool | None, evidence: str | None = None) -> None:
        self.value = value
        self.evidence = evidence
        self._lock = threading.Lock()

    def decide(self, raw_us: np.ndarray, processing_ms: np.ndarray, tz: ZoneInfo | None) -> bool:
        if self.value is not None:
            return self.value
        with self._lock:
            if self.value is not None:
                return self.value
            verdict = judge_export_times(raw_us, processing_ms, tz)
            if verdict.same:
                return False
            if verdict.legacy is None:
                raise ConfigError(
                    "Cannot tell whether this project exports UTC or project-local times "
                    f"({verdict.evidence}): set legacy_timezone to true (project created before "
                    "2023-01-01) or false (later) in pipelines.yaml options or "
                    "SOURCES__MIXPANEL__LEGACY_TIMEZONE."
                )
            self.value, self.evidence = verdict.legacy, verdict.evidence
            logger.info("export times decided: %s", verdict.evidence)
            return self.value
