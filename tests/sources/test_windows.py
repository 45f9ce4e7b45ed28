"""The export window planner: whole days, each handed out once, sized from measured density."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner

MB = 2**20
START = date(2024, 1, 1)


def planner(days: int, **kwargs: int | None) -> WindowPlanner:
    options: dict[str, int | None] = {"window_days": None, "target_bytes": 128 * MB}
    options.update(kwargs)
    todo = [Window(START, START + timedelta(days=days - 1))]
    return WindowPlanner(todo, **options)  # type: ignore[arg-type]


def drain(plan: WindowPlanner, bytes_per_day: float) -> list[Window]:
    out = []
    while (window := plan.next()) is not None:
        out.append(window)
        plan.observe(window, int(bytes_per_day * window.days))
    return out


def covers_exactly(windows: list[Window], first: date, last: date) -> bool:
    days = [w.start + timedelta(days=i) for w in windows for i in range(w.days)]
    return days == [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_unmeasured_windows_are_one_day():
    plan = planner(30)
    assert [plan.next() for _ in range(3)] == [
        Window(START + timedelta(days=i), START + timedelta(days=i)) for i in range(3)
    ]


def test_small_days_are_grouped_up_to_the_target():
    plan = planner(30)
    windows = drain(plan, 40 * MB)  # 40 MB/day, 128 MB target -> 3 days
    assert covers_exactly(windows, plan.start, plan.end)
    assert windows[0].days == 1
    assert {w.days for w in windows[1:-1]} == {3}
    assert len(windows) == 11  # not 30 requests of Export's 60/hour


def test_busy_days_stay_one_day_each():
    windows = drain(planner(10), 900 * MB)
    assert [w.days for w in windows] == [1] * 10


def test_growth_is_bounded_per_step():
    windows = drain(planner(200), 1 * MB)
    assert [w.days for w in windows[:4]] == [1, 4, 16, 64]


def test_empty_windows_double_up_to_a_cap():
    plan = planner(3000)
    sizes = []
    while (window := plan.next()) is not None:
        sizes.append(window.days)
        plan.observe(window, 0)  # years before the project's first event
    assert sizes[:6] == [1, 2, 4, 8, 16, 32]
    assert max(sizes) == WindowPlanner.MAX_EMPTY_DAYS
    assert len(sizes) < 25  # 3,000 empty days, not 3,000 requests of Export's 60/hour


def test_data_after_empty_days_resets_their_growth():
    plan = planner(100)
    for _ in range(3):
        window = plan.next()
        assert window is not None
        plan.observe(window, 0)
    window = plan.next()
    assert window is not None and window.days == 8
    plan.observe(window, 8 * 200 * MB)  # a busy stretch: 200 MB a day
    nxt = plan.next()
    assert nxt is not None and nxt.days == 1


def test_densest_rate_seen_wins():
    plan = planner(30)
    a, b = plan.next(), plan.next()
    assert a is not None and b is not None
    plan.observe(a, 10 * MB)
    plan.observe(b, 60 * MB)
    nxt = plan.next()
    assert nxt is not None and nxt.days == 2  # 128 MB / 60 MB per day


def test_long_busy_ranges_keep_windows_near_the_byte_target():
    """Not days/40 per window whatever their size: the hourly budget is met by waiting."""
    plan = planner(365)
    windows = drain(plan, 500 * MB)
    assert covers_exactly(windows, plan.start, plan.end)
    assert [w.days for w in windows] == [1] * 365


def test_a_window_stopped_for_size_comes_back_as_halves():
    plan = planner(40)
    first = plan.next()
    assert first is not None
    plan.observe(first, 0)
    second = plan.next()
    assert second == Window(START + timedelta(days=1), START + timedelta(days=2))
    plan.split(second, 512 * MB)  # stopped: far more than expected
    halves = [plan.next(), plan.next()]
    assert halves == [
        Window(START + timedelta(days=1), START + timedelta(days=1)),
        Window(START + timedelta(days=2), START + timedelta(days=2)),
    ]


def test_chunks_end_at_their_byte_budget_and_the_next_one_goes_on():
    plan = planner(10, window_days=1)
    plan.chunk(3 * MB)
    first = drain(plan, MB)
    assert [w.start for w in first] == [START + timedelta(days=i) for i in range(3)]
    assert not plan.exhausted
    plan.chunk(None)
    rest = drain(plan, MB)
    assert covers_exactly(first + rest, START, START + timedelta(days=9))
    assert plan.exhausted


def test_several_ranges_are_handed_out_in_order_without_the_gaps():
    todo = [Window(START, START + timedelta(days=1)), Window(date(2024, 1, 10), date(2024, 1, 11))]
    plan = WindowPlanner(todo, window_days=1, target_bytes=MB)
    assert [w.start.day for w in drain(plan, MB)] == [1, 2, 10, 11]


def test_fixed_window_days_is_honoured():
    windows = drain(planner(10, window_days=4), 1)
    assert [w.days for w in windows] == [4, 4, 2]


def test_threads_share_the_days_without_overlap():
    plan = planner(400, target_bytes=3 * MB)
    seen: list[Window] = []
    lock = threading.Lock()

    def work() -> None:
        while (window := plan.next()) is not None:
            plan.observe(window, window.days * MB)
            with lock:
                seen.append(window)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert covers_exactly(sorted(seen), plan.start, plan.end)


@pytest.mark.parametrize("bad", [0, -2])
def test_window_days_below_one_is_refused(bad: int):
    with pytest.raises(InvalidArgumentError, match="window_days must be 1 or more"):
        planner(10, window_days=bad)


def test_progress_bars_count_days():
    from rich.console import Console

    from mixpanel_data.run.progress import WindowProgress
    from mixpanel_data.workspace.fetch import _stderr_bar

    plan = planner(10)
    for bar in (WindowProgress(enabled=False, console=Console()), _stderr_bar()):
        bar.days_planned(plan.start, plan.end)
        bar.window_done(Window(START, START + timedelta(days=2)), 7)
        bar.window_done(Window(START + timedelta(days=3), START + timedelta(days=3)), 1)
        [task] = bar._progress.tasks
        assert (task.completed, task.total) == (4, 10)
