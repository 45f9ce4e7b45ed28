"""Event discovery ("Event Breakdown"): names, top events, an event's properties, their values.

Each answer costs one Query API request (60/hour, 5 concurrent per project), so every function
takes an optional ``DiscoveryCache`` (a Workspace holds one for its lifetime). They look at
recent data: names and property lists cover the last 31 days, top events compare today with
yesterday (project time zone).

Wire shapes (API reference §6.7)::

    /events/names              ["battle", "click signup button", ...]           (bare array)
    /events/top                {"events": [{"amount", "event", "percent_change"}], "type": ...}
    /events/properties/top     {"<prop>": {"count": 295}, "$duration_s": {}}     ({} = no count)
    /events/properties/values  ["cat", "dog"]                                    (bare array)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mixpanel_data.exceptions import QueryError
from mixpanel_data.live._base import (
    LiveResult,
    QueryClient,
    check_choice,
    check_positive,
    check_text,
    number,
)
from mixpanel_data.live.cache import DiscoveryCache, cached

__all__ = [
    "EventNames",
    "EventProperties",
    "PropertyCount",
    "PropertyValues",
    "TopEvent",
    "TopEvents",
    "event_names",
    "event_properties",
    "property_values",
    "top_events",
]

TYPES = ("general", "unique", "average")
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class EventNames(LiveResult):
    """The most common event names of the last 31 days, in Mixpanel's (alphabetical) order.

    The order is not popularity: the spec's ``/events/names`` lists names alphabetically
    (``openapi/query.openapi.yaml``). ``top_events`` has today's counts.
    """

    type: str
    limit: int
    names: tuple[str, ...]

    columns = ("event",)

    def records(self) -> list[dict[str, Any]]:
        return [{"event": n} for n in self.names]


@dataclass(frozen=True)
class TopEvent:
    """Today's ``amount`` of an event and its change against yesterday (``-0.35`` = -35 %)."""

    event: str
    amount: int | float
    percent_change: float


@dataclass(frozen=True)
class TopEvents(LiveResult):
    """Today's top events."""

    type: str
    limit: int
    events: tuple[TopEvent, ...]

    columns = ("event", "amount", "percent_change")

    def records(self) -> list[dict[str, Any]]:
        return [
            {"event": e.event, "amount": e.amount, "percent_change": e.percent_change}
            for e in self.events
        ]


@dataclass(frozen=True)
class PropertyCount:
    """A property seen on the event; ``count`` is None when Mixpanel sent ``{}`` for it."""

    name: str
    count: int | None


@dataclass(frozen=True)
class EventProperties(LiveResult):
    """An event's most common properties over the last 31 days."""

    event: str
    limit: int
    properties: tuple[PropertyCount, ...]

    columns = ("property", "count")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)

    def records(self) -> list[dict[str, Any]]:
        return [{"property": p.name, "count": p.count} for p in self.properties]


@dataclass(frozen=True)
class PropertyValues(LiveResult):
    """A property's most common values on an event, as Mixpanel's strings."""

    event: str
    property: str
    limit: int
    values: tuple[str, ...]

    columns = ("value",)

    def records(self) -> list[dict[str, Any]]:
        return [{"value": v} for v in self.values]


def event_names(
    client: QueryClient,
    *,
    type: str = "general",
    limit: int = 255,
    cache: DiscoveryCache | None = None,
) -> EventNames:
    """Event names of the last 31 days (``/events/names``)."""
    check_choice(type, TYPES, "type")
    check_positive(limit, "limit", MAX_LIMIT)

    def fetch() -> EventNames:
        body = _list(client.query("events/names", {"type": type, "limit": limit}), "events/names")
        return EventNames(type, limit, tuple(str(n) for n in body))

    return cached(cache, ("events/names", type, limit), fetch)


def top_events(
    client: QueryClient,
    *,
    type: str = "general",
    limit: int = 100,
    cache: DiscoveryCache | None = None,
) -> TopEvents:
    """Today's top events with their change against yesterday (``/events/top``)."""
    check_choice(type, TYPES, "type")
    check_positive(limit, "limit", MAX_LIMIT)

    def fetch() -> TopEvents:
        body = client.query("events/top", {"type": type, "limit": limit})
        items = body.get("events") if isinstance(body, dict) else None
        items = _list(items, "events/top")
        events = tuple(
            TopEvent(
                str(i.get("event")), number(i.get("amount")), float(number(i.get("percent_change")))
            )
            for i in items
            if isinstance(i, dict)
        )
        return TopEvents(type, limit, events)

    return cached(cache, ("events/top", type, limit), fetch)


def event_properties(
    client: QueryClient,
    event: str,
    *,
    limit: int = 10,
    cache: DiscoveryCache | None = None,
) -> EventProperties:
    """The properties most often set on ``event`` (``/events/properties/top``)."""
    event = check_text(event, "event")
    check_positive(limit, "limit", MAX_LIMIT)

    def fetch() -> EventProperties:
        body = client.query("events/properties/top", {"event": event, "limit": limit})
        if not isinstance(body, dict):
            raise _shape("events/properties/top", '{"<property>": {"count": n}}')
        props = tuple(PropertyCount(str(name), _count(info)) for name, info in body.items())
        return EventProperties(event, limit, props)

    return cached(cache, ("events/properties/top", event, limit), fetch)


def property_values(
    client: QueryClient,
    event: str,
    prop: str,
    *,
    limit: int = 255,
    cache: DiscoveryCache | None = None,
) -> PropertyValues:
    """The most common values of property ``prop`` on ``event`` (``/events/properties/values``)."""
    event = check_text(event, "event")
    prop = check_text(prop, "property")
    check_positive(limit, "limit", MAX_LIMIT)

    def fetch() -> PropertyValues:
        params = {"event": event, "name": prop, "limit": limit}
        body = _list(client.query("events/properties/values", params), "events/properties/values")
        return PropertyValues(event, prop, limit, tuple(str(v) for v in body))

    return cached(cache, ("events/properties/values", event, prop, limit), fetch)


def _count(info: Any) -> int | None:
    if isinstance(info, dict) and info.get("count") is not None:
        return int(number(info["count"]))
    return None


def _list(body: Any, endpoint: str) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return list(body["results"])
    if not isinstance(body, list):
        raise _shape(endpoint, "a JSON array")
    return body


def _shape(endpoint: str, expected: str) -> QueryError:
    return QueryError(
        f"Mixpanel /{endpoint} answered an unexpected shape (expected {expected}): check "
        "MP_BASE_URL points at Mixpanel's Query API."
    )
