"""A fake wall clock shared by the stand-in and the library under test.

Tests hand the same ``FakeClock`` to both sides, so a retry loop's hour-long wait or a
40-day jump takes no real time, and the server's "now" (what is processed, what "today" is,
the rate-limit windows) moves with the client's.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive input is read as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (exact integer arithmetic)."""
    delta = as_utc(moment) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class FakeClock:
    """``now()``/``monotonic()``/``sleep()`` over an instant that only moves when told to.

    ``sleep`` never blocks: it moves the clock to ``max(now, start + seconds)`` where ``start``
    is the instant the sleeping thread last saw (its last read or sleep, or the last
    ``set``/``advance`` when it saw nothing since). So two threads sleeping 600 s from the same
    instant move the clock 600 s, not 1200, as real sleeps in parallel would, while one thread
    sleeping twice moves it twice. Thread-safe.
    """

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._anchor = self._now  # where threads that saw nothing since the last jump start
        self._generation = 0
        self._lock = threading.Lock()
        self._seen = threading.local()

    def _observe(self, moment: datetime) -> None:
        self._seen.moment = moment
        self._seen.generation = self._generation

    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        with self._lock:
            self._observe(self._now)
            return self._now

    def now_ms(self) -> int:
        """The current instant as epoch milliseconds."""
        return epoch_ms(self.now())

    def monotonic(self) -> float:
        """Seconds derived from ``now`` (epoch seconds), so waits measured on it are exact."""
        return self.now().timestamp()

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` from this thread's instant, without waiting (yields the GIL)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        with self._lock:
            fresh = getattr(self._seen, "generation", -1) == self._generation
            start = self._seen.moment if fresh else self._anchor
            target = start + timedelta(seconds=seconds)
            self._now = max(self._now, target)
            self._observe(target)
        time.sleep(0)

    def advance(self, delta: timedelta) -> datetime:
        """Jump forward (or back, with a negative delta); returns the new instant."""
        with self._lock:
            return self._jump(self._now + delta)

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (naive means UTC); returns it as aware UTC."""
        with self._lock:
            return self._jump(as_utc(moment))

    def _jump(self, moment: datetime) -> datetime:
        self._now = self._anchor = moment
        self._generation += 1
        return moment

    def __repr__(self) -> str:
        return f"FakeClock({self.now().isoformat()})"
