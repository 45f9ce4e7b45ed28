"""Rate-limit emulation (README §5): off unless configured, so tests never throttle by accident."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

QUERY_LIMIT_MESSAGE = (
    "Query rate limit exceeded for project_id: {project_id}. {running}/{max_running} queries "
    "running concurrently and {hour}/{max_hour} queries running in the last hour. For more "
    "information, see https://developer.mixpanel.com/reference/rate-limits"
)
EXPORT_LIMIT_MESSAGE = "too many export requests in progress for this project"


@dataclass(frozen=True)
class RateLimits:
    """Per-family limits; ``None`` disables one. ``retry_after`` adds that header to 429s."""

    query_concurrent: int | None = None
    query_per_hour: int | None = None
    export_per_second: int | None = None
    export_per_hour: int | None = None
    export_concurrent: int | None = None
    retry_after: float | None = None

    @classmethod
    def documented(cls) -> RateLimits:
        """Documented numbers: query 5 concurrent, 60/hour; export 3/s, 60/hour, 100 running."""
        return cls(5, 60, 3, 60, 100)


class RateLimiter:
    """Counts running and recent requests per family; answers with a 429 message or None."""

    def __init__(
        self, limits: RateLimits, project_id: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.project_id = project_id
        self.clock = clock
        self._lock = threading.Lock()
        self._running = {"query": 0, "export": 0}
        self._recent: dict[str, deque[float]] = {"query": deque(), "export": deque()}

    def acquire(self, family: str) -> str | None:
        """Start a request; returns a 429 error message when over a limit (nothing held)."""
        if family not in self._running:
            return None
        now = self.clock()
        with self._lock:
            recent = self._recent[family]
            while recent and recent[0] <= now - 3600:
                recent.popleft()
            message = self._check(family, now, recent)
            if message is None:
                self._running[family] += 1
                recent.append(now)
            return message

    def spend(self, family: str, n: int) -> None:
        """Count ``n`` requests of ``family`` as started now (another client used the budget)."""
        if family not in self._recent:
            raise ValueError(f"family must be query or export; got {family!r}")
        if n < 0:
            raise ValueError("n must be >= 0")
        now = self.clock()
        with self._lock:
            self._recent[family].extend([now] * n)

    def release(self, family: str) -> None:
        """Finish a request started by a successful ``acquire``."""
        if family in self._running:
            with self._lock:
                self._running[family] -= 1

    def _check(self, family: str, now: float, recent: deque[float]) -> str | None:
        lim = self.limits
        running = self._running[family]
        if family == "query":
            max_running, max_hour = lim.query_concurrent, lim.query_per_hour
            if (max_running is not None and running >= max_running) or (
                max_hour is not None and len(recent) >= max_hour
            ):
                return QUERY_LIMIT_MESSAGE.format(
                    project_id=self.project_id,
                    running=running + 1,
                    max_running=max_running or 5,
                    hour=len(recent) + 1,
                    max_hour=max_hour or 60,
                )
            return None
        per_second = sum(1 for t in recent if t > now - 1.0)
        if (
            (lim.export_concurrent is not None and running >= lim.export_concurrent)
            or (lim.export_per_hour is not None and len(recent) >= lim.export_per_hour)
            or (lim.export_per_second is not None and per_second >= lim.export_per_second)
        ):
            return EXPORT_LIMIT_MESSAGE
        return None
