"""Incremental loads never skip a day: after a backfill, after a pause of 40 or 400 days, with
``--to`` alone. Late data keeps arriving the whole time (the stand-in's ``mixed`` lag: most
rows 3-14 hours late, some days late), so every count is checked against what Mixpanel holds
at the end, per export day."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from mixpanel_data.exceptions import InvalidArgumentError

from ..harsh import utc


def test_backfill_then_incremental_skips_no_day(harsh):
    """A January backfill, then ``mp run events`` two months later: February is not skipped.

    (dlt's ``initial_value = today - 30`` used to clamp the incremental start, so everything
    between the backfill and 30 days ago was silently never loaded.)"""
    env = harsh(now=utc(2024, 2, 2, 2), start=date(2024, 1, 1), days=120)
    env.run(from_date="2024-01-01", to_date="2024-01-31")
    env.clock.advance(timedelta(days=60))  # now 2024-04-02 02:00 UTC; 04-01 18:00 in LA
    summary = env.run()
    assert summary.date_range == ("2024-01-26", "2024-04-01")  # cursor - lookback .. today
    assert env.export_counts() == env.export_truth(last=date(2024, 4, 1))


@pytest.mark.parametrize("idle", [40, 400], ids=["40-days", "400-days"])
def test_an_idle_cursor_resumes_where_it_stopped(harsh, idle):
    """A schedule that pauses resumes at ``cursor - lookback_days``, however long the pause;
    ``start_date`` only seeded the very first run. Mostly empty days cost few requests."""
    env = harsh(
        now=utc(2024, 1, 10, 12),
        start=date(2023, 12, 1),
        days=460,
        events_per_day=40,
        active_day_rate=0.3,
    )
    first = env.run(options={"start_date": "2024-01-01"})
    assert first.date_range == ("2024-01-01", "2024-01-10")
    env.clock.advance(timedelta(days=idle))
    today = env.clock.now().astimezone(ZoneInfo("America/Los_Angeles")).date()
    before = len(env.exports())
    second = env.run(options={"start_date": "2024-01-01"})
    assert second.date_range == ("2024-01-05", str(today))
    assert env.export_counts() == env.export_truth(date(2024, 1, 1), today)
    assert len(env.exports()) - before <= 30 + idle // 20


def test_to_alone_runs_from_the_cursor_up_to_that_day(harsh):
    """``mp run events --to D`` continues from the cursor up to D (it used to request nothing
    and report success); the next run without dates goes on from D."""
    env = harsh(now=utc(2024, 3, 20, 18), start=date(2024, 3, 1), days=30)
    env.run(from_date="2024-03-01", to_date="2024-03-05")
    summary = env.run(to_date="2024-03-12")
    assert summary.date_range == ("2024-02-29", "2024-03-12")  # cursor 03-05 minus 5 days
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 12))
    env.run()
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 20))


def test_to_before_the_incremental_start_is_refused_before_any_request(harsh):
    env = harsh(now=utc(2024, 3, 20, 18), start=date(2024, 3, 1), days=30)
    env.run(from_date="2024-03-01", to_date="2024-03-15")
    requests = len(env.exports())
    with pytest.raises(InvalidArgumentError, match="--to 2024-03-02 is before 2024-03-10"):
        env.run(to_date="2024-03-02")
    assert len(env.exports()) == requests


def test_a_backfill_of_old_days_leaves_the_cursor_and_fills_the_gap(harsh):
    """A first incremental run, a backfill of older days, then incremental again: the backfill
    neither moves the cursor back nor forward, and the older days are all there."""
    env = harsh(now=utc(2024, 3, 20, 18), start=date(2024, 2, 1), days=60)
    env.run(options={"start_date": "2024-03-10"})
    env.run(from_date="2024-02-01", to_date="2024-02-20")
    env.clock.advance(timedelta(days=3))
    summary = env.run(options={"start_date": "2024-03-10"})
    assert summary.date_range == ("2024-03-15", "2024-03-23")
    expected = {
        **env.export_truth(date(2024, 2, 1), date(2024, 2, 20)),
        **env.export_truth(date(2024, 3, 10), date(2024, 3, 23)),
    }
    assert env.export_counts() == expected
