"""``DiscoveryCache``: discovery answers kept for the life of a Workspace.

Event names, property lists, saved funnels, cohorts and Lexicon schemas change rarely, but each
lookup costs one of the 60 Query API requests Mixpanel allows per hour. A Workspace holds one
cache and passes it to the discovery functions; ``clear()`` (``Workspace.clear_cache()``) forgets
everything so the next call asks Mixpanel again. Reports (segmentation, funnels, retention ...)
are never cached: their numbers move as data lands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["DiscoveryCache", "cached"]

T = TypeVar("T")


class DiscoveryCache:
    """A thread-safe map from (endpoint, parameters) to a parsed discovery result."""

    def __init__(self) -> None:
        self._items: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get_or_fetch(self, key: Hashable, fetch: Callable[[], T]) -> T:
        """The cached value for ``key``, or ``fetch()`` stored under it.

        Fetching happens outside the lock: two threads asking at once may both fetch, which
        costs a request but never blocks one caller behind another's slow query.
        """
        with self._lock:
            if key in self._items:
                return self._items[key]  # type: ignore[no-any-return,unused-ignore]
        value = fetch()
        with self._lock:
            return self._items.setdefault(key, value)  # type: ignore[no-any-return,unused-ignore]

    def clear(self) -> None:
        """Forget every cached answer."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __repr__(self) -> str:
        return f"DiscoveryCache({len(self)} entries)"


def cached(cache: DiscoveryCache | None, key: Hashable, fetch: Callable[[], T]) -> T:
    """``fetch()`` through ``cache`` when there is one, else directly."""
    return fetch() if cache is None else cache.get_or_fetch(key, fetch)
