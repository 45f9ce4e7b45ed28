"""Saved Insights reports by bookmark id (``/insights``): one Query API request each.

Wire shape (API reference §6.6, ``openapi/query.openapi.yaml`` ``/insights`` example)::

    {"computed_at": "...", "date_range": {"from_date": "...-07:00", "to_date": "..."},
     "headers": ["$event", <breakdown>...],
     "series": {"Logged in": {"2020-08-31T00:00:00-07:00": 9852, ...}}}

``series`` nests one level per header: with a breakdown, ``{event: {value: {time: n}}}``. Time
keys carry the project's UTC offset; ``date`` is their local calendar day.

Shapes real reports also send (not in the spec; seen in Mixpanel's own client
``mixpanel/mixpanel-headless`` tests and in users' exports of saved reports) [OBS]:

- ``$overall`` beside the values of a breakdown level, at any level: Mixpanel's own total of
  its siblings (``{"Login": {"$overall": {"all": 10}, "US": {"all": 6}, "DE": {"all": 4}}}``).
  Its rows are kept (``InsightsPoint.is_overall``); ``total`` takes it instead of adding the
  siblings again, so unique counts are not double counted either.
- ``{"all": n}`` instead of a time series for charts that are not over time (bar, metric,
  table): the point's ``timestamp`` is ``"all"`` and its ``date`` is None.
- Funnel and retention reports asked by bookmark id come back "normalized" (steps as
  ``{"count": {"1. Step": {"all": n}}, "step_conv_ratio": ...}``; retention cohorts as
  ``{"first", "counts", "rates"}`` leaves under ``headers`` ``["$retention", ...]``). They are
  refused with ``InvalidArgumentError`` naming the report type, never read as Insights numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mixpanel_data.exceptions import InvalidArgumentError, QueryError
from mixpanel_data.live._base import LiveResult, QueryClient, check_id, number

__all__ = ["InsightsPoint", "InsightsResult", "insights", "parse_insights"]

OVERALL = "$overall"
#: The key of a chart's only value when it is not a time series.
ALL = "all"
_FUNNEL_KEYS = frozenset({"step_conv_ratio", "overall_conv_ratio", "avg_time_from_start"})
_RETENTION_KEYS = frozenset({"counts", "first", "rates"})


@dataclass(frozen=True)
class InsightsPoint:
    """One value: the series keys (one per header), the bucket's local day and its timestamp.

    ``date`` is None and ``timestamp`` is ``"all"`` for a chart that is not over time.
    """

    keys: tuple[str, ...]
    date: str | None
    timestamp: str
    value: int | float

    @property
    def segment(self) -> str:
        """The keys joined with `` / `` (``"Purchase / US"``)."""
        return " / ".join(self.keys)

    @property
    def is_overall(self) -> bool:
        """Mixpanel's own total of a breakdown level (a ``$overall`` key), not a segment."""
        return OVERALL in self.keys


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
        """The sum over the report: where a level has ``$overall``, that instead of its values."""
        return _total(self.points, 0)

    def records(self) -> list[dict[str, Any]]:
        columns = self.key_columns
        return [
            {
                **{c: p.keys[i] if i < len(p.keys) else None for i, c in enumerate(columns)},
                "date": p.date,
                "value": p.value,
            }
            for p in self.points
        ]


def insights(client: QueryClient, bookmark_id: int | str) -> InsightsResult:
    """The saved Insights report ``bookmark_id`` (its own date range and breakdowns)."""
    ident = check_id(bookmark_id, "bookmark id")
    body = client.query("insights", {"bookmark_id": ident})
    return parse_insights(ident, body)


def parse_insights(bookmark_id: int, body: Any) -> InsightsResult:
    """Flatten ``series`` into points, sorted by keys then time (``$overall`` first)."""
    if not isinstance(body, dict) or not isinstance(body.get("series", {}), dict):
        raise QueryError(
            'Mixpanel /insights answered an unexpected shape (expected {"series": {...}}): '
            "check MP_BASE_URL points at Mixpanel's Query API."
        )
    headers = tuple(str(h) for h in body.get("headers") or [])
    if "$retention" in headers:
        raise _unsupported(bookmark_id, "retention")
    points: list[InsightsPoint] = []
    _walk(bookmark_id, body.get("series") or {}, (), points)
    points.sort(key=lambda p: (tuple((k != OVERALL, k) for k in p.keys), p.timestamp))
    span: dict[str, Any] = body["date_range"] if isinstance(body.get("date_range"), dict) else {}
    computed = body.get("computed_at")
    return InsightsResult(
        bookmark_id,
        computed if isinstance(computed, str) else None,
        _text(span.get("from_date")),
        _text(span.get("to_date")),
        headers,
        tuple(points),
    )


def _walk(
    bookmark_id: int, node: dict[str, Any], keys: tuple[str, ...], out: list[InsightsPoint]
) -> None:
    """A dict of numbers is a time series (or ``{"all": n}``); a dict of dicts one more level."""
    if _FUNNEL_KEYS & node.keys() and "count" in node:
        raise _unsupported(bookmark_id, "funnels")
    if _RETENTION_KEYS & node.keys() and ("counts" in node or "rates" in node):
        raise _unsupported(bookmark_id, "retention")
    for key, value in node.items():
        if isinstance(value, dict):
            _walk(bookmark_id, value, (*keys, str(key)), out)
        elif isinstance(value, list):
            raise _unsupported(bookmark_id, "unknown")
        else:
            stamp = str(key)
            day = None if stamp == ALL else stamp[:10]
            out.append(InsightsPoint(keys, day, stamp, number(value)))


def _total(points: tuple[InsightsPoint, ...] | list[InsightsPoint], depth: int) -> int | float:
    """A level's total: its ``$overall`` child's when Mixpanel sent one, else the children's."""
    here = [p.value for p in points if len(p.keys) == depth]
    children: dict[str, list[InsightsPoint]] = {}
    for p in points:
        if len(p.keys) > depth:
            children.setdefault(p.keys[depth], []).append(p)
    if OVERALL in children:
        return sum(here) + _total(children[OVERALL], depth + 1)
    return sum(here) + sum(_total(group, depth + 1) for group in children.values())


def _unsupported(bookmark_id: int, kind: str) -> InvalidArgumentError:
    hint = {
        "funnels": "load it with `mp funnel FUNNEL_ID` (ids from `mp funnels`)",
        "retention": "load it with `mp retention`",
    }.get(kind)
    if hint is None:
        return InvalidArgumentError(
            f"Bookmark {bookmark_id} is not an Insights report (its /insights answer holds lists, "
            "not numbers): open it in Mixpanel to see its type."
        )
    return InvalidArgumentError(
        f"Bookmark {bookmark_id} is a saved {kind} report, not an Insights one, so "
        f"/insights cannot be read as Insights numbers: {hint}."
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
