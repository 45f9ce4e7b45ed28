"""One 429 path behind every front door: Query GET, engage POST, raw export, a live report.

Mixpanel says "come back in 12 s" every time: each door waits what it was told (the policy's
sleeps, not real time) for as long as a live client's minute allows, without using up retry
attempts, then raises one ``RateLimitError`` that says when the budget has room again and
keeps Mixpanel's own message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from mixpanel_data import live
from mixpanel_data.api import MixpanelClient
from mixpanel_data.exceptions import RateLimitError

from .wire import WireServer, reply

BODY = {
    "error": "Query rate limit exceeded for project_id: 1. 1/5 queries running concurrently and "
    "61/60 queries running in the last hour."
}
DAY = date(2024, 3, 1)
DOORS: dict[str, tuple[str, Callable[[MixpanelClient], Any]]] = {
    "query": ("/api/query/segmentation", lambda c: c.query("segmentation")),
    "engage": ("/api/query/engage", lambda c: c.engage_page({"page_size": 10})),
    "export": ("/api/2.0/export", lambda c: list(c.export_batches(DAY, DAY))),
    "live-report": ("/api/query/funnels/list", lambda c: live.funnels_list(c)),
}


@pytest.mark.parametrize("door", list(DOORS))
def test_a_429_is_waited_out_then_says_when_to_come_back(
    door: str, wire: WireServer, client: MixpanelClient, sleeps: list[float]
):
    path, call = DOORS[door]
    wire.script(path, reply(429, BODY, {"Retry-After": "12"}))
    with pytest.raises(RateLimitError) as caught:
        call(client)
    assert caught.value.retry_after == 12.0
    assert caught.value.exit_code == 5
    assert "room again in about 12 s" in caught.value.message
    assert "61/60" in caught.value.message  # Mixpanel's own words are kept
    assert sleeps == [12.0] * 5  # 60 s of waiting in all, attempts untouched
    assert wire.count(path) == 6


@pytest.mark.parametrize("door", list(DOORS))
def test_a_429_then_success_returns_the_answer(
    door: str, wire: WireServer, client: MixpanelClient, sleeps: list[float]
):
    path, call = DOORS[door]
    ok = {
        "export": reply(200, b""),
        "engage": reply(200, {"results": [], "page": 0, "page_size": 10, "session_id": "s"}),
        "live-report": reply(200, []),
    }.get(door, reply(200, {"data": {"series": [], "values": {}}, "legend_size": 0}))
    wire.script(path, reply(429, BODY, {"Retry-After": "3"}), ok)
    call(client)
    assert sleeps == [3.0]
    assert wire.count(path) == 2
