"""The log of handled requests, for tests to assert what a client sent and what it retried.

It never stores headers, so the Authorization header cannot leak into test output.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One handled request: ``family`` is export | query | app; ``endpoint`` e.g. "engage"."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    family: str
    endpoint: str
    fault: str | None
    auth: str | None  # "service_account" | "legacy" | None
    started: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``GET /_standin/requests``)."""
        return asdict(self)


class RequestLog:
    """Append-only, thread-safe; iterate or ``snapshot()`` for a stable copy."""

    def __init__(self) -> None:
        self._items: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        """Record one request (called by the server after the response is written)."""
        with self._lock:
            self._items.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of every record so far."""
        with self._lock:
            return list(self._items)

    def filter(
        self, family: str | None = None, endpoint: str | None = None, fault: str | None = None
    ) -> list[RequestRecord]:
        """Records matching every given field."""
        return [
            r
            for r in self.snapshot()
            if (family is None or r.family == family)
            and (endpoint is None or r.endpoint == endpoint)
            and (fault is None or r.fault == fault)
        ]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._items[index]
