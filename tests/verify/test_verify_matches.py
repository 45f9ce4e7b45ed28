"""After every documented way of loading, ``mp verify`` finds the local copy equal to Mixpanel.

West and east of UTC (a project-local day spans two UTC export days), legacy projects (export
days are local days) on both DST changes. Each check also compares against the stand-in's own
ground truth, so a verify that compared nothing, or compared the wrong days, fails here.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from mixpanel_data import Workspace

from .conftest import Project, utc

CASES = [
    # zone, legacy, first generated day, backfill (export days), days compared (local)
    (
        "America/Los_Angeles",
        False,
        date(2024, 3, 4),
        ("2024-03-05", "2024-03-10"),
        (date(2024, 3, 5), date(2024, 3, 9)),
    ),
    (
        "Asia/Tokyo",
        False,
        date(2024, 3, 4),
        ("2024-03-05", "2024-03-10"),
        (date(2024, 3, 6), date(2024, 3, 10)),
    ),
    (
        "America/Los_Angeles",
        True,
        date(2024, 3, 7),
        ("2024-03-08", "2024-03-11"),
        (date(2024, 3, 8), date(2024, 3, 11)),
    ),
    (
        "America/Los_Angeles",
        True,
        date(2024, 10, 31),
        ("2024-11-01", "2024-11-04"),
        (date(2024, 11, 1), date(2024, 11, 4)),
    ),
]
IDS = ["west", "east", "legacy-spring-forward", "legacy-fall-back"]


def _legacy_setting(legacy: bool) -> dict[str, str]:
    """Legacy projects say so (the documented setting): ``auto`` decides from the first batch
    judged, and on these small days (~150 events) it sometimes cannot, failing the load."""
    return {"legacy_timezone": "true"} if legacy else {}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _assert_exact(env: Project, report: dict, first: date, last: date) -> None:
    """The report says all match, over exactly these days, and its numbers are the truth."""
    assert report["ok"] is True and report["mismatches"] == []
    assert (report["from"], report["to"]) == (first.isoformat(), last.isoformat())
    assert report["days_compared"] == len(_days(first, last))
    truth = env.truth(first, last)
    assert report["mixpanel_total"] == report["local_total"] == sum(truth.values()) > 0
    local = env.local_counts()
    assert {k: local.get(k, 0) for k in truth} == dict(truth)


@pytest.mark.parametrize(("zone", "legacy", "start", "backfill", "compared"), CASES, ids=IDS)
def test_a_backfill_matches(verify_env, zone, legacy, start, backfill, compared):
    """`mp run events --from --to`, then `mp verify`: exit 0, nothing differs."""
    env = verify_env(
        now=utc(2024, 11, 20), start=start, days=6, timezone=zone, legacy_timezone=legacy
    )
    env.run(from_date=backfill[0], to_date=backfill[1], options=_legacy_setting(legacy))
    done = env.mp("verify", "-f", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["export_days"] == ("project-local" if legacy else "UTC")
    assert report["timezone"] == zone
    _assert_exact(env, report, *compared)
    assert "all" in done.stderr and "match Mixpanel" in done.stderr


def test_every_workflow_matches(verify_env):
    """First backfill, an incremental run days later (late rows and new days), an older
    backfill beside the cursor, a full refresh, and the Workspace: each verifies clean."""
    env = verify_env(now=utc(2024, 3, 9, 12), start=date(2024, 3, 1), days=12, lag="batch")
    env.run(from_date="2024-03-05", to_date="2024-03-07")
    first = env.verify()
    assert first.ok and first.days == tuple(_days(date(2024, 3, 5), date(2024, 3, 6)))

    env.clock.advance(timedelta(days=3))  # batch lag: many rows of old days processed since
    env.run()  # incremental: cursor - lookback_days .. the last exportable day
    later = env.verify()
    assert later.ok and later.days[-1] == date(2024, 3, 11)
    assert later.local_total == sum(env.truth(later.days[0], later.days[-1]).values())

    env.run(from_date="2024-03-01", to_date="2024-03-02")  # backfill: leaves the cursor alone
    older = env.verify()
    assert older.ok and older.days[0] == date(2024, 3, 1)

    env.run(full_refresh=True)
    assert env.verify().ok

    with Workspace(
        path=env.settings.data_dir, credentials=env.credentials, settings=env.settings
    ) as ws:
        through_workspace = ws.verify(from_date="2024-03-02", to_date="2024-03-10")
    assert through_workspace.ok
    assert through_workspace.days == tuple(_days(date(2024, 3, 2), date(2024, 3, 10)))


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "Asia/Tokyo", "legacy_timezone": True},
        {"timezone": "Europe/Paris", "start": date(2024, 3, 28)},  # DST on 03-31
        {"timezone": "Australia/Lord_Howe", "start": date(2024, 4, 4)},  # a 30-minute DST
        {"timezone": "Australia/Lord_Howe", "start": date(2024, 4, 4), "legacy_timezone": True},
        {"timezone": "America/Havana", "start": date(2024, 3, 8), "legacy_timezone": True},
        {"timezone": "Pacific/Kiritimati"},  # UTC+14
        {"timezone": "Etc/GMT+12"},  # UTC-12
        {
            "very_late_rate": 0.05,
            "active_day_rate": 0.5,
            "missing_insert_id_rate": 0.2,
            "duplicate_rate": 0.2,
        },
    ],
    ids=[
        "tokyo-legacy",
        "paris-dst",
        "lord-howe",
        "lord-howe-legacy",
        "havana-midnight-dst",
        "utc+14",
        "utc-12",
        "messy-rows",
    ],
)
def test_odd_zones_and_messy_rows_match(verify_env, changes):
    """The stand-in's /events agrees with its export wherever a day starts, and with duplicates,
    rows without $insert_id, very late rows and empty days; local days match the truth."""
    changes = {"start": date(2024, 3, 4), **changes}
    start = changes["start"]
    env = verify_env(now=utc(2024, 4, 30), days=8, **changes)
    env.run(
        from_date=start.isoformat(),
        to_date=(start + timedelta(days=7)).isoformat(),
        options=_legacy_setting(changes.get("legacy_timezone", False)),
    )
    result = env.verify()
    assert result.ok, result.mismatches
    assert len(result.days) >= 7
    truth = env.truth(result.days[0], result.days[-1])
    assert result.local_total == sum(truth.values()) > 0
