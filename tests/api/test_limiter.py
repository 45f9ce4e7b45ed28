"""Client-side rate budgets: concurrency caps with threads, rolling windows with a fake clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from mixpanel_data.api import ApiLimits, MixpanelClient
from mixpanel_data.api.limiter import Budget, RateWindow, shared_budget
from mixpanel_data.exceptions import RateLimitError

from .wire import WireServer, reply


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def windowed(clock: FakeClock, *windows: tuple[int, float], max_wait: float = 10.0) -> Budget:
    return Budget(
        "test",
        concurrent=None,
        windows=[RateWindow(limit, period) for limit, period in windows],
        max_wait=max_wait,
        clock=clock,
        sleep=clock.sleep,
    )


def test_concurrency_cap_is_honoured_across_threads():
    budget = Budget("query", concurrent=2)
    peak, active, lock = [0], [0], threading.Lock()

    def work() -> None:
        with budget.slot():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.02)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2
    assert budget.in_flight == 0


def test_busy_slots_past_timeout_raise():
    budget = Budget("query", concurrent=1, slot_timeout=0.05)
    budget.acquire()  # held: the next one waits for the slot
    started = time.monotonic()
    with pytest.raises(RateLimitError, match="1 concurrent query slots stayed busy"):
        budget.acquire()
    assert time.monotonic() - started < 1.0
    budget.release()
    with budget.slot():
        pass


def test_slot_is_released_when_the_block_raises():
    budget = Budget("query", concurrent=1)
    with pytest.raises(ValueError), budget.slot():
        raise ValueError("boom")
    assert budget.in_flight == 0


def test_per_second_rate_spaces_requests():
    clock = FakeClock()
    budget = windowed(clock, (3, 1.0))
    for _ in range(7):
        with budget.slot():
            pass
    assert clock.sleeps == [1.0, 1.0]
    assert clock.now == 1002.0


def request(budget: Budget) -> None:
    """One request that starts and ends at once."""
    with budget.slot():
        pass


def test_hourly_budget_waits_when_short_enough():
    clock = FakeClock()
    budget = windowed(clock, (2, 60.0), max_wait=60.0)
    request(budget)
    clock.now += 30
    request(budget)
    request(budget)  # the first start leaves the window after 30 more seconds
    assert clock.sleeps == [30.0]


def test_hourly_budget_raises_instead_of_sleeping_for_an_hour():
    clock = FakeClock()
    budget = windowed(clock, (3, 3600.0), max_wait=60.0)
    for _ in range(3):
        request(budget)
        clock.now += 10
    with pytest.raises(RateLimitError, match=r"room again in 1 h") as caught:
        request(budget)
    assert caught.value.retry_after == pytest.approx(3570.0)
    assert clock.sleeps == []


def test_both_windows_apply_together():
    clock = FakeClock()
    budget = windowed(clock, (3, 1.0), (4, 3600.0), max_wait=5.0)
    for _ in range(4):
        request(budget)
    assert clock.sleeps == [1.0]
    with pytest.raises(RateLimitError):
        request(budget)


def test_the_hour_counts_from_a_request_s_end():
    """Mixpanel counts a request when it sees it, which may be long after our start: a slow
    request is counted until an hour after it ends, never freed by the hour since it began."""
    clock = FakeClock()
    budget = windowed(clock, (1, 3600.0), max_wait=7200.0)
    with budget.slot():
        clock.now += 600  # a slow one: Mixpanel may have seen it at any point of these 10 min
    clock.now += 3000  # an hour after it started, 50 min after it ended
    request(budget)
    assert clock.sleeps == [600.0]


def test_requests_in_flight_hold_their_room_until_they_end():
    clock = FakeClock()
    budget = windowed(clock, (1, 3600.0), max_wait=0.0)
    budget.acquire()
    clock.now += 4000  # still running an hour later: it still counts
    refused: list[BaseException] = []

    def second() -> None:
        try:
            request(budget)
        except RateLimitError as exc:
            refused.append(exc)

    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not refused  # waiting for our own request, not a budget
    budget.release()
    waiter.join(2.0)
    assert not waiter.is_alive()
    (error,) = refused  # then the hour after its end applies
    assert error.retry_after == pytest.approx(3600.0)


def test_reserve_waits_for_room_for_a_whole_run_of_requests():
    clock = FakeClock()
    budget = windowed(clock, (4, 3600.0), max_wait=7200.0)
    for _ in range(3):
        request(budget)
        clock.now += 60
    budget.reserve(3)  # room for 3 only once the first two have left the window
    assert clock.sleeps == [3600.0 - 180 + 60]
    assert budget.in_flight == 0
    budget.reserve(10)  # capped at the limit: waits for the whole window
    assert clock.now >= 1000.0 + 120 + 3600


def test_registry_shares_one_budget_per_family_origin_project():
    limits = ApiLimits()
    one = shared_budget("query", "https://mixpanel.com", "1", limits)
    assert one is shared_budget("query", "https://mixpanel.com", "1", ApiLimits(max_wait=1))
    assert one is not shared_budget("query", "https://eu.mixpanel.com", "1", limits)
    assert one is not shared_budget("query", "https://mixpanel.com", "2", limits)
    assert one is not shared_budget("export", "https://mixpanel.com", "1", limits)
    assert shared_budget("app", "https://mixpanel.com", "1", limits) is None
    off = ApiLimits(query_concurrent=None, query_per_hour=None)
    assert shared_budget("query", "https://x.example", "1", off) is None


def test_clients_of_one_project_draw_from_one_hourly_budget(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    wire.script("/api/query/funnels/list", reply(200, []))
    limits = ApiLimits(query_per_hour=3, max_wait=0.0)
    first, second = make_client(limits=limits), make_client(limits=limits)
    first.query("funnels/list")
    second.query("funnels/list")
    first.query("funnels/list")
    with pytest.raises(RateLimitError, match=r"hourly query budget for project \d+ is used up"):
        second.query("funnels/list")
    assert wire.count("/api/query/funnels/list") == 3


def test_query_concurrency_is_capped_for_a_threaded_client(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def act(h):  # type: ignore[no-untyped-def]
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.03)
        with lock:
            in_flight[0] -= 1
        reply(200, {"status": "ok", "results": []})(h)

    wire.script("/api/query/engage", act)
    client = make_client(limits=ApiLimits(query_concurrent=2, query_per_hour=None))
    threads = [threading.Thread(target=client.engage_page, args=({"page": i},)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wire.count("/api/query/engage") == 8
    assert peak[0] == 2
