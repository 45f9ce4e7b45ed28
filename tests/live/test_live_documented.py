"""Every report parsed from Mixpanel's documented response shapes, replayed from cassettes.

The cassettes hold the bodies of ``live_documented.py`` (the API reference's examples), so the
numbers asserted here are the documented ones. Re-record with
``MP_RECORD_CASSETTES=1 .venv/bin/pytest tests/live/test_live_documented.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mixpanel_data import live
from mixpanel_data.api import MixpanelClient
from mixpanel_data.config.credentials import Credentials

from ..api.cassette import cassette_client, recorder

CASSETTES = Path(__file__).parent / "cassettes" / "test_live_documented"
VCR = recorder(CASSETTES.name, root=CASSETTES.parent)
CREDENTIALS = Credentials(
    secret="sEcReT-9f8e7d6c5b4a", username="svc-account.mp-data", project_id="424242"
)


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[MixpanelClient]:
    """A client replaying (or recording) ``cassettes/test_live_documented/<test>.yaml``."""
    with cassette_client(VCR, request.node.name, CREDENTIALS) as c:
        yield c


def test_segmentation_sorts_the_documented_unsorted_series(api):
    result = live.segmentation(api, "Signed up", "2011-08-06", "2011-08-09")
    assert result.dates == ("2011-08-06", "2011-08-07", "2011-08-08", "2011-08-09")
    assert result.series("Signed up") == {
        "2011-08-06": 147,
        "2011-08-07": 146,
        "2011-08-08": 776,
        "2011-08-09": 1376,
    }
    assert result.total == 2445
    assert list(result.df["value"]) == [147, 146, 776, 1376]


def test_segmentation_on_fills_dates_a_segment_left_out(api):
    result = live.segmentation(api, "x", "2010-05-29", "2010-05-31", on='properties["page"]')
    assert result.segments == ("account-page", "splash features")
    assert result.series("account-page") == {"2010-05-29": 0, "2010-05-30": 1, "2010-05-31": 0}
    assert result.totals() == {"account-page": 1, "splash features": 15}
    assert len(result.records()) == 6


def test_numeric_buckets(api):
    result = live.segmentation_numeric(api, "x", "2011-08-06", "2011-08-09", 'properties["n"]')
    assert result.endpoint == "segmentation/numeric"
    assert result.totals() == {"2,000 - 2,100": 25, "2,100 - 2,200": 24}
    assert result.series("2,100 - 2,200")["2011-08-06"] == 0


def test_sum_and_average(api):
    total = live.segmentation_sum(api, "x", "2019-10-06", "2019-10-07", 'properties["n"]')
    assert total.values == (("2019-10-06", 7.0), ("2019-10-07", 4.0))
    assert total.computed_at == "2019-10-07T23:02:11.666218+00:00"
    assert total.total == 11.0
    mean = live.segmentation_average(api, "x", "2011-08-06", "2011-08-07", 'properties["n"]')
    assert mean.values == (("2011-08-06", 8.64705882352939), ("2011-08-07", 4.640625))
    assert mean.computed_at is None


def test_funnel_steps_and_rates(api):
    result = live.funnel(api, 7509, "2016-09-12", "2016-09-25", unit="week")
    assert result.dates == ("2016-09-12", "2016-09-19")
    first = result.periods[0]
    assert [s.count for s in first.steps] == [32688, 20524]
    assert first.steps[1].step_conversion == pytest.approx(0.627875673029858)
    assert first.steps[1].label == "Game Played"
    assert first.steps[1].event == "$custom_event:12345"
    assert first.steps[1].avg_time == 133.0
    assert [s.count for s in result.steps] == [32688 + 32486, 20524 + 20809]
    assert result.conversion_rate == pytest.approx((20524 + 20809) / (32688 + 32486))
    # count-weighted mean of the two weeks' average times
    assert result.steps[1].avg_time == pytest.approx((133 * 20524 + 75 * 20809) / 41333)
    assert result.steps[0].avg_time == pytest.approx((2 * 32688 + 10 * 32486) / 65174)


def test_funnel_with_on_parses_the_segmented_shape(api):
    result = live.funnel(api, 7509, "2016-09-12", "2016-09-12", on='properties["$browser"]')
    assert result.segments == ("$overall", "Chrome", "Firefox")
    assert [s.count for s in result.steps] == [100, 40]
    assert result.conversion_rate == 0.4
    assert [s.count for s in result.segment_steps("Firefox")] == [30, 5]
    assert result.segment_steps("Chrome")[1].step_conversion == 0.5
    rows = result.summary_records()
    assert [(r["segment"], r["step"], r["count"]) for r in rows] == [
        ("$overall", 1, 100),
        ("$overall", 2, 40),
        ("Chrome", 1, 70),
        ("Chrome", 2, 35),
        ("Firefox", 1, 30),
        ("Firefox", 2, 5),
    ]
    assert len(result.df) == 6


def test_funnels_list(api):
    saved = live.funnels_list(api)
    assert saved.records() == [
        {"funnel_id": 7509, "name": "Signup funnel"},
        {"funnel_id": 9070, "name": "Funnel tutorial"},
    ]
    assert saved.name_of(9070) == "Funnel tutorial"


def test_retention_cohorts_and_rates(api):
    result = live.retention(api, "Sign Up", "Login", "2012-01-01", "2012-01-03", interval_count=2)
    assert [(c.date, c.size, c.counts) for c in result.cohorts] == [
        ("2012-01-01", 2, (2, 1, 2)),
        ("2012-01-02", 10, (9, 7, 6)),
        ("2012-01-03", 10, (9, 6, 4)),
    ]
    assert result.cohorts[1].rates == (0.9, 0.7, 0.6)
    assert result.average_rates() == (20 / 22, 14 / 22, 12 / 22)
    assert result.total_users == 22
    assert len(result.df) == 9


@pytest.mark.parametrize("event", [None, "Login"], ids=["spec-data-wrapper", "docs-no-wrapper"])
def test_addiction_accepts_both_documented_shapes(api, event):
    result = live.addiction(api, "2012-01-01", "2012-01-02", event=event)
    assert result.periods[0].counts == (305, 107, 60, 41)
    assert result.records()[1] == {"date": "2012-01-01", "at_least": 2, "users": 107}


def test_insights_saved_report(api):
    result = live.insights(api, 44001)
    assert result.headers == ("$event",)
    assert result.from_date == "2020-08-31T00:00:00-07:00"
    assert result.table_columns() == ("$event", "date", "value")
    assert result.records()[:2] == [
        {"$event": "Logged in", "date": "2020-08-31", "value": 9852},
        {"$event": "Logged in", "date": "2020-09-07", "value": 4325},
    ]
    assert result.total == 9852 + 4325 + 10246 + 11432


def test_discovery_endpoints(api):
    assert live.event_names(api).names == ("battle", "click signup button", "View homepage")
    top = live.top_events(api, type="unique")
    assert [(e.event, e.amount) for e in top.events] == [
        ("funnel", 2),
        ("pages", 75),
        ("projects", 2),
    ]
    assert top.events[0].percent_change == pytest.approx(-0.35635745999582824)
    props = live.event_properties(api, "x")  # JSON object order is not kept by cassettes
    assert sorted(props.records(), key=lambda r: r["property"]) == [
        {"property": "$duration_s", "count": None},  # documented {} without a count
        {"property": "ad version", "count": 295},
        {"property": "user type", "count": 91},
    ]
    assert live.property_values(api, "x", "pet").values == ("cat", "dog", "rabbit", "gecko")


def test_cohorts_and_members(api):
    cohorts = live.cohorts_list(api)
    assert [(c.id, c.count, c.is_visible) for c in cohorts.cohorts] == [
        (1000, 150, True),
        (2000, 25, False),
    ]
    assert cohorts.cohorts[0].created is not None
    assert cohorts.cohorts[0].created.isoformat() == "2019-03-19T23:49:51"
    members = live.cohort_members(api, 1000)
    assert members.distinct_ids == ("4",)
    assert members.members[0].properties["$email"] == "example@mixpanel.com"


def test_jql_group_by_becomes_key_columns(api):
    result = live.jql(api, "function main() { return Events({}); }", {"limit": 2})
    assert result.table_columns() == ("key_1", "key_2", "value")
    assert result.records()[0] == {"key_1": "Signed up", "key_2": "US", "value": 147}
    assert list(result.df["value"]) == [147, 12]


def test_annotations_and_schemas(api):
    notes = live.annotations_list(api)
    when = notes.annotations[0].date
    assert notes.records() == [
        {
            "id": 1,
            "date": when,
            "user": "John Smith",
            "tags": ["release"],
            "description": "Something interesting happened!",
        }
    ]
    assert str(notes.annotations[0].date) == "2022-02-15 12:00:00"
    lexicon = live.schemas(api)
    cart = lexicon.get("event", "Added To Cart")
    assert cart is not None and cart.description == "User added an item to the cart"
    assert {(p.name, p.type) for p in cart.properties} == {
        ("Item Price", "number"),
        ("Item Name", "string"),
    }
    assert lexicon.records()[-1] == {
        "entity_type": "profile",
        "name": "$user",
        "property": "plan",
        "type": "string|null",
        "description": "Billing plan",
    }
