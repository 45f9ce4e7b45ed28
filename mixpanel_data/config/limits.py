"""Mixpanel's documented per-project rate limits, as the client budgets them (API reference §5).

Query family (every ``/api/query`` endpoint, engage included): 5 concurrent, 60 per rolling hour.
Raw export: 3 per second, 60 per hour, 100 concurrent. A plan with other numbers sets
``MP_QUERY_CONCURRENT`` / ``MP_QUERY_PER_HOUR`` (``0`` switches one off).
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600.0
LOAD_MAX_WAIT = 3660.0
"""A rolling hourly budget always has room again within an hour, so by default a load waits for
it (plus a minute of slack) instead of failing; ``mp run --max-wait`` caps a single wait."""
LIVE_MAX_WAIT = 60.0
"""A live query (a person or an agent waiting for one answer) waits at most a minute, then says
how long the budget needs: an hour's silent wait is never the right answer there."""


@dataclass(frozen=True)
class RateWindow:
    """At most ``limit`` request starts in any ``period`` seconds."""

    limit: int
    period: float


@dataclass(frozen=True)
class ApiLimits:
    """Mixpanel's documented per-project limits; ``None`` switches one limit off."""

    query_concurrent: int | None = 5
    query_per_hour: int | None = 60
    export_concurrent: int | None = 100
    export_per_second: int | None = 3
    export_per_hour: int | None = 60
    #: Longest one wait for a budget may last (ours or Mixpanel's 429) before ``RateLimitError``
    #: (``Settings.for_loads`` raises it to ``LOAD_MAX_WAIT`` for loads).
    max_wait: float = LIVE_MAX_WAIT
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
