"""Everything the handlers share: the project, caches, faults, limits, sessions, options."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mixpanel_data.standin.bodycache import BodyCache
from mixpanel_data.standin.faults import FaultQueue
from mixpanel_data.standin.limits import RateLimiter, RateLimits
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.reqlog import RequestLog


@dataclass
class Options:
    """Server behaviour switches (constructor keywords of ``StandIn``).

    ``engage_total_on_every_page``: send ``total`` on every engage page, not only page 0.
    ``engage_session_ttl``: seconds an engage session lives (None: forever).
    ``free_plan``: every Query endpoint answers 402, as for a plan without API access.
    ``cache_memory``: bytes of compressed export bodies kept in memory before spilling to disk.
    """

    engage_total_on_every_page: bool = False
    engage_session_ttl: float | None = None
    engage_default_page_size: int = 1000
    free_plan: bool = False
    cache_memory: int = 256 << 20


@dataclass
class EngageSession:
    """A frozen engage result set that pages read from (random access allowed)."""

    session_id: str
    profiles: list[dict[str, Any]]
    created: float


@dataclass
class ServerState:
    """Shared, thread-safe state behind one stand-in server."""

    project: Project
    options: Options
    limits: RateLimits
    cache: BodyCache = field(init=False)
    faults: FaultQueue = field(default_factory=FaultQueue)
    log: RequestLog = field(default_factory=RequestLog)
    sessions: dict[str, EngageSession] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.cache = BodyCache(self.project, self.options.cache_memory)
        self.limiter = RateLimiter(self.limits, self.project.spec.project_id)

    def set_limits(self, limits: RateLimits) -> None:
        """Swap the rate limits (counters restart)."""
        self.limits = limits
        self.limiter = RateLimiter(limits, self.project.spec.project_id)
