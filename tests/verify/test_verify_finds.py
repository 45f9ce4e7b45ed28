"""``mp verify`` finds what is missing or late: exactly those days and events, both numbers."""

from __future__ import annotations

import json
from datetime import date, timedelta

from .conftest import Project, utc

DAY = date(2024, 3, 6)


def _loaded(verify_env, **changes) -> Project:
    """Los Angeles, UTC export days 03-05..03-08 loaded: local days 03-05..03-07 compared."""
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 4), days=6, **changes)
    env.run(from_date="2024-03-05", to_date="2024-03-08")
    return env


def test_a_deleted_day_is_reported_exactly_and_a_reload_repairs_it(verify_env):
    env = _loaded(verify_env)
    truth = env.truth(DAY, DAY)
    env.execute("DELETE FROM mixpanel.events WHERE event_date = ?", DAY)

    done = env.mp("verify", "-f", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False
    expected = sorted(
        (
            {"day": DAY.isoformat(), "event": e, "local": 0, "mixpanel": n, "difference": -n}
            for (_, e), n in truth.items()
        ),
        key=lambda r: r["event"],
    )
    assert sorted(report["mismatches"], key=lambda r: r["event"]) == expected
    assert report["mixpanel_total"] - report["local_total"] == sum(truth.values())
    # a Los Angeles day lives in two UTC export days: reload both
    assert report["reload_command"] == "mp run events --from 2024-03-06 --to 2024-03-07"
    assert report["reload_command"] in done.stderr
    assert "Traceback" not in done.stderr

    env.run(from_date="2024-03-06", to_date="2024-03-07")
    again = env.mp("verify", "-f", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["mismatches"] == []


def test_one_event_on_one_day_is_the_one_row_reported(verify_env):
    env = _loaded(verify_env)
    n = env.truth(DAY, DAY)[(DAY, "Login")]
    env.execute(
        "DELETE FROM mixpanel.events WHERE event_date = ? AND event_name = 'Login' AND event_key "
        "IN (SELECT event_key FROM mixpanel.events WHERE event_date = ? AND event_name = 'Login' "
        "ORDER BY event_key LIMIT 3)",
        DAY,
        DAY,
    )
    done = env.mp("verify", "-f", "csv")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "day,event,local,mixpanel,difference",
        f"2024-03-06,Login,{n - 3},{n},-3",
    ]


def test_extra_local_rows_are_reported_too(verify_env):
    """A copy with more rows than Mixpanel (a row that is not Mixpanel's) is not a match."""
    env = _loaded(verify_env)
    env.execute(
        "INSERT INTO mixpanel.events SELECT * REPLACE (event_key || '-copy' AS event_key) "
        "FROM mixpanel.events WHERE event_date = ? AND event_name = 'Purchase' LIMIT 1",
        DAY,
    )
    result = env.verify()
    assert [(m.day, m.event, m.difference) for m in result.mismatches] == [(DAY, "Purchase", 1)]


def test_late_data_after_the_load_is_a_mismatch_until_the_next_run(verify_env):
    """Rows Mixpanel receives after the load show on the local days of their export day; the
    next `mp run events` (lookback) picks them up and verify is clean again."""
    env = _loaded(verify_env)
    late = env.server.add_late_events(DAY, 7)
    late_days = {date(2024, 3, 5), DAY}  # UTC 03-06 = LA 03-05 16:00 .. 03-06 16:00

    result = env.verify()
    assert not result.ok and result.exit_code == 1
    assert {m.day for m in result.mismatches} <= late_days
    assert all(m.mixpanel > m.local for m in result.mismatches)
    assert sum(-m.difference for m in result.mismatches) == len(late) == 7

    done = env.mp("verify", "-f", "json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["mismatches"] == [m.to_dict() for m in result.mismatches]

    env.run()  # incremental from the cursor minus lookback_days
    assert env.verify().ok
    assert env.mp("verify", "-q").returncode == 0


def test_rows_processed_late_show_when_the_clock_moves_on(verify_env):
    """Batch-imported rows (processed hours to days late) that Mixpanel had not processed at the
    load appear later: the recent days differ, older ones still match."""
    env = verify_env(now=utc(2024, 3, 9, 9), start=date(2024, 3, 4), days=6, lag="batch")
    env.run(from_date="2024-03-04", to_date="2024-03-09")
    assert env.verify().ok
    env.clock.advance(timedelta(days=3))
    result = env.verify()
    assert not result.ok
    assert date(2024, 3, 8) in {m.day for m in result.mismatches}  # the newest: most behind
    assert all(m.mixpanel > m.local for m in result.mismatches)
    truth = env.truth(result.days[0], result.days[-1])
    assert result.mixpanel_total == sum(truth.values()) > result.local_total
    env.run()
    assert env.verify().ok
