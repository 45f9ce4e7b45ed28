"""Hourly budgets: a load that outruns Mixpanel's budget waits for it, says so, and finishes;
with ``max_wait`` it commits what it fetched, stops (exit 5) and the next run resumes.

Every Engage page is one of the project's Query requests (60/hour, 5 concurrent), and an engage
``session_id`` does not outlive a long wait (here: 10 minutes). Export has its own 60/hour.
The stand-in enforces the same budgets on the same clock, so a wrong count would be a 429.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mixpanel_data.config.limits import ApiLimits
from mixpanel_data.run.runner import BudgetStopped
from mixpanel_data.standin import RateLimits

from ..harsh import utc

PROFILES = 400
PAGE = 10  # 40 engage pages: several hours of a 6-per-hour budget


def _profiles_env(harsh):
    return harsh(
        now=utc(2024, 3, 12, 12),
        start=date(2024, 3, 1),
        days=2,
        profiles=PROFILES,
        limits=ApiLimits(query_per_hour=6),
        server_limits=RateLimits(query_per_hour=6),
        standin={"engage_session_ttl": 600},
    )


def _stored_profiles(env) -> int:
    return env.rows("SELECT count(DISTINCT distinct_id) FROM mixpanel.profiles")[0][0]


def test_profiles_beyond_the_hourly_budget_wait_for_it_and_finish(harsh):
    env = _profiles_env(harsh)
    started = env.clock.now()
    summary = env.run("profiles", options={"profile_page_size": PAGE})
    assert _stored_profiles(env) == PROFILES
    assert summary.profiles_fetched >= PROFILES
    assert env.clock.now() - started >= timedelta(hours=5)  # it waited, it did not fail
    assert [r for r in env.queries("engage") if r.status != 200] == []
    labels = {label for label, _ in env.observer.waits}
    assert labels == {"hourly query budget"}


def test_a_budget_stop_commits_and_the_next_run_resumes_with_fewer_requests(harsh):
    full = _profiles_env(harsh)
    full.run("profiles", options={"profile_page_size": PAGE})
    full_requests = len(full.queries("engage"))

    env = _profiles_env(harsh)
    runs, stops = 0, 0
    while True:
        runs += 1
        before = len(env.queries("engage"))
        try:
            env.run("profiles", options={"profile_page_size": PAGE}, max_wait=0)
            break
        except BudgetStopped as stop:
            stops += 1
            assert stop.exit_code == 5
            assert "run again after" in stop.message and "continues from there" in stop.message
            assert stop.retry_after is not None and 0 < stop.retry_after <= 3600
            made = len(env.queries("engage")) - before
            assert 0 < made <= 6  # never more than the budget in one go
            env.clock.advance(timedelta(seconds=stop.retry_after))
        assert runs < 30
    assert stops >= 3
    assert _stored_profiles(env) == PROFILES
    assert len(env.queries("engage")) < full_requests * 1.5  # resumed, not restarted


def _export_env(harsh):
    """20 small days and an export budget of 4 requests an hour on both sides."""
    return harsh(
        now=utc(2024, 3, 30, 12),
        start=date(2024, 3, 1),
        days=20,
        limits=ApiLimits(export_per_hour=4),
        server_limits=RateLimits(export_per_hour=4),
    )


def test_export_beyond_the_hourly_budget_waits_and_loads_every_day(harsh):
    env = _export_env(harsh)
    started = env.clock.now()
    env.run(from_date="2024-03-01", to_date="2024-03-20", options={"window_days": 1})
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 20))
    assert [r for r in env.exports() if r[2] != 200] == []
    assert env.clock.now() - started >= timedelta(hours=4)
    assert {label for label, _ in env.observer.waits} == {"hourly export budget"}


def test_an_export_budget_stop_resumes_the_backfill_without_refetching(harsh):
    env = _export_env(harsh)
    for _ in range(10):
        try:
            env.run(
                from_date="2024-03-01",
                to_date="2024-03-20",
                options={"window_days": 1},
                max_wait=0,
            )
            break
        except BudgetStopped as stop:
            assert "export days" in stop.message
            env.clock.advance(timedelta(seconds=stop.retry_after or 3600))
    else:
        pytest.fail("the backfill never finished")
    asked = [first for first, _, status in env.exports() if status == 200]
    assert sorted(asked) == [str(date(2024, 3, 1) + timedelta(days=i)) for i in range(20)]
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 20))
