"""Rate-limit emulation (README §5, §7.6): off by default, configurable, documented bodies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from mixpanel_data.standin import RateLimits, StandIn
from standin_helpers import params


def _day(mp: StandIn) -> dict[str, object]:
    day = mp.spec.start.isoformat()
    return params(mp, from_date=day, to_date=day, limit=1)


def test_off_by_default(client: httpx.Client, mp: StandIn) -> None:
    codes = {client.get("/api/2.0/export", params=_day(mp)).status_code for _ in range(12)}
    assert codes == {200}


def test_query_per_hour(client: httpx.Client, mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits(query_per_hour=3, retry_after=30))
    codes = [client.get("/api/2.0/funnels/list", params=params(mp)).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.get("/api/2.0/funnels/list", params=params(mp))
    assert last.headers["retry-after"] == "30"
    assert last.json()["error"].startswith(
        f"Query rate limit exceeded for project_id: {mp.project_id}. ")
    assert "/3 queries running in the last hour" in last.json()["error"]


def test_query_concurrency(mp: StandIn) -> None:
    mp.set_rate_limits(RateLimits(query_concurrent=2))
    mp.add_fault("slow_first_byte", family="query", delay=0.5, times=2)

    def call(_: int) -> int:
        return httpx.get(f"{mp.base_url}/api/2.0/funnels/list", params=params(mp),
                         auth=mp.auth).status_code

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
