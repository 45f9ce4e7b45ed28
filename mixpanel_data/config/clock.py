"""The one clock the library reads: wall time for "today", monotonic time and sleep for budgets.

Every decision that depends on the time of day (which export day is today in the project's zone,
when an hourly budget has room again) reads a ``Clock`` from the settings, so a test can move
the whole library 40 or 400 days forward, or through an hour's wait, without waiting.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time (aware, UTC), monotonic seconds and a sleep that advances both."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()
