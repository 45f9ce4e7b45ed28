"""Reports against the stand-in: every number equals the stand-in's pure answer functions.

``mixpanel_data.standin.answers`` computes what the server sends from its generated data, so
each test parses a live answer and checks it value by value against that ground truth (and,
for aggregates, against sums computed here).
"""

from __future__ import annotations

from datetime import date

import pytest

from mixpanel_data import live
from mixpanel_data.standin import answers

FIRST, LAST = date(2024, 3, 1), date(2024, 3, 6)


@pytest.mark.parametrize(
    ("event", "options", "kind"),
    [
        ("Login", {}, "general"),
        ("Page View", {"on": 'properties["$os"]', "unit": "week"}, "general"),
        ("Purchase", {"where": 'properties["currency"] == "EUR"'}, "general"),
        ("Search", {"type": "unique"}, "unique"),
        ("Café ☕ ordered", {"unit": "month", "on": 'properties["drink"]'}, "general"),
    ],
    ids=["plain", "on-weekly", "where", "unique", "unicode-monthly"],
)
def test_segmentation_matches_ground_truth(client, mp, event, options, kind):
    result = live.segmentation(client, event, FIRST, LAST, **options)
    truth = answers.segmentation(
        mp.project,
        event,
        FIRST,
        LAST,
        options.get("unit", "day"),
        kind,
        options.get("on"),
        options.get("where"),
    )
    assert result.dates == tuple(sorted(truth["data"]["series"]))
    assert result.segments == tuple(truth["data"]["values"])
    for segment, per_date in truth["data"]["values"].items():
        assert result.series(segment) == per_date
    assert result.total == sum(sum(v.values()) for v in truth["data"]["values"].values())
    assert result.total > 0
    assert (result.event, result.from_date, result.type) == (event, FIRST, kind)
    assert len(result.df) == len(result.records()) == len(result.points)


def test_numeric_sum_and_average_match_ground_truth(client, mp):
    on = 'properties["amount"]'
    numeric = live.segmentation_numeric(client, "Purchase", FIRST, LAST, on)
    truth = answers.segmentation_numeric(mp.project, "Purchase", FIRST, LAST, on)
    assert numeric.totals() == {k: sum(v.values()) for k, v in truth["data"]["values"].items()}
    total = live.segmentation_sum(client, "Purchase", FIRST, LAST, on)
    expected = answers.segmentation_sum(mp.project, "Purchase", FIRST, LAST, on)["results"]
    assert dict(total.values) == expected
    mean = live.segmentation_average(client, "Purchase", FIRST, LAST, on)
    expected = answers.segmentation_sum(mp.project, "Purchase", FIRST, LAST, on, average=True)
    assert dict(mean.values) == expected["results"]
    assert mean.aggregate == "average" and total.aggregate == "sum"


@pytest.mark.parametrize(
    ("funnel_id", "unit"),
    [(7509, None), (7510, "week"), (7511, None)],
    ids=["signup-daily", "search-weekly", "unicode-steps"],
)
def test_funnel_matches_ground_truth(client, mp, funnel_id, unit):
    result = live.funnel(client, funnel_id, FIRST, LAST, unit=unit)
    truth = answers.funnel(mp.project, funnel_id, FIRST, LAST, unit=unit or "day")
    assert result.dates == tuple(truth["meta"]["dates"])
    for period in result.periods:
        expected = truth["data"][period.date]["steps"]
        assert [s.count for s in period.steps] == [s["count"] for s in expected]
        assert [s.step_conversion for s in period.steps] == [s["step_conv_ratio"] for s in expected]
        assert [s.event for s in period.steps] == [s["event"] for s in expected]
    sums = [
        sum(truth["data"][d]["steps"][i]["count"] for d in truth["data"])
        for i in range(len(mp.project.funnel(funnel_id).steps))
    ]
    assert [s.count for s in result.steps] == sums
    assert sums[0] > 0
    assert result.conversion_rate == sums[-1] / sums[0]
    assert result.steps[1].step_conversion == sums[1] / sums[0]
    assert result.steps[-1].overall_conversion == sums[-1] / sums[0]
    assert len(result.df) == len(result.periods) * len(sums)


def test_funnel_name_comes_from_the_cached_list(client, mp):
    cache = live.DiscoveryCache()
    first = live.funnel(client, 7511, FIRST, LAST, cache=cache)
    second = live.funnel(client, 7509, FIRST, LAST, cache=cache)
    assert (first.funnel_name, second.funnel_name) == ("Café ☕ funnel", "Signup funnel")
    assert len(mp.requests.filter(endpoint="funnels/list")) == 1
    assert live.funnels_list(client).records() == answers.funnels_list()


def test_retention_matches_ground_truth(client, mp):
    result = live.retention(client, "Sign Up", "Login", FIRST, LAST, interval_count=3)
    truth = answers.retention(mp.project, FIRST, LAST, "Sign Up", "Login", "day", 3)
    assert [c.date for c in result.cohorts] == sorted(truth)
    for cohort in result.cohorts:
        assert cohort.size == truth[cohort.date]["first"]
        assert list(cohort.counts) == truth[cohort.date]["counts"]
        assert cohort.rates == tuple(n / cohort.size if cohort.size else 0.0 for n in cohort.counts)
    assert result.total_users == sum(v["first"] for v in truth.values()) > 0
    weekly = live.retention(
        client, None, None, FIRST, LAST, unit="week", retention_type="compounded"
    )
    truth = answers.retention(mp.project, FIRST, LAST, None, None, "week", 1, "compounded")
    assert {c.date: list(c.counts) for c in weekly.cohorts} == {
        d: v["counts"] for d, v in truth.items()
    }


def test_addiction_matches_ground_truth(client, mp):
    result = live.addiction(client, FIRST, LAST, addiction_unit="hour", event="Login")
    truth = answers.addiction(mp.project, FIRST, LAST, "day", "hour", "Login")["data"]
    assert {p.date: list(p.counts) for p in result.periods} == truth
    assert result.records()[0]["users"] == truth["2024-03-01"][0] > 0


@pytest.mark.parametrize("bookmark_id", [44001, 44002, 44003], ids=["day", "week", "country"])
def test_insights_matches_ground_truth(client, mp, bookmark_id):
    result = live.insights(client, bookmark_id)
    truth = answers.insights(mp.project, bookmark_id)
    assert result.headers == tuple(truth["headers"])
    flat: dict[tuple[str, ...], int] = {}

    def walk(node: dict, keys: tuple[str, ...]) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, (*keys, key))
            else:
                flat[(*keys, key)] = value

    walk(truth["series"], ())
    assert {(*p.keys, p.timestamp): p.value for p in result.points} == flat
    assert all(len(p.keys) == len(result.headers) for p in result.points)
    assert result.table_columns() == (*truth["headers"], "date", "value")
