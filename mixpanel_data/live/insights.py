"""Saved Insights reports by bookmark id (``/insights``): one Query API request each.

Wire shape (API reference §6.6)::

    {"computed_at": "...", "date_range": {"from_date": "...-07:00", "to_date": "..."},
     "headers": ["$event", <breakdown>...],
     "series": {"Logged in": {"2020-08-31T00:00:00-07:00": 9852, ...}}}

``series`` nests one level per header: with a breakdown, ``{event: {value: {time: n}}}``. Time
keys carry the project's UTC offset; ``date`` is their local calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mixpanel_data.exceptions import QueryError
from mixpanel_data.live._base import LiveResult, QueryClient, check_id, number

__all__ = ["InsightsPoint", "InsightsResult", "insights", "parse_insights"]


@dataclass(frozen=True)
class InsightsPoint:
    """One value: the series keys (one per header), the bucket's local day and its timestamp."""

    keys: tuple[str, ...]
    date: str
    timestamp: str
    value: int | float

    @property
    def segment(self) -> str:
        """The keys joined with `` / `` (``"Purchase / US"``)."""
        return " / ".join(self.keys)


@dataclass(frozen=True)
class InsightsResult(LiveResult):
    """A saved report's numbers as Mixpanel computed them (range and breakdowns are saved)."""

    bookmark_id: int
    computed_at: str | None
    from_date: str | None
    to_date: str | None
    headers: tuple[str, ...]
    points: tuple[InsightsPoint, ...]

    def table_columns(self) -> tuple[str, ...]:
        return (*self.key_columns, "date", "value")

    @property
    def key_columns(self) -> tuple[str, ...]:
        """A column per nesting level: the header names, made unique and never empty."""
        depth = max((len(p.keys) for p in self.points), default=len(self.headers))
        names: list[str] = []
        for i in range(max(depth, len(self.headers))):
            name = self.headers[i] if i < len(self.headers) and self.headers[i] else f"key_{i}"
            names.append(
                name if name not in names and name not in ("date", "value") else f"{name}_{i}"
            )
        return tuple(names)

    @property
    def total(self) -> int | float:
        return sum(p.value for p in self.points)

    def records(self) -> list[dict[str, Any]]:
        columns = self.key_columns
        return [
            {**dict(zip(columns, p.keys, strict=False)), "date": p.date, "value": p.value}
            for p in self.points
        ]


def insights(client: QueryClient, bookmark_id: int | str) -> InsightsResult:
    """The saved Insights report ``bookmark_id`` (its own date range and breakdowns)."""
    ident = check_id(bookmark_id, "bookmark id")
    body = client.query("insights", {"bookmark_id": ident})
    return parse_insights(ident, body)


def parse_insights(bookmark_id: int, body: Any) -> InsightsResult:
    """Flatten ``series`` into points, sorted by keys then time."""
    if not isinstance(body, dict) or not isinstance(body.get("series", {}), dict):
        raise QueryError(
            'Mixpanel /insights answered an unexpected shape (expected {"series": {...}}): '
            "check MP_BASE_URL points at Mixpanel's Query API."
        )
    points: list[InsightsPoint] = []
    _walk(body.get("series") or {}, (), points)
    points.sort(key=lambda p: (p.keys, p.timestamp))
    span: dict[str, Any] = body["date_range"] if isinstance(body.get("date_range"), dict) else {}
    headers = tuple(str(h) for h in body.get("headers") or [])
    computed = body.get("computed_at")
    return InsightsResult(
        bookmark_id,
        computed if isinstance(computed, str) else None,
        _text(span.get("from_date")),
        _text(span.get("to_date")),
        headers,
        tuple(points),
    )


def _walk(node: dict[str, Any], keys: tuple[str, ...], out: list[InsightsPoint]) -> None:
    """A dict of numbers is a time series; a dict of dicts is one more breakdown level."""
    for key, value in node.items():
        if isinstance(value, dict):
            _walk(value, (*keys, str(key)), out)
        else:
            stamp = str(key)
            out.append(InsightsPoint(keys, stamp[:10], stamp, number(value)))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
