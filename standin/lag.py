"""Processing-lag profiles: how long after ``time`` Mixpanel processes (and exports) a row.

Real projects are not real-time: server-side batch imports and offline mobile clients land
3 to 14 hours late, often most of the events; some land days late. Each profile maps ONE
uniform draw to a lag in milliseconds (inverse CDF), so generation stays one draw per row.

- ``realtime``: 150 ms + u**4 * 2 h (the stand-in's original distribution).
- ``mixed`` (default): 35% within 10 minutes, 1% 10 min - 3 h, 58% 3-14 h, 6% 1-4 days.
- ``batch``: 96% 3-14 h, 4% 1-4 days; nothing real-time.

``very_late_rate`` takes that share off the top of any profile: 6-30 days late (beyond a
5-day lookback window).
"""

from __future__ import annotations

from collections.abc import Callable

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

LagFn = Callable[[float], int]


def _realtime(u: float) -> int:
    return 150 + int(u**4 * 7_200_000)  # exactly the original expression


def _mixed(u: float) -> int:
    if u < 0.35:
        return 150 + int((u / 0.35) ** 3 * 10 * MINUTE_MS)
    if u < 0.36:
        return 10 * MINUTE_MS + int((u - 0.35) / 0.01 * (3 * HOUR_MS - 10 * MINUTE_MS))
    if u < 0.94:
        return 3 * HOUR_MS + int((u - 0.36) / 0.58 * 11 * HOUR_MS)
    return DAY_MS + int((u - 0.94) / 0.06 * 3 * DAY_MS)


def _batch(u: float) -> int:
    if u < 0.96:
        return 3 * HOUR_MS + int(u / 0.96 * 11 * HOUR_MS)
    return DAY_MS + int((u - 0.96) / 0.04 * 3 * DAY_MS)


PROFILES: dict[str, LagFn] = {"realtime": _realtime, "mixed": _mixed, "batch": _batch}


def lag_function(profile: str, very_late_rate: float = 0.0) -> LagFn:
    """The lag (ms) for a uniform draw ``u`` in [0, 1) under a profile."""
    base = PROFILES[profile]
    if very_late_rate <= 0:
        return base
    keep = 1.0 - very_late_rate

    def lag(u: float) -> int:
        if u >= keep:
            return 6 * DAY_MS + int((u - keep) / very_late_rate * 24 * DAY_MS)
        return base(u / keep)

    return lag
