"""Engage paging (README §6.2, §7.5): sessions, random page access, total on page 0, filters."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest

from mixpanel_data.standin import StandIn

from .standin_helpers import params

ENGAGE = "/api/2.0/engage"


def _page(client: httpx.Client, mp: StandIn, **extra: object) -> httpx.Response:
    return client.post(ENGAGE, params=params(mp), data={k: str(v) for k, v in extra.items()})


def test_paging_returns_every_profile_once(client: httpx.Client, mp: StandIn) -> None:
    first = _page(client, mp, page_size=25).json()
    assert first["page"] == 0 and first["page_size"] == 25 and first["status"] == "ok"
    assert first["total"] == 120 and len(first["results"]) == 25
    ids = [p["$distinct_id"] for p in first["results"]]
    page = 0
    while True:
        page += 1
        body = _page(client, mp, page=page, page_size=25, session_id=first["session_id"]).json()
        assert "total" not in body
        ids += [p["$distinct_id"] for p in body["results"]]
        if len(body["results"]) < 25:
            break
    assert ids == [p["$distinct_id"] for p in mp.project.profiles()]
    assert all(isinstance(i, str) for i in ids)


def test_default_page_size_is_1000(client: httpx.Client, mp: StandIn) -> None:
    body = client.get(ENGAGE, params=params(mp)).json()
    assert body["page_size"] == 1000 and len(body["results"]) == 120


def test_pages_can_be_fetched_concurrently(client: httpx.Client, mp: StandIn) -> None:
    first = _page(client, mp, page_size=10).json()
    pages = range(first["total"] // 10, 0, -1)  # backwards, in parallel

    def fetch(n: int) -> list[str]:
        body = _page(client, mp, page=n, page_size=10, session_id=first["session_id"]).json()
        return [p["$distinct_id"] for p in body["results"]]

    with ThreadPoolExecutor(4) as pool:
        got = dict(zip(pages, pool.map(fetch, pages), strict=True))
    ids = [p["$distinct_id"] for p in first["results"]]
    for n in sorted(got):
        ids += got[n]
    assert ids == [p["$distinct_id"] for p in mp.project.profiles()]


def test_session_is_a_snapshot(client: httpx.Client, mp: StandIn) -> None:
    first = _page(client, mp, page_size=60).json()
    mp.touch_profiles(120, datetime(2030, 1, 1))
    later = _page(client, mp, page=1, page_size=60, session_id=first["session_id"]).json()
    assert all(p["$properties"]["$last_seen"] != "2030-01-01T00:00:00" for p in later["results"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"page": 1}, "session_id is required"),
        ({"page": 0, "session_id": "123-NOPE"}, "unknown or has expired"),
        ({"page_size": 0}, "page_size"),
        ({"where": 'properties["$last_seen"] >>= 1'}, "where"),
    ],
    ids=["page-without-session", "unknown-session", "bad-page-size", "bad-where"],
)
def test_engage_400s(
    client: httpx.Client, mp: StandIn, extra: dict[str, object], message: str
) -> None:
    resp = _page(client, mp, **extra)
    assert resp.status_code == 400 and message in resp.json()["error"]


def test_where_on_last_seen_and_output_properties(client: httpx.Client, mp: StandIn) -> None:
    touched = set(mp.touch_profiles(7, datetime(2031, 5, 5, 8, 0, 0)))
    body = _page(
        client,
        mp,
        where='properties["$last_seen"] >= "2031-01-01T00:00:00"',
        output_properties='["$last_seen", "$email"]',
    ).json()
    assert body["total"] == 7
    assert {p["$distinct_id"] for p in body["results"]} == touched
    assert all(set(p["$properties"]) <= {"$last_seen", "$email"} for p in body["results"])


def test_filter_by_cohort_and_include_all_users(client: httpx.Client, mp: StandIn) -> None:
    members = mp.project.cohort_members(1001)
    with_profile = {p["$distinct_id"] for p in mp.project.profiles()}
    everyone = _page(client, mp, filter_by_cohort='{"id": 1001}').json()
    assert [p["$distinct_id"] for p in everyone["results"]] == members
    assert any(p["$distinct_id"] not in with_profile for p in everyone["results"])
    only = _page(client, mp, filter_by_cohort='{"id": 1001}', include_all_users="false").json()
    assert {p["$distinct_id"] for p in only["results"]} == set(members) & with_profile
    assert _page(client, mp, filter_by_cohort='{"id": 5}').status_code == 400


def test_distinct_ids_filter(client: httpx.Client, mp: StandIn) -> None:
    ids = [p["$distinct_id"] for p in mp.project.profiles()[:3]]
    body = _page(client, mp, distinct_ids=str(ids).replace("'", '"')).json()
    assert [p["$distinct_id"] for p in body["results"]] == ids


def test_options_total_everywhere_and_session_ttl() -> None:
    with (
        StandIn(engage_total_on_every_page=True, engage_session_ttl=0.2) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        first = c.get(ENGAGE, params=params(mp, page_size=50)).json()
        second = c.get(
            ENGAGE, params=params(mp, page=1, page_size=50, session_id=first["session_id"])
        ).json()
        assert second["total"] == first["total"]
        time.sleep(0.3)
        expired = c.get(
            ENGAGE, params=params(mp, page=1, page_size=50, session_id=first["session_id"])
        )
        assert expired.status_code == 400
