"""Reports against the stand-in: every number equals the stand-in's pure answer functions.

``mixpanel_data.standin.answers`` computes what the server sends from its generated data, so
each test parses a live answer and checks it value by value against that ground truth (and,
for aggregates, against sums computed here).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mixpanel_data import live
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.standin import answers
from mixpanel_data.standin.querydata import rows

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


def test_insights_overall_beside_a_breakdown_is_not_counted_twice(client, mp):
    """Bookmark 44004: a bar chart (``{"all": n}``) of Purchases by country with ``$overall``
    beside the countries. The old parser added ``$overall`` to the countries (254, not 127) and
    the dlt source crashed on ``date.fromisoformat("all")``."""
    result = live.insights(client, 44004)
    truth = answers.insights(mp.project, 44004)["series"]["Purchase"]
    purchases = sum(1 for r in rows(mp.project, FIRST, LAST) if r.name == "Purchase")
    assert result.total == purchases == 127
    assert truth["$overall"] == {"all": 127}
    countries = [p for p in result.points if not p.is_overall]
    assert sum(p.value for p in countries) == 127 and len(countries) == 10
    assert result.records()[0] == {
        "$event": "Purchase",
        "mp_country_code": "$overall",
        "date": None,
        "value": 127,
    }
    assert {p.timestamp for p in result.points} == {"all"}
    us = next(r for r in result.records() if r["mp_country_code"] == "US")
    assert us == {"$event": "Purchase", "mp_country_code": "US", "date": None, "value": 30}


def test_insights_overall_at_each_of_two_breakdown_levels(client, mp):
    """Bookmark 44005: Logins by OS then country, daily, ``$overall`` at both levels (a leaf
    beside the values, as Mixpanel sends it). The total is the top ``$overall`` (325 logins),
    not the 3x of adding every level."""
    result = live.insights(client, 44005)
    logins = [r for r in rows(mp.project, FIRST, LAST) if r.name == "Login"]
    assert result.total == len(logins) == 325
    assert result.key_columns == ("$event", "$os", "mp_country_code")
    top = [p for p in result.points if p.keys == ("Login", "$overall")]
    assert [p.value for p in top] == [60, 61, 63, 53, 55, 33]
    assert [p.date for p in top] == [f"2024-03-0{d}" for d in range(1, 7)]
    leaves = [p for p in result.points if not p.is_overall]
    assert sum(p.value for p in leaves) == 325 and all(len(p.keys) == 3 for p in leaves)
    android = [p for p in result.points if p.keys == ("Login", "Android", "$overall")]
    assert sum(p.value for p in android) == sum(
        1 for r in logins if r.props.get("$os") == "Android"
    )
    record = next(r for r in result.records() if r["$os"] == "$overall")
    assert record["mp_country_code"] is None  # the level below has no value for a total


@pytest.mark.parametrize(
    ("bookmark_id", "kind"), [(44006, "funnels"), (44007, "retention")], ids=["funnel", "retention"]
)
def test_funnel_and_retention_bookmarks_are_refused_by_name(client, mp, bookmark_id, kind):
    """/insights answers funnel and retention bookmarks in a "normalized" shape (steps as
    ``{"count": {"1. Step": {"all": n}}}``, cohorts as ``{"first","counts","rates"}``): read as
    Insights numbers they were garbage, then a crash. Now: one line naming the type, exit 3."""
    with pytest.raises(InvalidArgumentError, match=f"saved {kind} report") as caught:
        live.insights(client, bookmark_id)
    assert str(bookmark_id) in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_code == 3


OS = 'properties["$os"]'


def test_funnel_breakdown_honours_limit(client, mp):
    """``on`` was a 400 from the stand-in, so the breakdown parser never met a server. Now the
    documented shape comes back (``$overall`` plus a list of steps per value) with the top
    ``limit`` values by users entering (Mac OS X 20, iOS 18; Linux 11 is left out)."""
    result = live.funnel(client, 7509, FIRST, LAST, unit="week", on=OS, limit=2)
    assert mp.requests.filter(endpoint="funnels")[-1].params["limit"] == "2"
    assert result.segments == ("$overall", "Mac OS X", "iOS")
    by = {(p.date, p.segment): [s.count for s in p.steps] for p in result.periods}
    assert by == {
        ("2024-02-26", "$overall"): [45, 26, 8],
        ("2024-03-04", "$overall"): [37, 10, 1],
        ("2024-02-26", "Mac OS X"): [13, 9, 2],
        ("2024-03-04", "Mac OS X"): [7, 3, 0],
        ("2024-02-26", "iOS"): [6, 3, 1],
        ("2024-03-04", "iOS"): [12, 0, 0],
    }
    assert [s.count for s in result.steps] == [82, 36, 9]  # $overall only, not + segments
    everything = live.funnel(client, 7509, FIRST, LAST, unit="week", on=OS)
    assert len(everything.segments) == 7  # $overall and the six OSes (default limit 255)
    firsts = sum(everything.segment_steps(s)[0].count for s in everything.segments[1:])
    assert firsts == everything.steps[0].count == 82  # each user entering has one OS


def test_funnel_nested_breakdown_is_read_at_every_level(client, mp):
    """Funnel 7511 is saved with a breakdown by country, so ``on`` nests it under each OS:
    ``{"Windows": {"$overall": [...], "US": [...]}}``. The old parser dropped every nested
    entry silently; now each level is a segment (``Windows``, ``Windows / US``)."""
    result = live.funnel(client, 7511, FIRST, LAST, interval=6, on=OS)
    steps = {p.segment: [s.count for s in p.steps] for p in result.periods}
    assert steps["$overall"] == [183, 46]
    assert steps["Windows"] == [42, 10]
    assert steps["Windows / US"] == [11, 1]
    assert steps["Mac OS X / SE"] == [1, 1]
    windows = [p for p in result.periods if p.keys[:1] == ("Windows",) and len(p.keys) == 2]
    assert len(windows) == 9 and sum(p.steps[0].count for p in windows) == 42
    assert sum(p.steps[1].count for p in windows) == 10
    assert len(result.periods) == 1 + 6 + 57  # $overall, six OSes, 57 OS / country pairs
    assert [s.count for s in result.steps] == [183, 46]
    assert result.segment_steps("Windows / US")[1].avg_time == 393507.0


@pytest.mark.parametrize(
    ("funnel_id", "times"),
    [
        (7509, [(None, None), (120149, 120149), (74941, 151124)]),
        (7510, [(None, None), (50176, 50176), (16666, 83818)]),
    ],
    ids=["signup", "search"],
)
def test_funnel_avg_time_pairs_each_users_own_steps(client, mp, funnel_id, times):
    """``avg_time`` of a step is the mean of each converting user's own time since their
    previous step. The stand-in once paired the k-th time of one step with the k-th of the
    previous step (different users): 82535 s instead of 120149 s, and negative values."""
    result = live.funnel(client, funnel_id, FIRST, LAST, interval=6)
    (period,) = result.periods
    assert [(s.avg_time, s.avg_time_from_start) for s in period.steps] == [
        (None if a is None else float(a), None if b is None else float(b)) for a, b in times
    ]
    assert _mean_gaps(mp.project, mp.project.funnel(funnel_id)) == [a for a, _ in times[1:]]
    for unit in ("day", "week"):
        daily = live.funnel(client, funnel_id, FIRST, LAST, unit=unit)
        for p in daily.periods:
            assert all(s.avg_time is None or s.avg_time >= 0 for s in p.steps)
            assert all(s.avg_time_from_start is None or s.avg_time_from_start >= 0 for s in p.steps)


def _mean_gaps(project, definition) -> list[int]:
    """Independently: per user, the first step in range, then each next step in order within
    the conversion window; the rounded mean of each step's own-user gap."""
    horizon = min(LAST + timedelta(days=definition.length_days + 1), project.today)
    per_user: dict[str, list] = {}
    for r in rows(project, FIRST, horizon):
        if r.distinct_id is not None:  # an event without a user enters no funnel
            per_user.setdefault(r.distinct_id, []).append(r)
    gaps: list[list[int]] = [[] for _ in definition.steps[1:]]
    for events in per_user.values():
        start = next(
            (r for r in events if r.name == definition.steps[0] and r.local.date() <= LAST), None
        )
        if start is None:
            continue
        reached = [start.utc]
        for r in events:
            if len(reached) == len(definition.steps):
                break
            if r.utc > start.utc + definition.length_days * 86_400:
                break
            if r is not start and r.utc >= reached[-1] and r.name == definition.steps[len(reached)]:
                reached.append(r.utc)
        for i in range(1, len(reached)):
            gaps[i - 1].append(reached[i] - reached[i - 1])
    return [round(sum(g) / len(g)) for g in gaps]


IOS = 'properties["$os"] == "iOS"'
# Sign Up cohorts returning to Login, two periods after the 0th: {cohort: (size, counts)}.
PLAIN = {
    "2024-03-01": (14, [4, 6, 5]),
    "2024-03-02": (16, [3, 3, 4]),
    "2024-03-03": (15, [2, 2, 5]),
    "2024-03-04": (7, [0, 2, 1]),
    "2024-03-05": (11, [0, 1]),
    "2024-03-06": (5, [0]),
}


@pytest.mark.parametrize(
    ("options", "sent", "cohorts"),
    [
        ({}, {}, PLAIN),
        (
            {"born_where": IOS},  # only iOS sign-ups are born
            {"born_where": IOS},
            {
                "2024-03-01": (1, [1, 1, 1]),
                "2024-03-02": (3, [0, 2, 1]),
                "2024-03-03": (4, [0, 0, 2]),
                "2024-03-04": (4, [0, 1, 0]),
                "2024-03-05": (6, [0, 2]),
                "2024-03-06": (3, [0]),
            },
        ),
        (
            {"where": IOS},  # every sign-up is born; only iOS logins count as coming back
            {"where": IOS},
            {
                "2024-03-01": (14, [0, 1, 2]),
                "2024-03-02": (16, [1, 1, 1]),
                "2024-03-03": (15, [1, 0, 0]),
                "2024-03-04": (7, [0, 0, 0]),
                "2024-03-05": (11, [0, 0]),
                "2024-03-06": (5, [0]),
            },
        ),
        (
            {"interval": 2},  # periods of two days
            {"interval": "2"},
            {
                "2024-03-01": (14, [7, 8, 7]),
                "2024-03-02": (16, [6, 7, 2]),
                "2024-03-03": (15, [4, 7]),
                "2024-03-04": (7, [2, 1]),
                "2024-03-05": (11, [1]),
                "2024-03-06": (5, [0]),
            },
        ),
        (
            {"unbounded": True},  # period N: came back on day N or any later day
            {"unbounded_retention": "true"},
            {
                "2024-03-01": (14, [8, 8, 5]),
                "2024-03-02": (16, [7, 6, 4]),
                "2024-03-03": (15, [8, 6, 5]),
                "2024-03-04": (7, [3, 3, 1]),
                "2024-03-05": (11, [1, 1]),
                "2024-03-06": (5, [0]),
            },
        ),
    ],
    ids=["plain", "born_where", "where", "interval", "unbounded"],
)
def test_retention_options_reach_the_server(client, mp, options, sent, cohorts):
    """The stand-in used to ignore born_where, where, interval and unbounded_retention, so a
    mistake in sending them passed. Each now changes the exact cohorts."""
    result = live.retention(client, "Sign Up", "Login", FIRST, LAST, interval_count=2, **options)
    asked = mp.requests.filter(endpoint="retention")[-1].params
    assert {k: asked.get(k) for k in sent} == sent
    assert {c.date: (c.size, list(c.counts)) for c in result.cohorts} == cohorts
    assert options == {} or cohorts != PLAIN


def test_retention_interval_in_days_is_capped_at_90_before_any_request(client, mp):
    with pytest.raises(InvalidArgumentError, match="maximum of 90"):
        live.retention(client, "Sign Up", None, FIRST, LAST, interval=91)
    assert len(mp.requests) == 0


def test_segmentation_weeks_are_summed_from_days(client, mp):
    """Mixpanel's /segmentation has no ``unit=week`` (spec enum: minute, hour, day, month), so
    weeks are asked as days and added up into Monday-keyed weeks (2024-02-26 holds Mar 1-3)."""
    result = live.segmentation(client, "Login", FIRST, LAST, unit="week")
    assert mp.requests.filter(endpoint="segmentation")[-1].params["unit"] == "day"
    assert result.unit == "week" and result.dates == ("2024-02-26", "2024-03-04")
    assert result.series("Login") == {"2024-02-26": 60 + 61 + 63, "2024-03-04": 53 + 55 + 33}
    daily = answers.segmentation(mp.project, "Login", FIRST, LAST)["data"]["values"]["Login"]
    assert result.total == sum(daily.values()) == 325


@pytest.mark.parametrize("kind", ["unique", "average"])
def test_segmentation_weeks_of_users_are_refused_before_any_request(client, mp, kind):
    with pytest.raises(InvalidArgumentError, match="unit 'week' with type") as caught:
        live.segmentation(client, "Login", FIRST, LAST, unit="week", type=kind)
    assert caught.value.exit_code == 3 and "\n" not in str(caught.value)
    assert len(mp.requests) == 0
