"""Event counts per day for many events at once: ``/events`` ("Aggregate Event Counts").

One request answers a whole list of events over a whole date range (API reference §6.7), where
``/segmentation`` takes one event per request; so ``mp verify`` spends one Query request (60/hour,
5 concurrent per project) per batch of events instead of one per event. Mixpanel documents no
maximum number of events per request; the names travel JSON-encoded in the query string, so a
batch holds at most ``MAX_EVENTS_PER_REQUEST`` names and ``MAX_EVENT_PARAM_CHARS`` characters of
URL-encoded JSON (a URL well under the 8 KB many servers and proxies accept).

Wire shape::

    {"data": {"series": ["2010-05-29", ...], "values": {"<event>": {"<date>": n}}},
     "legend_size": 2}

A name's map leaves out dates without data: the parser fills every date with 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson

from mixpanel_data.live._base import LiveResult, QueryClient, check_choice, check_range, check_text
from mixpanel_data.live.segmentation import parse_series

__all__ = [
    "MAX_EVENTS_PER_REQUEST",
    "MAX_EVENT_PARAM_CHARS",
    "EventCount",
    "EventCounts",
    "event_batches",
    "event_counts",
]

MAX_EVENTS_PER_REQUEST = 100
MAX_EVENT_PARAM_CHARS = 6_000
UNITS = ("day", "week", "month")
TYPES = ("general", "unique", "average")


@dataclass(frozen=True)
class EventCount:
    """One event's value on one date bucket (``YYYY-MM-DD``, the bucket's first day)."""

    date: str
    event: str
    value: int | float


@dataclass(frozen=True)
class EventCounts(LiveResult):
    """Counts of ``events`` per date bucket in the project's time zone, 0 where none."""

    events: tuple[str, ...]
    from_date: date
    to_date: date
    unit: str
    type: str
    counts: tuple[EventCount, ...]
    requests: int

    columns = ("date", "event", "value")

    def value(self, event: str, day: date | str) -> int | float:
        """The count of ``event`` on ``day`` (0 when Mixpanel has none)."""
        return self.table().get((str(day), event), 0)

    def table(self) -> dict[tuple[str, str], int | float]:
        """``{(date, event): value}`` for every count Mixpanel returned."""
        return {(c.date, c.event): c.value for c in self.counts}

    def totals(self) -> dict[str, int | float]:
        """The sum over the dates, per event (every event asked, 0 included)."""
        out: dict[str, int | float] = dict.fromkeys(self.events, 0)
        for c in self.counts:
            out[c.event] = out.get(c.event, 0) + c.value
        return out

    def records(self) -> list[dict[str, Any]]:
        return [{"date": c.date, "event": c.event, "value": c.value} for c in self.counts]


def event_counts(
    client: QueryClient,
    events: Iterable[str],
    from_date: date | str,
    to_date: date | str,
    *,
    unit: str = "day",
    type: str = "general",
) -> EventCounts:
    """Counts of every event in ``events`` per ``unit``; one request per batch of names.

    ``type``: ``general`` (events), ``unique`` (users) or ``average`` (events per user).
    """
    names = tuple(dict.fromkeys(check_text(name, "event") for name in events))
    if not names:
        check_text(None, "events")
    first, last = check_range(from_date, to_date)
    check_choice(unit, UNITS, "unit")
    check_choice(type, TYPES, "type")
    batches = event_batches(names)
    counts: list[EventCount] = []
    for batch in batches:
        params = {
            "event": list(batch),
            "type": type,
            "unit": unit,
            "from_date": first,
            "to_date": last,
        }
        _, points = parse_series(client.query("events", params), "events")
        counts.extend(EventCount(p.date, p.segment, p.value) for p in points if p.value)
    return EventCounts(names, first, last, unit, type, tuple(counts), len(batches))


def event_batches(names: Sequence[str]) -> list[tuple[str, ...]]:
    """``names`` in request-sized batches, in order (a name too long for any batch goes alone)."""
    batches: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 6  # %5B%5D
    for name in names:
        cost = len(quote(orjson.dumps(name), safe="")) + 3  # and a %2C
        full = len(current) >= MAX_EVENTS_PER_REQUEST or size + cost > MAX_EVENT_PARAM_CHARS
        if current and full:
            batches.append(tuple(current))
            current, size = [], 6
        current.append(name)
        size += cost
    if current:
        batches.append(tuple(current))
    return batches
