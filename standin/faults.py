"""Switchable one-shot (or N-times) faults, matched per request by family and path.

Kinds (see README): 429, 5xx, terminated_early, drop_connection, truncated_gzip,
slow_first_byte, 402, 401, auth_400, plain_text_error, expired_session.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = (
    "429",
    "5xx",
    "terminated_early",
    "drop_connection",
    "truncated_gzip",
    "slow_first_byte",
    "402",
    "401",
    "auth_400",
    "plain_text_error",
    "expired_session",
)
FAULT_FAMILIES = ("export", "query", "app", "engage", "any")
BODY_FAULTS = ("terminated_early", "drop_connection", "truncated_gzip")


@dataclass
class Fault:
    """One queued fault; ``times=-1`` fires on every matching request until cleared.

    ``path`` (optional) must occur in the request path, e.g. ``"/funnels"``.
    ``after_bytes`` places the cut for drop_connection / truncated_gzip / terminated_early.
    ``chunked`` makes drop_connection use chunked transfer instead of a Content-Length.
    """

    kind: str
    family: str = "export"
    times: int = 1
    retry_after: float | str | None = None
    delay: float | None = None
    status: int | None = None
    after_bytes: int | None = None
    path: str | None = None
    chunked: bool = False
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if self.family not in FAULT_FAMILIES:
            raise ValueError(f"unknown family {self.family!r}; use one of {FAULT_FAMILIES}")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be >= 1, or -1 for 'always'")

    def matches(self, family: str, endpoint: str, path: str) -> bool:
        """Whether this fault applies to a request of that family/endpoint/path."""
        if self.path is not None and self.path not in path:
            return False
        if self.family == "any":
            return True
        if self.family == "engage":
            return endpoint == "engage"
        return self.family == family

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (control endpoint ``GET /_standin/faults``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build from the JSON body of ``POST /_standin/faults``."""
        allowed = set(cls.__dataclass_fields__) - {"fired"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)


class FaultQueue:
    """Faults in the order added; the first match fires and counts down."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, family: str, endpoint: str, path: str) -> Fault | None:
        """Pop (or count down) the first fault matching this request."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(family, endpoint, path):
                    fault.fired += 1
                    if fault.times != -1 and fault.fired >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()
