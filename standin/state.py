"""Everything the handlers share: the project, caches, faults, limits, sessions, options."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mixpanel_data.standin.bodycache import BodyCache
from mixpanel_data.standin.faults import FaultQueue
from mixpanel_data.standin.limits import RateLimiter, RateLimits
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.reqlog import RequestLog
from mixpanel_data.standin.serialize import SERIALIZERS, VARIANTS

ME_MODES = ("ok", "no_scope", "bare", "unlisted")


@dataclass
class Options:
    """Server behaviour switches (constructor keywords of ``StandIn``).

    ``engage_total_on_every_page``: send ``total`` on every engage page, not only page 0.
    ``engage_session_ttl``: seconds an engage session lives (None: forever).
    ``free_plan``: every Query endpoint answers 402, as for a plan without API access.
    ``cache_memory``: bytes of compressed export bodies kept in memory before spilling to disk.
    ``serializer``: ``"stable"`` (same bytes every time) or ``"varying"`` (each export request
    writes the same rows in another JSON form, see ``serialize.py``).
    ``me``: how ``/api/app/me`` answers (``appapi.handle_me``).
    """

    engage_total_on_every_page: bool = False
    engage_session_ttl: float | None = None
    engage_default_page_size: int = 1000
    free_plan: bool = False
    cache_memory: int = 256 << 20
    serializer: str = "stable"
    me: str = "ok"

    def __post_init__(self) -> None:
        if self.serializer not in SERIALIZERS:
            raise ValueError(
                f"serializer must be one of {', '.join(SERIALIZERS)}; got {self.serializer!r}"
            )
        if self.me not in ME_MODES:
            raise ValueError(f"me must be one of {', '.join(ME_MODES)}; got {self.me!r}")


@dataclass
class EngageSession:
    """A frozen engage result set that pages read from (random access allowed)."""

    session_id: str
    profiles: list[dict[str, Any]]
    created: float


@dataclass
class ServerState:
    """Shared, thread-safe state behind one stand-in server.

    ``monotonic`` times rate-limit windows and engage sessions: the test's ``FakeClock`` when
    the ``StandIn`` got one, else real ``time.monotonic``.
    """

    project: Project
    options: Options
    limits: RateLimits
    monotonic: Callable[[], float] = time.monotonic
    cache: BodyCache = field(init=False)
    faults: FaultQueue = field(default_factory=FaultQueue)
    log: RequestLog = field(default_factory=RequestLog)
    sessions: dict[str, EngageSession] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    limiter: RateLimiter = field(init=False)
    _exports: Any = field(default_factory=itertools.count, repr=False)

    def __post_init__(self) -> None:
        self.cache = BodyCache(self.project, self.options.cache_memory)
        self.limiter = RateLimiter(self.limits, self.project.spec.project_id, self.monotonic)

    def set_limits(self, limits: RateLimits) -> None:
        """Swap the rate limits (counters restart)."""
        self.limits = limits
        self.limiter = RateLimiter(limits, self.project.spec.project_id, self.monotonic)

    def reset(self) -> None:
        """Clear faults, the request log, engage sessions, rate-limit counters and the
        serializer cycle (the clock, late data and profiles stay)."""
        self.faults.clear()
        self.log.clear()
        with self.lock:
            self.sessions.clear()
            self._exports = itertools.count()
        self.set_limits(self.limits)

    def next_variant(self) -> int:
        """The serializer variant of the next export request (always 0 when stable)."""
        if self.options.serializer == "stable":
            return 0
        return next(self._exports) % VARIANTS
