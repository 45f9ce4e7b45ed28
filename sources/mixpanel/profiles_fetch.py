"""Page through the Engage API: page 0 opens a session, the rest are fetched concurrently.

Engage pages belong to a ``session_id``; ``total`` arrives on page 0 only, so the page count is
known after the first call and pages 1..N-1 can be fetched in parallel. An expired session
(HTTP 400) restarts the listing once from page 0; the ``profiles`` merge on ``distinct_id``
makes the repeat harmless.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

import orjson
import pyarrow as pa

from mixpanel_data.exceptions import QueryError

PROFILE_SCHEMA = pa.schema(
    [
        ("distinct_id", pa.string()),
        ("last_seen", pa.timestamp("us")),
        ("properties", pa.string()),
    ]
)


class EngageClient(Protocol):
    """What the fetcher needs of ``MixpanelClient``."""

    def engage_page(self, params: Mapping[str, Any]) -> dict[str, Any]: ...


def engage_where(where: str | None, last_seen_from: datetime | None) -> str | None:
    """Combine a user filter with the incremental lower bound on ``$last_seen``."""
    clauses = [f"({where})"] if where else []
    if last_seen_from is not None:
        stamp = last_seen_from.replace(tzinfo=None, microsecond=0).isoformat()
        clauses.append(f'properties["$last_seen"] >= "{stamp}"')
    return " and ".join(clauses) or None


def fetch_profile_tables(
    client: EngageClient,
    *,
    where: str | None = None,
    cohort_id: int | None = None,
    page_size: int = 1000,
    concurrency: int = 4,
) -> Iterator[pa.Table]:
    """Yield one Arrow table per engage page (restarting once if the session expires)."""
    base: dict[str, Any] = {"page_size": page_size}
    if where:
        base["where"] = where
    if cohort_id is not None:
        base["filter_by_cohort"] = {"id": int(cohort_id)}
    for attempt in (1, 2):
        try:
            yield from _all_pages(client, base, concurrency)
            return
        except QueryError as exc:
            if attempt == 2 or "session" not in exc.message.lower():
                raise


def _all_pages(client: EngageClient, base: dict[str, Any], concurrency: int) -> Iterator[pa.Table]:
    first = client.engage_page({**base, "page": 0})
    yield profiles_to_arrow(first.get("results") or [])
    size = int(first.get("page_size") or base["page_size"])
    session = first.get("session_id")
    results = first.get("results") or []
    if not session or len(results) < size:
        return
    total = first.get("total")
    if total is None:
        yield from _sequential(client, base, session, size)
        return
    pages = list(range(1, math.ceil(int(total) / size)))
    step = max(1, concurrency) * 2  # bounded look-ahead: memory stays a few pages deep
    with ThreadPoolExecutor(
        max_workers=max(1, concurrency), thread_name_prefix="mp-engage"
    ) as pool:
        for start in range(0, len(pages), step):
            chunk = pages[start : start + step]
            fetched = pool.map(
                lambda page: client.engage_page({**base, "page": page, "session_id": session}),
                chunk,
            )
            for body in fetched:
                yield profiles_to_arrow(body.get("results") or [])


def _sequential(
    client: EngageClient, base: dict[str, Any], session: str, size: int
) -> Iterator[pa.Table]:
    page = 1
    while True:
        body = client.engage_page({**base, "page": page, "session_id": session})
        results = body.get("results") or []
        if results:
            yield profiles_to_arrow(results)
        if len(results) < size:
            return
        page += 1


def profiles_to_arrow(results: list[dict[str, Any]]) -> pa.Table:
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


def _naive_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
