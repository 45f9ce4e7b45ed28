"""Only whole, finished project-local days are compared; the rest are skipped with a reason.

A local day west or east of UTC spans two UTC export days: when only one was loaded, its local
count is partial and certainly differs from Mixpanel's. Those days must be skipped, never
reported (each test checks the skipped day really is partial, so comparing it would fail).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mixpanel_data.sources.mixpanel.windows import Window
from mixpanel_data.verify.days import ExportLayout, Skipped, plan_days

from .conftest import utc


def _partial(env, day: date) -> bool:
    local = sum(n for (d, _), n in env.local_counts().items() if d == day)
    return 0 < local < sum(env.truth(day, day).values())


@pytest.mark.parametrize(
    ("zone", "compared", "edges"),
    [
        (
            "America/Los_Angeles",
            (date(2024, 3, 5), date(2024, 3, 7)),
            [("2024-03-04", "2024-03-04"), ("2024-03-08", "2024-03-09")],
        ),
        (
            "Asia/Tokyo",
            (date(2024, 3, 6), date(2024, 3, 8)),
            [("2024-03-05", "2024-03-04"), ("2024-03-09", "2024-03-09")],
        ),
    ],
    ids=["west", "east"],
)
def test_partly_loaded_edge_days_are_skipped(verify_env, zone, compared, edges):
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 3), days=8, timezone=zone)
    env.run(from_date="2024-03-05", to_date="2024-03-08")
    result = env.verify()
    assert result.ok, result.mismatches
    assert (result.days[0], result.days[-1]) == compared
    assert [(str(s.first), s.reason) for s in result.skipped] == [
        (day, f"partly loaded: UTC export day {missing} not loaded") for day, missing in edges
    ]
    assert all(_partial(env, date.fromisoformat(day)) for day, _ in edges)


def test_a_gap_between_loads_and_an_explicit_range(verify_env):
    """Two backfills with a gap: the gap's days are skipped (partly or not loaded); --from/--to
    beyond what was loaded lists those days as not loaded."""
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 1), days=10)
    env.run(from_date="2024-03-02", to_date="2024-03-03")
    env.run(from_date="2024-03-07", to_date="2024-03-08")
    result = env.verify()
    assert result.ok
    assert result.days == (date(2024, 3, 2), date(2024, 3, 7))
    reasons = [(str(s.first), str(s.last), s.reason.split(":")[0]) for s in result.skipped]
    assert reasons == [
        ("2024-03-01", "2024-03-01", "partly loaded"),
        ("2024-03-03", "2024-03-03", "partly loaded"),
        ("2024-03-04", "2024-03-05", "not loaded"),
        ("2024-03-06", "2024-03-06", "partly loaded"),
        ("2024-03-08", "2024-03-08", "partly loaded"),
    ]
    assert _partial(env, date(2024, 3, 3)) and _partial(env, date(2024, 3, 6))

    ranged = env.verify(from_date="2024-03-06", to_date="2024-03-12")
    assert ranged.ok and ranged.days == (date(2024, 3, 7),)
    assert [str(s) for s in ranged.skipped][-1] == "2024-03-09..2024-03-12 (not loaded)"


def test_today_is_not_over_and_is_skipped(verify_env):
    """Los Angeles at 12:00 on 03-09 (20:00 UTC): 03-09 is loaded as far as it goes, yet still
    growing: skipped as not over yet, even though it matches right now. Once over, it needs
    export day 03-10 too; the next run loads it and the day is compared."""
    env = verify_env(now=utc(2024, 3, 9, 20), start=date(2024, 3, 4), days=8)
    env.run(from_date="2024-03-05", to_date="2024-03-09")
    result = env.verify()
    assert result.ok and result.days[-1] == date(2024, 3, 8)
    assert Skipped(date(2024, 3, 9), date(2024, 3, 9), "not over yet") in result.skipped
    env.clock.advance(timedelta(hours=14))  # 03:00 on 03-10 in LA: 03-09 is over
    over = env.verify()
    assert (
        Skipped(
            date(2024, 3, 9),
            date(2024, 3, 9),
            "partly loaded: UTC export day 2024-03-10 not loaded",
        )
        in over.skipped
    )
    env.run()
    after = env.verify()
    assert after.ok and after.days[-1] == date(2024, 3, 9)


def _days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


@pytest.mark.parametrize(
    ("zone", "legacy", "compared"),
    [
        ("America/Los_Angeles", False, _days(date(2024, 3, 1), date(2024, 3, 9))),
        ("Asia/Tokyo", False, _days(date(2024, 3, 2), date(2024, 3, 10))),
        ("UTC", False, _days(date(2024, 3, 1), date(2024, 3, 10))),
        ("America/Los_Angeles", True, _days(date(2024, 3, 1), date(2024, 3, 10))),
        ("Pacific/Kiritimati", False, _days(date(2024, 3, 2), date(2024, 3, 10))),
    ],
    ids=["west", "east", "utc", "legacy", "utc+14"],
)
def test_plan_days_per_zone(zone, legacy, compared):
    """The pure rule: a local day is compared when every export day it overlaps is loaded."""
    plan = plan_days(
        ExportLayout(zone, legacy),
        [Window(date(2024, 3, 1), date(2024, 3, 10))],
        None,
        None,
        today=date(2024, 4, 1),
    )
    assert plan.days == compared
    assert all(s.reason.startswith("partly loaded") for s in plan.skipped)
