"""What ``mp verify`` prints in each format, and how few Query requests it spends."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from urllib.parse import quote

import pytest

from mixpanel_data.api.factory import make_client
from mixpanel_data.config.limits import ApiLimits
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.live import event_counts
from mixpanel_data.live.event_counts import MAX_EVENT_PARAM_CHARS, event_batches
from mixpanel_data.standin.vocab import EVENT_NAMES

from .conftest import Project, utc

DAY = date(2024, 3, 6)


@pytest.fixture
def broken(verify_env) -> Project:
    """LA local days 03-05..03-07 loaded, then 03-06's Login and Search rows deleted."""
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 4), days=6)
    env.run(from_date="2024-03-05", to_date="2024-03-08")
    env.execute(
        "DELETE FROM mixpanel.events WHERE event_date = ? AND event_name IN ('Login', 'Search')",
        DAY,
    )
    return env


def _expected(env: Project) -> list[dict[str, object]]:
    truth = env.truth(DAY, DAY)
    return [
        {
            "day": "2024-03-06",
            "event": e,
            "local": 0,
            "mixpanel": truth[(DAY, e)],
            "difference": -truth[(DAY, e)],
        }
        for e in ("Login", "Search")
    ]


def test_json_is_the_whole_report(broken):
    done = broken.mp("verify", "-f", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["mismatches"] == _expected(broken)
    assert report["skipped"] == [
        {
            "from": "2024-03-04",
            "to": "2024-03-04",
            "reason": "partly loaded: UTC export day 2024-03-04 not loaded",
        },
        {
            "from": "2024-03-08",
            "to": "2024-03-08",
            "reason": "partly loaded: UTC export day 2024-03-09 not loaded",
        },
    ]
    assert (report["days_compared"], report["events_compared"]) == (3, len(EVENT_NAMES))
    assert report["query_requests"] == 1


def test_csv_and_jsonl_are_one_row_per_mismatch(broken):
    done = broken.mp("verify", "-f", "csv")
    assert done.returncode == 1
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [{k: (v if k in ("day", "event") else int(v)) for k, v in r.items()} for r in rows] == (
        _expected(broken)
    )
    lines = broken.mp("verify", "-f", "jsonl")
    assert lines.returncode == 1
    assert [json.loads(line) for line in lines.stdout.splitlines()] == _expected(broken)


def test_table_shows_both_numbers_and_the_verdict_goes_to_stderr(broken):
    done = broken.mp("verify", "-f", "table")
    assert done.returncode == 1
    expected = _expected(broken)
    mismatches = done.stdout.split("mismatches:")[1].split("skipped:")[0]
    for row in expected:
        line = next(li for li in mismatches.splitlines() if f" {row['event']} " in li)
        assert all(str(row[k]) in line for k in ("day", "local", "mixpanel", "difference"))
    assert "2 counts differ on 1 day" in done.stderr
    assert "skipped 2024-03-04 (partly loaded" in done.stderr
    quiet = broken.mp("verify", "-f", "csv", "-q")
    assert quiet.returncode == 1 and quiet.stderr == ""


def test_all_matching_prints_an_empty_csv_and_exits_0(verify_env):
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 4), days=4)
    env.run(from_date="2024-03-04", to_date="2024-03-07")
    done = env.mp("verify", "-f", "csv", "--events", "Login,Purchase", "--event", "Café ☕ ordered")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "day,event,local,mixpanel,difference"
    assert "Verified 3 events on 3 days" in done.stderr


def test_one_query_request_for_the_whole_range(broken):
    """Every event, every day: one /events request, within the range compared."""
    broken.server.requests.clear()
    result = broken.verify()
    (request,) = broken.event_requests()
    assert result.requests == 1
    assert sorted(json.loads(request.params["event"])) == sorted(EVENT_NAMES)
    assert (request.params["from_date"], request.params["to_date"]) == ("2024-03-05", "2024-03-07")
    assert (request.params["unit"], request.params["type"]) == ("day", "general")
    assert [
        r for r in broken.server.requests.filter(family="query") if r.endpoint != "events"
    ] == []


def test_many_events_take_one_request_per_hundred(verify_env):
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 4), days=2)
    names = [*EVENT_NAMES, *(f"event {i}" for i in range(241))]  # 250 names
    with make_client(env.credentials, env.settings) as client:
        counts = event_counts(client, names, "2024-03-04", "2024-03-05")
    asked = [json.loads(r.params["event"]) for r in env.event_requests()]
    assert [len(a) for a in asked] == [100, 100, 50] and counts.requests == 3
    assert [n for a in asked for n in a] == names
    truth = env.truth(date(2024, 3, 4), date(2024, 3, 5))
    assert {k: v for k, v in counts.table().items() if v} == {
        (d.isoformat(), e): n for (d, e), n in truth.items()
    }


def test_long_names_make_smaller_batches():
    names = [f"{i:03d} " + "é" * 300 for i in range(40)]
    batches = event_batches(names)
    assert [n for b in batches for n in b] == names and len(batches) > 1
    for batch in batches:
        assert len(
            quote(json.dumps(list(batch), ensure_ascii=False, separators=(",", ":")), safe="")
        ) <= (MAX_EVENT_PARAM_CHARS)


def test_more_requests_than_the_hourly_budget_are_refused_before_any(verify_env):
    env = verify_env(now=utc(2024, 3, 20), start=date(2024, 3, 4), days=3)
    env.run(from_date="2024-03-04", to_date="2024-03-06")
    env.settings = env.settings.with_(limits=ApiLimits(query_per_hour=2))
    names = [f"event {i}" for i in range(250)]
    with pytest.raises(InvalidArgumentError, match="3 Query requests, more than the hourly"):
        env.verify(events=names)
    assert env.event_requests() == []
