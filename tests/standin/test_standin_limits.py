"""Rate-limit emulation (README §5, §7.6): off by default, configurable, documented bodies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from mixpanel_data.standin import FakeClock, ProjectSpec, RateLimits, StandIn

from .standin_helpers import params


def _day(mp: StandIn) -> dict[str, object]:
    day = mp.spec.start.isoformat()
    return params(mp, from_date=day, to_date=day, limit=1)


def test_off_by_default(client: httpx.Client, mp: StandIn) -> None:
    codes = {client.get("/api/2.0/export", params=_day(mp)).status_code for _ in range(12)}
    assert codes == {200}


def test_query_per_hour(client: httpx.Client, mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits(query_per_hour=3, retry_after=30))
    codes = [client.get("/api/2.0/funnels/list", params=params(mp)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.get("/api/2.0/funnels/list", params=params(mp))
    assert last.headers["retry-after"] == "30"
    assert last.json()["error"].startswith(
        f"Query rate limit exceeded for project_id: {mp.project_id}. "
    )
    assert "/3 queries running in the last hour" in last.json()["error"]


def test_query_concurrency(mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits(query_concurrent=2))
    mp.add_fault("slow_first_byte", family="query", delay=0.5, times=2)

    def call(_: int) -> int:
        return httpx.get(
            f"{mp.base_url}/api/2.0/funnels/list", params=params(mp), auth=mp.auth
        ).status_code

    with ThreadPoolExecutor(3) as pool:
        slow = [pool.submit(call, i) for i in range(2)]
        import time

        time.sleep(0.2)
        third = pool.submit(call, 2).result()
        assert sorted(f.result() for f in slow) == [200, 200]
    assert third == 429


def test_export_per_second(client: httpx.Client, mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits(export_per_second=3))
    codes = [client.get("/api/2.0/export", params=_day(mp)).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    body = client.get("/api/2.0/export", params=_day(mp)).json()
    assert body == {"error": "too many export requests in progress for this project"}


def test_documented_numbers() -> None:
    assert RateLimits.documented() == RateLimits(5, 60, 3, 60, 100)


def test_spend_uses_the_hourly_query_budget(client: httpx.Client, mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits.documented())  # restarts the counters: spend after it
    mp.spend("query", 55)
    codes = [client.get("/api/2.0/funnels/list", params=params(mp)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    body = client.get("/api/2.0/funnels/list", params=params(mp)).json()
    assert body["error"] == (
        f"Query rate limit exceeded for project_id: {mp.project_id}. 1/5 queries running "
        "concurrently and 61/60 queries running in the last hour. For more information, see "
        "https://developer.mixpanel.com/reference/rate-limits"
    )


def test_spend_control_endpoint_and_the_clock() -> None:
    spec = ProjectSpec(days=2, events_per_day=50)
    clock = FakeClock(datetime(2024, 3, 20, tzinfo=UTC))
    with (
        StandIn(spec, clock=clock, rate_limits=RateLimits.documented()) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        assert c.post("/_standin/spend", json={"family": "export", "n": 60}).json() == {
            "family": "export",
            "spent": 60,
        }
        assert c.get("/api/2.0/export", params=_day(mp)).status_code == 429
        assert c.post("/_standin/spend", json={"family": "nope", "n": 1}).status_code == 400
        assert c.post("/_standin/spend", json={"family": "query"}).status_code == 400
        clock.sleep(3600)  # an hour later the spent budget is back
        assert c.get("/api/2.0/export", params=_day(mp)).status_code == 200
