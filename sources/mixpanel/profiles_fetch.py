"""Page through the Engage API in parts small enough to finish within an hour's budget.

Every engage page is one of the 60 Query requests a project may make per hour, and a page
belongs to a ``session_id`` that does not outlive an hour's wait. A project with more profiles
than an hour's pages could never load when the whole set was one listing that started over
after every failure. So the profiles are split into ``$last_seen`` ranges ("parts"), fetched
oldest first, each a session of its own (page 0 gives ``total``; pages 1..N-1 are fetched
concurrently, API reference §6.2). After each part the cursor moves to the part's upper bound,
and the resource commits it with the rows: a run stopped by the budget (or killed) resumes at
the first unfinished part instead of page 0.

Parts are cut from the data: page 0 of a range that holds more than a part's worth of profiles
is a sample of its ``$last_seen`` values, and the range is cut at their quantiles (recursively,
if a part still comes out too big). A part has at most ``part_pages`` pages (half the hourly
Query budget), and before it starts the client waits until the budget has room for all of them
(``MixpanelClient.reserve``), so no long wait ever falls between two pages of one session. An
expired session restarts that part once from its page 0; the ``profiles`` merge on
``distinct_id`` makes repeats harmless.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, cast

import orjson
import pyarrow as pa

from mixpanel_data.exceptions import QueryError

if TYPE_CHECKING:
    from mixpanel_data.api.payloads import EngagePage, EngageParams, EngageProfile

PROFILE_SCHEMA = pa.schema(
    [
        ("distinct_id", pa.string()),
        ("last_seen", pa.timestamp("us")),
        ("properties", pa.string()),
    ]
)
MAX_PART_PAGES = 25
"""Engage pages per part when the budget allows it (60/hour: 25 pages leave room for others)."""
_LAST_SEEN = 'properties["$last_seen"]'


def part_pages(query_per_hour: int | None) -> int:
    """Pages one part may take: at most half the hourly Query budget, so a part always fits in
    the room ``reserve`` waits for, with requests left for the project's other users."""
    if query_per_hour is None:
        return MAX_PART_PAGES
    return max(1, min(MAX_PART_PAGES, query_per_hour // 2))


class EngageClient(Protocol):
    """What the fetcher needs of ``MixpanelClient``: one engage page.

    The page comes back as the client checked it (an object); ``_PartFetch`` reads it as an
    ``EngagePage``.
    """

    def engage_page(self, params: Mapping[str, object]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Part:
    """Profiles with ``low <= $last_seen < high``; None is open (``low`` None: also undefined)."""

    low: str | None
    high: str | None

    def inside(self, stamp: str) -> bool:
        """Whether a ``$last_seen`` value falls in this part."""
        return (self.low is None or stamp >= self.low) and (self.high is None or stamp < self.high)

    def where(self, user_where: str | None) -> str | None:
        clauses = [f"({user_where})"] if user_where else []
        if self.low is not None:
            clauses.append(f'{_LAST_SEEN} >= "{self.low}"')
        if self.high is not None:
            below = f'{_LAST_SEEN} < "{self.high}"'
            if self.low is None:
                below = f"(not defined({_LAST_SEEN}) or {below})"
            clauses.append(below)
        return " and ".join(clauses) or None


class _Incremental(TypedDict, total=False):
    last_value: object
    """A ``datetime`` or its text: dlt's state keeps what the cursor column held."""


class ProfilesStateDict(TypedDict, total=False):
    """The profiles resource's state as dlt commits it (``dlt.current.resource_state()``)."""

    version: int
    cursor: str | None
    bounds: list[str]
    incremental: dict[str, _Incremental]
    """The layout before version 2: ``dlt.sources.incremental("last_seen")``'s own state."""


@dataclass
class ProfilesState:
    """The profiles resource's committed state: the next run's ``$last_seen`` lower bound, and
    the upper bounds of parts still to fetch when a split run stopped early."""

    cursor: str | None = None
    bounds: list[str] = field(default_factory=list)
    finished: bool = field(default=False, compare=False)
    """Set (not stored) once every part is done."""

    @classmethod
    def read(cls, raw: ProfilesStateDict) -> ProfilesState:
        cursor = raw.get("cursor")
        if cursor is None:  # written by dlt.sources.incremental("last_seen") before
            old = (raw.get("incremental") or {}).get("last_seen") or {}
            value = old.get("last_value")
            cursor = _stamp(value) if value is not None else None
        return cls(cursor=cursor, bounds=list(raw.get("bounds") or []))

    def write(self, raw: ProfilesStateDict) -> None:
        raw.pop("incremental", None)
        raw["version"] = 2
        raw["cursor"] = self.cursor
        raw["bounds"] = list(self.bounds)


def fetch_profile_parts(
    client: EngageClient,
    state: ProfilesState,
    *,
    where: str | None = None,
    cohort_id: int | None = None,
    page_size: int = 1000,
    concurrency: int = 4,
    part_profiles: int = 25_000,
    stop_after: int | None = None,
    on_part_done: Callable[[ProfilesState], None] | None = None,
) -> Iterator[pa.Table]:
    """Yield Arrow tables of every part, moving ``state`` after each finished part.

    Stops (returning normally) once ``stop_after`` profiles came in, at a part boundary; the
    state then says where the next call continues. ``state.bounds`` empty and the generator
    exhausted means every part is done.
    """
    base: EngageParams = {"page_size": page_size}
    if cohort_id is not None:
        base["filter_by_cohort"] = {"id": int(cohort_id)}
    queue = _parts(state)
    fetched = 0
    pages = max(1, math.ceil(part_profiles / page_size))
    reserve = getattr(client, "reserve", None)
    while queue:
        part = queue.pop(0)
        if reserve is not None:  # the whole part in one go: its session must not wait an hour
            reserve("query", pages)
        fetch = _PartFetch(client, base, part.where(where), concurrency)
        first = fetch.first_page()
        total = int(first.get("total") or 0)
        split = _split(part, first.get("results") or [], total, part_profiles)
        if split:
            queue[:0] = split
            state.bounds = [p.high for p in queue if p.high is not None]
            yield profiles_to_arrow(first.get("results") or [])  # loaded now; merged again later
            continue
        seen: list[str] = []
        for table in fetch.all_pages(first):
            seen.append(_max_stamp(table))
            fetched += table.num_rows
            yield table
        state.cursor = part.high if part.high is not None else max([part.low or "", *seen]) or None
        state.bounds = [p.high for p in queue if p.high is not None]
        if on_part_done is not None:
            on_part_done(state)
        if stop_after is not None and fetched >= stop_after and queue:
            return
    state.finished = True


def _parts(state: ProfilesState) -> list[Part]:
    """The parts from the cursor on: the bounds of an interrupted split, then the open rest."""
    lows = [state.cursor, *state.bounds]
    highs: list[str | None] = [*state.bounds, None]
    return [Part(low, high) for low, high in zip(lows, highs, strict=True)]


def _split(part: Part, sample: list[EngageProfile], total: int, part_profiles: int) -> list[Part]:
    """Cut ``part`` at quantiles of its page-0 ``$last_seen`` values, or [] to fetch it whole."""
    if total <= part_profiles:
        return []
    stamps = (_stamp(p.get("$properties", {}).get("$last_seen")) for p in sample)
    values = sorted(s for s in stamps if s is not None and part.inside(s))
    pieces = math.ceil(total / part_profiles)
    if not values or pieces < 2:
        return []
    picks = (values[min(len(values) - 1, len(values) * i // pieces)] for i in range(1, pieces))
    cuts = sorted({v for v in picks if part.low is None or v > part.low})
    if not cuts:
        return []
    lows = [part.low, *cuts]
    highs = [*cuts, part.high]
    return [Part(low, high) for low, high in zip(lows, highs, strict=True)]


class _PartFetch:
    """One part's listing: page 0 opens a session, later pages are fetched concurrently."""

    def __init__(
        self, client: EngageClient, base: EngageParams, where: str | None, concurrency: int
    ) -> None:
        self.client = client
        self.base: EngageParams = {**base, **({"where": where} if where else {})}
        self.concurrency = max(1, concurrency)

    def _page(self, params: EngageParams) -> EngagePage:
        """One page, read as Mixpanel documents it (every key still read with ``.get``)."""
        return cast("EngagePage", self.client.engage_page(params))

    def first_page(self) -> EngagePage:
        """Page 0 (a new session), asked again once if Mixpanel calls the session gone."""
        for attempt in (1, 2):
            try:
                return self._page({**self.base, "page": 0})
            except QueryError as exc:
                if attempt == 2 or not _session_gone(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def all_pages(self, first: EngagePage) -> Iterator[pa.Table]:
        """Every page of the part; an expired session restarts it once from page 0."""
        for attempt in (1, 2):
            try:
                yield from self._pages(first)
                return
            except QueryError as exc:
                if attempt == 2 or not _session_gone(exc):
                    raise
                first = self.first_page()

    def _pages(self, first: EngagePage) -> Iterator[pa.Table]:
        results = first.get("results") or []
        yield profiles_to_arrow(results)
        size = int(first.get("page_size") or self.base["page_size"])
        session = first.get("session_id")
        if not session or len(results) < size:
            return
        total = first.get("total")
        if total is None:
            yield from self._sequential(session, size)
            return
        pages = list(range(1, math.ceil(int(total) / size)))
        step = self.concurrency * 2  # bounded look-ahead: memory stays a few pages deep
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="mp-engage")
        with pool:
            for start in range(0, len(pages), step):
                chunk = pages[start : start + step]
                fetched = pool.map(
                    lambda page: self._page({**self.base, "page": page, "session_id": session}),
                    chunk,
                )
                for body in fetched:
                    yield profiles_to_arrow(body.get("results") or [])

    def _sequential(self, session: str, size: int) -> Iterator[pa.Table]:
        page = 1
        while True:
            body = self._page({**self.base, "page": page, "session_id": session})
            results = body.get("results") or []
            if results:
                yield profiles_to_arrow(results)
            if len(results) < size:
                return
            page += 1


def _session_gone(exc: QueryError) -> bool:
    """Mixpanel's 400 for a ``session_id`` that expired (API reference §6.2)."""
    return "session" in exc.message.lower()


def profiles_to_arrow(results: list[EngageProfile]) -> pa.Table:
    """Engage results as (distinct_id, last_seen, properties JSON); ids are always strings."""
    ids: list[str] = []
    seen: list[datetime | None] = []
    props: list[str] = []
    for item in results:
        properties = item.get("$properties") or {}
        ids.append(str(item.get("$distinct_id")))
        seen.append(_naive_time(properties.get("$last_seen")))
        props.append(orjson.dumps(properties).decode())
    return pa.table([ids, seen, props], schema=PROFILE_SCHEMA)


def _max_stamp(table: pa.Table) -> str:
    """The latest ``last_seen`` of a table as engage writes it ("" when there is none)."""
    import pyarrow.compute as pc

    value = pc.max(table.column("last_seen")).as_py() if table.num_rows else None
    return value.replace(microsecond=0).isoformat() if value is not None else ""


def _stamp(value: object) -> str | None:
    """``$last_seen`` as engage's ``YYYY-MM-DDTHH:MM:SS`` text (what ``where`` compares)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    moment = _naive_time(value)
    return moment.replace(microsecond=0).isoformat() if moment is not None else None


def _naive_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
