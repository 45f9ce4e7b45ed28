"""The clock: FakeClock semantics, and a moving clock moving visibility, today and limits."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import httpx
import orjson
import pytest

from mixpanel_data.standin import FakeClock, Project, ProjectSpec, RateLimits, StandIn
from mixpanel_data.standin.clock import EPOCH
from mixpanel_data.standin.generator import NEVER

from .standin_helpers import lines_of, params

EXPORT = "/api/2.0/export"
T0 = datetime(2024, 3, 9, 1, 0, tzinfo=UTC)  # one hour after the first UTC day ended
SPEC = ProjectSpec(
    seed=21, start=date(2024, 3, 8), days=3, events_per_day=600, profiles=80, timezone="UTC"
)


def _export(c: httpx.Client, mp: StandIn, first: date, last: date | None = None) -> list[dict]:
    resp = c.get(
        EXPORT, params=params(mp, from_date=first.isoformat(), to_date=(last or first).isoformat())
    )
    assert resp.status_code == 200, resp.text
    return [orjson.loads(x) for x in lines_of(resp.content)]


def test_fake_clock_basics() -> None:
    clock = FakeClock(datetime(2024, 1, 1))  # naive reads as UTC
    assert clock.now() == datetime(2024, 1, 1, tzinfo=UTC)
    start = clock.monotonic()
    clock.sleep(90)
    assert clock.monotonic() - start == 90
    assert clock.advance(timedelta(days=40)) == datetime(2024, 2, 10, 0, 1, 30, tzinfo=UTC)
    clock.set(datetime(2024, 5, 1, 2, tzinfo=UTC))
    assert clock.now().isoformat() == "2024-05-01T02:00:00+00:00"
    with pytest.raises(ValueError):
        clock.sleep(-1)


def test_parallel_sleeps_overlap_and_serial_ones_add_up() -> None:
    clock = FakeClock(T0)
    barrier = threading.Barrier(2)

    def nap() -> None:
        barrier.wait()
        clock.sleep(600)

    threads = [threading.Thread(target=nap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() - T0 == timedelta(seconds=600)  # this thread now stands at T0 + 600
    clock.sleep(600)
    clock.sleep(600)
    assert clock.now() - T0 == timedelta(seconds=1800)


def test_without_a_clock_the_wall_time_is_frozen() -> None:
    before = datetime.now(UTC)
    project = Project(SPEC)
    assert before <= project.now <= datetime.now(UTC)
    frozen = project.now
    assert project.now == frozen
    fixed = Project(SPEC.with_(now=datetime(2024, 3, 9, 12)))
    assert fixed.now == datetime(2024, 3, 9, 12, tzinfo=UTC) and fixed.today == date(2024, 3, 9)


def test_set_today_is_the_last_second_of_the_local_day() -> None:
    project = Project(SPEC.with_(timezone="America/Los_Angeles"))
    project.set_today(date(2024, 3, 9))
    assert project.now == datetime(2024, 3, 10, 7, 59, 59, tzinfo=UTC)  # PST, UTC-8
    assert project.today == date(2024, 3, 9)
    project.today = date(2024, 3, 10)  # the setter still works (PDT from 2 a.m.)
    assert project.now == datetime(2024, 3, 11, 6, 59, 59, tzinfo=UTC)


def test_moving_the_clock_makes_late_rows_appear_in_an_exported_day() -> None:
    clock = FakeClock(T0)
    with StandIn(SPEC, clock=clock) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        assert mp.clock is clock
        day = SPEC.start
        seen = []
        for _ in range(4):
            rows = _export(c, mp, day)
            assert rows == mp.project.raw_events(day)
            now_ms = int(mp.now.timestamp() * 1000)
            assert all(r["properties"]["mp_processing_time_ms"] <= now_ms for r in rows)
            seen.append(len(rows))
            clock.sleep(6 * 3600)  # the client's sleep moves the server's time too
        full = len(mp.project.full_batch(day).events)
        assert seen == sorted(seen) and seen[0] < seen[-1] < full
        mp.advance(timedelta(days=40))
        assert len(_export(c, mp, day)) == full == mp.project.count(day)
        entries = [
            s for key, cuts in mp.state.cache._entries.items() if key[0] == day for s in cuts
        ]
        assert any(s.valid_until == NEVER for s in entries)  # a processed day is cached forever


def test_no_row_from_after_now_is_ever_returned() -> None:
    clock = FakeClock(datetime(2024, 3, 9, 12, tzinfo=UTC))
    with (
        StandIn(SPEC.with_(lag="realtime"), clock=clock) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        rows = _export(c, mp, date(2024, 3, 9))
        noon = int(clock.now().timestamp())
        assert rows and all(r["properties"]["time"] <= noon for r in rows)
        assert max(r["properties"]["time"] for r in rows) > noon - 3600
        generated = mp.project.full_batch(date(2024, 3, 9)).events
        assert len(generated) > 1.5 * len(rows)  # the afternoon exists, unprocessed
        filtered = c.get(
            EXPORT,
            params=params(mp, from_date="2024-03-09", to_date="2024-03-09", event='["Login"]'),
        )
        logins = [orjson.loads(x) for x in lines_of(filtered.content)]
        assert logins == [r for r in rows if r["event"] == "Login"]


def test_cache_entry_is_reused_until_a_row_of_that_day_is_processed() -> None:
    clock = FakeClock(T0)
    mp = StandIn(SPEC, clock=clock)
    day = SPEC.start
    first = mp.state.cache.get(day)
    assert first.valid_from <= mp.project.now_ms() < first.valid_until < NEVER
    clock.set(EPOCH + timedelta(milliseconds=first.valid_until - 1))
    assert mp.state.cache.get(day) is first  # still no new row of that day processed
    clock.set(EPOCH + timedelta(milliseconds=first.valid_until))
    second = mp.state.cache.get(day)
    assert second is not first and second.segment.lines > first.segment.lines
    assert second.segment.lines == mp.project.count(day)


def test_late_events_are_processed_at_the_clock() -> None:
    clock = FakeClock(T0)
    mp = StandIn(SPEC, clock=clock)
    before = mp.project.count(SPEC.start)
    added = mp.add_late_events(SPEC.start, 9)
    now_ms = mp.project.now_ms()
    assert len(added) == 9 and mp.project.count(SPEC.start) == before + 9
    assert {e["properties"]["mp_processing_time_ms"] for e in added} == {now_ms}
    assert all(e["properties"]["time"] * 1000 < now_ms for e in added)
    assert mp.add_late_events(SPEC.end, 5) == []  # that day has not started yet


def test_today_follows_the_clock() -> None:
    clock = FakeClock(datetime(2024, 3, 9, 23, 30, tzinfo=UTC))
    with StandIn(SPEC, clock=clock) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        query = params(mp, from_date="2024-03-10", to_date="2024-03-10")
        refused = c.get(EXPORT, params=query)
        assert refused.status_code == 400
        assert "to_date cannot be later than today" in refused.json()["error"]
        clock.sleep(3600)
        assert c.get(EXPORT, params=query).status_code == 200


def test_rate_limit_window_follows_the_clock() -> None:
    clock = FakeClock(T0)
    with (
        StandIn(SPEC, clock=clock, rate_limits=RateLimits(query_per_hour=2)) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        codes = [c.get("/api/2.0/funnels/list", params=params(mp)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        clock.sleep(3601)
        assert c.get("/api/2.0/funnels/list", params=params(mp)).status_code == 200


def test_now_control_endpoint() -> None:
    with StandIn(SPEC.with_(now=T0)) as mp, httpx.Client(base_url=mp.base_url) as c:
        assert c.get("/_standin/now").json() == {
            "now": "2024-03-09T01:00:00+00:00",
            "today": "2024-03-09",
        }
        moved = c.post("/_standin/now", json={"advance_seconds": 86_400}).json()
        assert moved == {"now": "2024-03-10T01:00:00+00:00", "today": "2024-03-10"}
        jumped = c.post("/_standin/now", json={"now": "2024-03-08T12:00:00Z"}).json()
        assert jumped["today"] == "2024-03-08" and mp.now == datetime(2024, 3, 8, 12, tzinfo=UTC)
        assert c.post("/_standin/now", json={"now": "yesterday"}).status_code == 400
        assert c.get("/_standin/info").json()["now"] == "2024-03-08T12:00:00+00:00"
