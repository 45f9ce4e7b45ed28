"""The route table: path pattern -> (family, endpoint name, handler).

Every Query endpoint is served under both ``/api/query/`` and ``/api/2.0/`` (README §1, §7.1);
paths arrive without their trailing slash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange

Handler = Callable[[ServerState, Exchange], None]


@dataclass(frozen=True)
class Route:
    """One matched route; ``args`` are the pattern's groups (ids in App API paths)."""

    family: str  # "export" | "query" | "app" | "control"
    endpoint: str
    handler: Handler
    args: tuple[str, ...] = ()


class Router:
    """Ordered regex routes; the first full match wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], str, str, Handler]] = []

    def add(self, pattern: str, family: str, endpoint: str, handler: Handler) -> None:
        """Register a full-match regex."""
        self._routes.append((re.compile(pattern), family, endpoint, handler))

    def add_query(self, endpoint: str, handler: Handler) -> None:
        """Register a Query endpoint under both prefixes."""
        self.add(rf"/api/(?:query|2\.0)/{re.escape(endpoint)}", "query", endpoint, handler)

    def match(self, path: str) -> Route | None:
        """The route for a path, or None (404)."""
        for pattern, family, endpoint, handler in self._routes:
            m = pattern.fullmatch(path)
            if m:
                return Route(family, endpoint, handler, tuple(g or "" for g in m.groups()))
        return None


def guess_family(path: str) -> str:
    """Family of an unrouted path, for the 404 body and the request log."""
    if path.startswith("/api/2.0/export"):
        return "export"
    if path.startswith("/api/app/"):
        return "app"
    return "query"
