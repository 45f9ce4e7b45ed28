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

from mixpanel_data.config.clock import SYSTEM_CLOCK, Clock
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.limits import HOUR, ApiLimits, RateWindow
from mixpanel_data.exceptions import RateLimitError

__all__ = [
    "ApiLimits",
    "Budget",
    "RateWindow",
    "WaitHook",
    "budget_key",
    "budget_label",
    "duration_text",
    "reset_budgets",
    "shared_budget",
]

logger = logging.getLogger("mixpanel_data.api")
_HOURLY = 60.0
"""Windows this long or longer count a request until a period after it ends (``release``)."""
WaitHook = Callable[[str, float], None]
"""``on_wait(label, seconds)``: told before a wait of two seconds or more (for a progress bar)."""


def budget_label(family: str, period: float) -> str:
    """How a person calls the budget being waited for ("hourly query budget")."""
    noun = "export" if family == "export" else "query"
    if period >= HOUR:
        return f"hourly {noun} budget"
    if period <= 1.0:
        return f"per-second {noun} limit"
    return f"{noun} budget"


def duration_text(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 5 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class Budget:
    """A concurrency cap plus rolling rate windows, shared by every thread that uses it.

    ``clock`` and ``sleep`` drive the rate windows and are injectable for tests; concurrency waits
    always use real time because they wait for other threads.
    """

    def __init__(
        self,
        name: str,
        *,
        family: str = "query",
        concurrent: int | None,
        windows: Sequence[RateWindow] = (),
        max_wait: float = 60.0,
        slot_timeout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        scope: str | None = None,
    ) -> None:
        """``scope`` names whose budget it is in messages ("project 2526451")."""
        self.name = name
        self.scope = scope or name
        self.family = family
        self.concurrent = concurrent
        self.windows = tuple(windows)
        self.max_wait = max_wait
        self.slot_timeout = slot_timeout
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._in_flight = 0
        self._starts: list[deque[float]] = [deque() for _ in self.windows]
        self._open = 0  # counted requests in flight (stamped in the long windows when they end)

    @property
    def in_flight(self) -> int:
        """Requests holding a slot right now."""
        with self._cond:
            return self._in_flight

    @contextmanager
    def slot(
        self, *, max_wait: float | None = None, on_wait: WaitHook | None = None
    ) -> Iterator[None]:
        """Hold one request slot for the duration of the block (``acquire``'s arguments)."""
        self.acquire(max_wait=max_wait, on_wait=on_wait)
        try:
            yield
        finally:
            self.release()

    def acquire(self, *, max_wait: float | None = None, on_wait: WaitHook | None = None) -> float:
        """Wait for a free slot and room in every rate window, then count one request start.

        ``max_wait`` (default: the budget's) caps one wait for a rate window; a longer one
        raises ``RateLimitError`` saying how long to wait. ``on_wait(label, seconds)`` hears of
        every wait of two seconds or more before it starts (the progress bar shows it).
        Returns the instant counted.
        """
        while True:
            with self._cond:
                self._wait_for_slot(time.monotonic() + self.slot_timeout)
                wait, period = self._window_wait()
                if wait == 0:
                    return self._record_start()
                if wait < 0:  # our own requests in flight hold the room: wait for one to end
                    self._cond.wait(0.5)
                    continue
            self._pause(wait, period, max_wait, on_wait)

    def reserve(
        self, count: int, *, max_wait: float | None = None, on_wait: WaitHook | None = None
    ) -> None:
        """Wait until the hourly windows have room for ``count`` more requests (none counted).

        A caller about to make a run of requests that must not be interrupted by a long wait
        (engage pages share a ``session_id`` that does not outlive an hour) waits up front.
        ``count`` beyond a window's limit is capped at the limit.
        """
        while True:
            with self._cond:
                wait, period = self._window_wait(count)
                if wait == 0:
                    return
                if wait < 0:
                    self._cond.wait(0.5)
                    continue
            self._pause(wait, period, max_wait, on_wait)

    def _pause(
        self, wait: float, period: float, max_wait: float | None, on_wait: WaitHook | None
    ) -> None:
        """Sleep ``wait`` seconds for the window of ``period``, or raise past ``max_wait``."""
        label = budget_label(self.family, period)
        if wait > (self.max_wait if max_wait is None else max_wait):
            raise RateLimitError(
                f"Mixpanel's {label} for {self.scope} is used up: it has room again in "
                f"{duration_text(wait)}; "
                "run again then (or allow longer waits with --max-wait / MP_MAX_WAIT).",
                retry_after=wait,
            )
        logger.debug("waiting %.2fs for the %s rate budget", wait, self.name)
        if on_wait is not None and wait >= 2.0:
            on_wait(label, wait)
        self._sleep(wait)

    def release(self) -> None:
        """Give a slot back and wake the waiting threads.

        In the windows of a minute or more a request is counted from its start until an hour
        after its END: Mixpanel counts a request when it sees it, which can be later than our
        start (a slow connection, a long queue), so our count never frees a slot before
        Mixpanel's does (a 429 there would cost a minute's backoff, or the engage session).
        """
        with self._cond:
            self._in_flight -= 1
            self._open -= 1
            now = self._clock()
            for window, starts in zip(self.windows, self._starts, strict=True):
                if window.period >= _HOURLY:
                    starts.append(now)
            self._cond.notify_all()

    def _wait_for_slot(self, deadline: float) -> None:
        """Block (lock held, released while waiting) until fewer than ``concurrent`` in flight."""
        if self.concurrent is None or self._in_flight < self.concurrent:
            return
        logger.debug("waiting for one of %d concurrent %s slots", self.concurrent, self.name)
        while self._in_flight >= self.concurrent:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RateLimitError(
                    f"All {self.concurrent} concurrent {self.name} slots stayed busy for "
                    f"{self.slot_timeout:.0f}s: wait for running requests or use fewer threads.",
                    retry_after=None,
                )
            self._cond.wait(remaining)

    def _window_wait(self, count: int = 1) -> tuple[float, float]:
        """(seconds until every rate window has room for ``count`` more starts, the period of
        the window that decides); -1 when only requests of ours still in flight hold the room.

        ``count`` > 1 applies to the windows of a minute or more, where requests in flight
        count too (they are stamped when they end, see ``release``).
        """
        now = self._clock()
        wait, period = 0.0, 0.0
        for window, starts in zip(self.windows, self._starts, strict=True):
            while starts and starts[0] <= now - window.period:
                starts.popleft()
            long = window.period >= _HOURLY
            used = len(starts) + (self._open if long else 0)
            excess = used + (min(count, window.limit) if long else 1) - window.limit
            if excess <= 0:
                continue
            if excess > len(starts):
                return -1.0, window.period
            until = starts[excess - 1] + window.period - now
            if until > wait:
                wait, period = until, window.period
        return wait, period

    def fill(self, period: float) -> None:
        """Count the window of ``period`` as full from now: Mixpanel said so with a 429.

        Other clients of the project (a second process, a person at a dashboard) spend the same
        hourly budget, so the server can run out before our own count does; from then on this
        process waits locally instead of sending requests that are sure to be refused.
        """
        with self._cond:
            now = self._clock()
            for window, starts in zip(self.windows, self._starts, strict=True):
                if window.period == period:
                    starts.clear()
                    starts.extend([now] * window.limit)

    def _record_start(self) -> float:
        now = self._clock()
        for window, starts in zip(self.windows, self._starts, strict=True):
            if window.period < _HOURLY:
                starts.append(now)
        self._in_flight += 1
        self._open += 1
        return now


_REGISTRY: dict[tuple[str, str, str], Budget] = {}
_REGISTRY_LOCK = threading.Lock()


def budget_key(credentials: Credentials) -> str:
    """The project a budget is counted for; a legacy secret maps to a digest, never itself."""
    if credentials.project_id:
        return str(credentials.project_id)
    digest = hashlib.sha256(credentials.secret.encode("utf-8")).hexdigest()[:16]
    return f"legacy-{digest}"


def shared_budget(
    family: str,
    origin: str,
    project: str,
    limits: ApiLimits,
    clock: Clock = SYSTEM_CLOCK,
) -> Budget | None:
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
            scope = f"project {project}" if label == project else "the legacy project"
            budget = Budget(
                f"{family} ({origin}, {label})",
                scope=scope,
                family=family,
                concurrent=concurrent,
                windows=windows,
                max_wait=limits.max_wait,
                slot_timeout=limits.slot_timeout,
                clock=clock.monotonic,
                sleep=clock.sleep,
            )
            _REGISTRY[key] = budget
        return budget


def reset_budgets() -> None:
    """Forget every shared budget (e.g. after ``fork()``, or between isolated test cases)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
