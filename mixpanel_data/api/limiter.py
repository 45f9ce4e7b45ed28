"""Client-side rate budgets that keep this process inside Mixpanel's documented limits.

Mixpanel counts requests per project (API reference §5): the Query family allows 5 concurrent and
60 per rolling hour; raw export allows 3 per second, 60 per hour and 100 concurrent. Hitting those
limits costs a 429 and, for the hourly one, up to an hour of waiting, so every client in the
process draws from ONE shared ``Budget`` per (family, origin, project) kept in a module-level
registry. Budgets are thread-safe: a dlt source fetches export windows and engage pages from
several threads at once.

Waiting is bounded and visible: each wait is logged at DEBUG; a rate window that would need more
than ``ApiLimits.max_wait`` seconds raises ``RateLimitError`` saying how long to wait, and a
concurrency slot that stays busy past ``slot_timeout`` raises too.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from mixpanel_data.credentials import Credentials
from mixpanel_data.exceptions import RateLimitError

__all__ = ["ApiLimits", "Budget", "RateWindow", "budget_key", "reset_budgets", "shared_budget"]

logger = logging.getLogger("mixpanel_data.api")
HOUR = 3600.0


@dataclass(frozen=True)
class ApiLimits:
    """Mixpanel's documented per-project limits; ``None`` switches one limit off."""

    query_concurrent: int | None = 5
    query_per_hour: int | None = 60
    export_concurrent: int | None = 100
    export_per_second: int | None = 3
    export_per_hour: int | None = 60
    #: Longest the limiter sleeps for a rate window before raising ``RateLimitError`` instead.
    max_wait: float = 60.0
    #: Longest a request waits for a free concurrency slot before raising ``RateLimitError``.
    slot_timeout: float = 900.0

    def windows(self, family: str) -> list[RateWindow]:
        """The rolling windows that apply to ``family`` ("query" or "export")."""
        pairs = {
            "query": [(self.query_per_hour, HOUR)],
            "export": [(self.export_per_second, 1.0), (self.export_per_hour, HOUR)],
        }.get(family, [])
        return [RateWindow(limit, period) for limit, period in pairs if limit is not None]

    def concurrent(self, family: str) -> int | None:
        """How many requests of ``family`` may be in flight at once (None: no cap)."""
        return {"query": self.query_concurrent, "export": self.export_concurrent}.get(family)


@dataclass(frozen=True)
class RateWindow:
    """At most ``limit`` request starts in any ``period`` seconds."""

    limit: int
    period: float


class Budget:
    """A concurrency cap plus rolling rate windows, shared by every thread that uses it.

    ``clock`` and ``sleep`` drive the rate windows and are injectable for tests; concurrency waits
    always use real time because they wait for other threads.
    """

    def __init__(
        self,
        name: str,
        *,
        concurrent: int | None,
        windows: Sequence[RateWindow] = (),
        max_wait: float = 60.0,
        slot_timeout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.concurrent = concurrent
        self.windows = tuple(windows)
        self.max_wait = max_wait
        self.slot_timeout = slot_timeout
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._in_flight = 0
        self._starts: list[deque[float]] = [deque() for _ in self.windows]

    @property
    def in_flight(self) -> int:
        """Requests holding a slot right now."""
        with self._cond:
            return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one request slot for the duration of the block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        """Wait for a free slot and room in every rate window, then count one request start."""
        deadline = time.monotonic() + self.slot_timeout
        while True:
            with self._cond:
                self._wait_for_slot(deadline)
                wait = self._window_wait()
                if wait <= 0:
                    self._record_start()
                    return
            if wait > self.max_wait:
                raise RateLimitError(
                    f"Mixpanel {self.name} budget is used up for now: wait {wait:.0f}s before "
                    "trying again, or raise ApiLimits.max_wait to let the client wait.",
                    retry_after=wait,
                )
            logger.debug("waiting %.2fs for the %s rate budget", wait, self.name)
            self._sleep(wait)

    def release(self) -> None:
        """Give a slot back and wake one waiting thread."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    def _wait_for_slot(self, deadline: float) -> None:
        """Block (lock held, released while waiting) until fewer than ``concurrent`` in flight."""
        if self.concurrent is None or self._in_flight < self.concurrent:
            return
        logger.debug(
            "waiting for one of %d concurrent %s slots", self.concurrent, self.name
        )  # fmt: skip
        while self._in_flight >= self.concurrent:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RateLimitError(
                    f"All {self.concurrent} concurrent {self.name} slots stayed busy for "
                    f"{self.slot_timeout:.0f}s: wait for running requests or use fewer threads.",
                    retry_after=None,
                )
            self._cond.wait(remaining)

    def _window_wait(self) -> float:
        """Seconds until every rate window has room (0 when a request may start now)."""
        now = self._clock()
        wait = 0.0
        for window, starts in zip(self.windows, self._starts, strict=True):
            while starts and starts[0] <= now - window.period:
                starts.popleft()
            if len(starts) >= window.limit:
                wait = max(wait, starts[0] + window.period - now)
        return wait

    def _record_start(self) -> None:
        now = self._clock()
        for starts in self._starts:
            starts.append(now)
        self._in_flight += 1


_REGISTRY: dict[tuple[str, str, str], Budget] = {}
_REGISTRY_LOCK = threading.Lock()


def budget_key(credentials: Credentials) -> str:
    """The project a budget is counted for; a legacy secret maps to a digest, never itself."""
    if credentials.project_id:
        return str(credentials.project_id)
    digest = hashlib.sha256(credentials.secret.encode("utf-8")).hexdigest()[:16]
    return f"legacy-{digest}"


def shared_budget(family: str, origin: str, project: str, limits: ApiLimits) -> Budget | None:
    """The process-wide budget of (family, origin, project); None if ``family`` is unlimited.

    The first client to ask creates the budget with its ``limits``; later clients share it, so
    several clients of one project never add up to more than Mixpanel allows.
    """
    windows = limits.windows(family)
    concurrent = limits.concurrent(family)
    if not windows and concurrent is None:
        return None
    key = (family, origin, project)
    with _REGISTRY_LOCK:
        budget = _REGISTRY.get(key)
        if budget is None:
            label = project if not project.startswith("legacy-") else "legacy project"
            budget = Budget(
                f"{family} ({origin}, {label})",
                concurrent=concurrent,
                windows=windows,
                max_wait=limits.max_wait,
                slot_timeout=limits.slot_timeout,
            )
            _REGISTRY[key] = budget
        return budget


def reset_budgets() -> None:
    """Forget every shared budget (e.g. after ``fork()``, or between isolated test cases)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
