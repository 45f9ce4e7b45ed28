"""Query endpoints over HTTP: exact shapes (README §6), both prefixes, answers from the data."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest

from mixpanel_data.standin import StandIn, answers, discovery, funnels
from mixpanel_data.standin.tz import local_date

from .standin_helpers import params

RANGE = {"from_date": "2024-03-08", "to_date": "2024-03-11"}


def _get(client: httpx.Client, mp: StandIn, endpoint: str, **extra: object) -> httpx.Response:
    return client.get(f"/api/query/{endpoint}", params=params(mp, **{**RANGE, **extra}))


def _strip(body: object) -> object:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "computed_at"}
    return body


@pytest.mark.parametrize(
    ("endpoint", "extra"),
    [
        ("segmentation", {"event": "Login"}),
        ("segmentation/numeric", {"event": "Purchase", "on": 'properties["amount"]'}),
        ("segmentation/sum", {"event": "Purchase", "on": 'properties["amount"]'}),
        ("segmentation/average", {"event": "Purchase", "on": 'properties["amount"]'}),
        ("funnels", {"funnel_id": 7509}),
        ("funnels/list", {}),
        ("retention", {"born_event": "Sign Up"}),
        ("retention/addiction", {"unit": "day", "addiction_unit": "hour"}),
        ("insights", {"bookmark_id": 44001}),
        ("events", {"event": '["Login"]', "type": "general", "unit": "day"}),
        ("events/top", {"type": "general"}),
        ("events/names", {"type": "general"}),
        ("events/properties", {"event": "Purchase", "name": "currency"}),
        ("events/properties/top", {"event": "Search"}),
        ("events/properties/values", {"event": "Search", "name": "query"}),
        ("cohorts/list", {}),
        ("stream/query", {"distinct_ids": '["u-3"]'}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_both_prefixes_answer_alike(
    client: httpx.Client, mp: StandIn, endpoint: str, extra: dict[str, object]
) -> None:
    query = params(mp, **{**RANGE, **extra})
    a = client.get(f"/api/query/{endpoint}", params=query)
    b = client.post(
        f"/api/2.0/{endpoint}/",
        params={"project_id": mp.project_id},
        data={k: str(v) for k, v in query.items() if k != "project_id"},
    )
    assert a.status_code == 200, a.text
    assert _strip(a.json()) == _strip(b.json())


def test_segmentation_counts_match_local_days(client: httpx.Client, mp: StandIn) -> None:
    body = _get(client, mp, "segmentation", event="Login").json()
    assert body["legend_size"] == 1 and body["data"]["series"] == [
        "2024-03-08",
        "2024-03-09",
        "2024-03-10",
        "2024-03-11",
    ]
    tz = mp.spec.timezone
    expected: Counter[str] = Counter()
    for ev, utc in mp.project.iter_unique(mp.spec.start - timedelta(days=1), mp.spec.end):
        day = local_date(utc, tz)
        if ev["event"] == "Login" and date(2024, 3, 8) <= day <= date(2024, 3, 11):
            expected[day.isoformat()] += 1
    assert body["data"]["values"]["Login"] == dict(expected)


def test_segmentation_on_and_unique(client: httpx.Client, mp: StandIn) -> None:
    body = _get(
        client,
        mp,
        "segmentation",
        event="Purchase",
        type="unique",
        unit="month",
        on='properties["mp_country_code"]',
    ).json()
    assert body == answers.segmentation(
        mp.project,
        "Purchase",
        date(2024, 3, 8),
        date(2024, 3, 11),
        "month",
        "unique",
        'properties["mp_country_code"]',
    )
    assert "US" in body["data"]["values"] and body["legend_size"] == len(body["data"]["values"])


def test_numeric_buckets_and_sum_shapes(client: httpx.Client, mp: StandIn) -> None:
    numeric = _get(
        client, mp, "segmentation/numeric", event="Purchase", on='properties["amount"]'
    ).json()
    assert all(re.fullmatch(r"[\d,.]+ - [\d,.]+", k) for k in numeric["data"]["values"])
    total = _get(client, mp, "segmentation/sum", event="Purchase", on='properties["amount"]').json()
    assert total["status"] == "ok" and "computed_at" in total
    assert set(total["results"]) == set(numeric["data"]["series"])
    avg = _get(
        client, mp, "segmentation/average", event="Purchase", on='properties["amount"]'
    ).json()
    assert all(isinstance(v, float) for v in avg["results"].values())


def test_funnel_shape_and_monotone_counts(client: httpx.Client, mp: StandIn) -> None:
    body = _get(client, mp, "funnels", funnel_id=7510).json()
    assert body["meta"]["dates"] == list(body["data"])
    for block in body["data"].values():
        steps = block["steps"]
        counts = [s["count"] for s in steps]
        assert counts == sorted(counts, reverse=True)
        assert [s["event"] for s in steps] == ["Search", "Add To Cart", "Purchase"]
        assert steps[0]["step_conv_ratio"] == 1 and steps[0]["avg_time"] is None
        assert block["analysis"]["starting_amount"] == counts[0]
        assert block["analysis"]["completion"] == counts[-1]
    assert body == funnels.funnel(mp.project, 7510, date(2024, 3, 8), date(2024, 3, 11))


def test_unknown_funnel_and_bookmark_are_400(client: httpx.Client, mp: StandIn) -> None:
    assert _get(client, mp, "funnels", funnel_id=1).status_code == 400
    assert _get(client, mp, "insights", bookmark_id=1).status_code == 400


def test_retention_is_date_keyed(client: httpx.Client, mp: StandIn) -> None:
    body = _get(client, mp, "retention", born_event="Sign Up", interval_count=2).json()
    assert list(body) == ["2024-03-08", "2024-03-09", "2024-03-10", "2024-03-11"]
    for row in body.values():
        assert set(row) == {"counts", "first"}
        assert not row["counts"] or row["counts"][0] <= row["first"]
    addiction = _get(client, mp, "retention/addiction", unit="day", addiction_unit="hour").json()
    assert set(addiction) == {"data"} and all(len(v) == 24 for v in addiction["data"].values())


def test_insights_keys_carry_the_project_offset(client: httpx.Client, mp: StandIn) -> None:
    body = client.get("/api/query/insights", params=params(mp, bookmark_id=44001)).json()
    assert body["headers"] == ["$event"]
    keys = list(body["series"]["Login"])
    assert keys[0] == "2024-03-08T00:00:00-08:00" and keys[-1] == "2024-03-11T00:00:00-07:00"
    assert body["date_range"]["to_date"].endswith("T23:59:59.999000-07:00")


def test_discovery_shapes(client: httpx.Client, mp: StandIn) -> None:
    names = _get(client, mp, "events/names", type="general").json()
    assert isinstance(names, list) and "Café ☕ ordered" in names
    values = _get(client, mp, "events/properties/values", event="Search", name="query").json()
    assert isinstance(values, list) and all(isinstance(v, str) for v in values)
    assert "line one\rline two" in values
    top = _get(client, mp, "events/properties/top", event="Page View", limit=50).json()
    assert top["$duration_s"] == {} and top["$os"]["count"] > 0
    events_top = _get(client, mp, "events/top", type="unique").json()
    assert events_top["type"] == "unique" and {"amount", "event", "percent_change"} <= set(
        events_top["events"][0]
    )
    sparse = _get(
        client, mp, "events", event='["Sign Up", "Café ☕ ordered"]', type="general", unit="day"
    ).json()
    assert sparse["legend_size"] == 2 and set(sparse["data"]["values"]) == {
        "Sign Up",
        "Café ☕ ordered",
    }


def test_events_interval_ends_today(client: httpx.Client, mp: StandIn) -> None:
    query = params(mp, event='["Login"]', type="general", unit="day", interval=2)
    body = client.get("/api/query/events", params=query).json()
    assert body["data"]["series"] == ["2024-03-10", "2024-03-11"]


def test_cohorts_and_funnels_lists_are_bare_arrays(client: httpx.Client, mp: StandIn) -> None:
    cohorts = client.get("/api/2.0/cohorts/list", params=params(mp)).json()
    assert cohorts == discovery.cohorts_list(mp.project)
    assert set(cohorts[0]) == {
        "count",
        "is_visible",
        "description",
        "created",
        "project_id",
        "id",
        "name",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cohorts[0]["created"])
    listed = client.get("/api/2.0/funnels/list", params=params(mp)).json()
    assert listed[0] == {"funnel_id": 7509, "name": "Signup funnel"}


def test_stream_returns_only_that_user(client: httpx.Client, mp: StandIn) -> None:
    uid = mp.project.profiles()[3]["$distinct_id"]
    body = _get(client, mp, "stream/query", distinct_ids=json.dumps([uid])).json()
    got = body["results"]["events"]
    assert body["status"] == "ok" and got
    assert {e["properties"]["$distinct_id"] for e in got} == {uid}


JQL_COUNT = (
    'function main() { return Events({from_date: params.from, to_date: "2024-03-09"})'
    '.groupBy(["name"], mixpanel.reducer.count()); }'
)


def test_jql_group_by_and_unsupported(client: httpx.Client, mp: StandIn) -> None:
    resp = client.post(
        "/api/query/jql",
        params=params(mp),
        data={"script": JQL_COUNT, "params": '{"from": "2024-03-08"}'},
    )
    counts = {row["key"][0]: row["value"] for row in resp.json()}
    seg = answers.segmentation(mp.project, "Login", date(2024, 3, 8), date(2024, 3, 9))
    assert counts["Login"] == sum(seg["data"]["values"]["Login"].values())
    bad = client.post(
        "/api/2.0/jql", params=params(mp), data={"script": "function main() { return People(); }"}
    )
    assert bad.status_code == 400 and "unsupported JQL" in bad.json()["error"]


@pytest.mark.parametrize(
    ("endpoint", "extra"),
    [
        ("segmentation", {"event": "Login", "to_date": "2024-03-12"}),
        ("segmentation", {"event": "Login", "where": 'properties["x"] ==='}),
        ("segmentation", {"event": "Login", "unit": "fortnight"}),
        ("segmentation", {}),
        ("funnels", {}),
    ],
    ids=["future", "bad-where", "bad-unit", "no-event", "no-funnel-id"],
)
def test_query_400s(
    client: httpx.Client, mp: StandIn, endpoint: str, extra: dict[str, object]
) -> None:
    resp = _get(client, mp, endpoint, **extra)
    assert resp.status_code == 400 and resp.json()["request"].startswith(f"/api/query/{endpoint}")


def test_free_plan_gives_402_on_queries_only() -> None:
    with StandIn(free_plan=True) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        assert c.get("/api/2.0/funnels/list", params=params(mp)).status_code == 402
        day = {"from_date": mp.spec.start.isoformat(), "to_date": mp.spec.start.isoformat()}
        assert c.get("/api/2.0/export", params=params(mp, **day, limit=1)).status_code == 200


def test_segmentation_has_no_week_unit(client: httpx.Client, mp: StandIn) -> None:
    """The spec's /segmentation ``unit`` enum is minute, hour, day, month: a client sending
    week would pass against a server that accepted it (``live.segmentation`` sums days)."""
    resp = _get(client, mp, "segmentation", event="Login", unit="week")
    assert resp.status_code == 400 and "unit must be one of" in resp.json()["error"]
    assert _get(client, mp, "events", event='["Login"]', type="general", unit="week").is_success


def test_segmentation_interval_buckets_days(client: httpx.Client, mp: StandIn) -> None:
    """``interval``: days per bucket, in lieu of unit when type is not general; without dates,
    the last ``interval`` days. Two-day unique users are not the sum of daily ones."""
    daily = _get(client, mp, "segmentation", event="Login", type="unique").json()
    assert daily["data"]["values"]["Login"] == {
        "2024-03-08": 35,
        "2024-03-09": 33,
        "2024-03-10": 35,
        "2024-03-11": 23,
    }
    body = _get(client, mp, "segmentation", event="Login", type="unique", interval=2).json()
    assert body["data"] == {
        "series": ["2024-03-08", "2024-03-10"],
        "values": {"Login": {"2024-03-08": 55, "2024-03-10": 47}},
    }
    recent = client.get(
        "/api/query/segmentation",
        params=params(mp, event="Login", type="unique", interval=2),
    ).json()
    assert recent["data"]["values"] == {"Login": {"2024-03-10": 47}}
    general = _get(client, mp, "segmentation", event="Login", interval=2)
    assert general.status_code == 400 and "not general" in general.json()["error"]


def test_addiction_on_and_limit(client: httpx.Client, mp: StandIn) -> None:
    """``on`` splits each period by the value (top ``limit`` by events); each value's row is
    what a ``where`` on that value gives."""
    query = {"unit": "week", "addiction_unit": "day", "event": "Login"}
    body = _get(client, mp, "retention/addiction", **query, on='properties["$os"]', limit=2)
    assert body.json() == {
        "data": {
            "2024-03-04": {"Linux": [27, 4, 0, 0, 0, 0, 0], "Windows": [20, 3, 0, 0, 0, 0, 0]},
            "2024-03-11": {"Linux": [4, 0, 0, 0, 0, 0, 0], "Windows": [1, 0, 0, 0, 0, 0, 0]},
        }
    }
    linux = _get(client, mp, "retention/addiction", **query, where='properties["$os"] == "Linux"')
    assert linux.json()["data"]["2024-03-04"] == [27, 4, 0, 0, 0, 0, 0]
    everyone = _get(client, mp, "retention/addiction", **query).json()["data"]
    assert everyone["2024-03-04"] == [71, 24, 8, 0, 0, 0, 0]
    bad = _get(client, mp, "retention/addiction", **query, on='properties["$os"]', limit=0)
    assert bad.status_code == 400


def test_funnel_on_serves_segments_and_refuses_a_bad_limit(
    client: httpx.Client, mp: StandIn
) -> None:
    body = _get(client, mp, "funnels", funnel_id=7510, on='properties["$os"]', limit=3).json()
    for entry in body["data"].values():
        assert len(entry) == 4 and "$overall" in entry
        assert all(isinstance(steps, list) and len(steps) == 3 for steps in entry.values())
    nested = _get(client, mp, "funnels", funnel_id=7511, on='properties["$os"]').json()
    assert any(
        isinstance(v, dict) and "$overall" in v for v in nested["data"]["2024-03-08"].values()
    )
    assert _get(client, mp, "funnels", funnel_id=7510, on="x", limit=10_001).status_code == 400
