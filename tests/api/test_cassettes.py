"""Recorded wire interactions built from Mixpanel's own documentation, replayed through the
real parsing code with the documented numbers.

Each cassette under ``cassettes/test_cassettes/`` holds a body of ``tests/live/live_documented``:
an example of the official OpenAPI specs (``/work/shared/mixpanel-api/openapi/``; each test
names its file and path) or a shape real Mixpanel sends that the spec leaves out ([OBS], with
its source in ``live_documented``). They replaced cassettes recorded from the stand-in, which
only echoed the stand-in back. Replayed by default; ``MP_RECORD_CASSETTES=1`` re-records them
against the documented-bodies server (never the stand-in, never the internet).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from mixpanel_data import live
from mixpanel_data.api import ExportStats, MixpanelClient
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.sources.mixpanel.events_arrow import EventParser
from mixpanel_data.sources.mixpanel.timezones import LegacySwitch

from .cassette import cassette_client, recorder

VCR = recorder("test_cassettes")


@pytest.fixture
def recorded(request: pytest.FixtureRequest, credentials: Credentials) -> Iterator[MixpanelClient]:
    """A client whose HTTP traffic goes to (or comes from) ``cassettes/test_cassettes/<test>``."""
    with cassette_client(VCR, request.node.name, credentials) as c:
        yield c


def test_segmentation(recorded: MixpanelClient):
    """query.openapi.yaml paths./segmentation get responses.200 example (series unsorted)."""
    result = live.segmentation(recorded, "Signed up", "2011-08-06", "2011-08-09")
    assert result.dates == ("2011-08-06", "2011-08-07", "2011-08-08", "2011-08-09")
    assert [p.value for p in result.points] == [147, 146, 776, 1376]
    assert result.total == 2445


def test_funnels_list(recorded: MixpanelClient):
    """query.openapi.yaml paths./funnels/list get responses.200 example (a bare array)."""
    saved = live.funnels_list(recorded)
    assert saved.records() == [
        {"funnel_id": 7509, "name": "Signup funnel"},
        {"funnel_id": 9070, "name": "Funnel tutorial"},
    ]


def test_engage_page(recorded: MixpanelClient):
    """query.openapi.yaml paths./engage post responses.200 example, verbatim: ``$distinct_id``
    is the integer 4 there; the member parser makes it the string every other answer uses."""
    page = recorded.engage_page({"page_size": 1000})
    assert (page["page"], page["page_size"], page["total"]) == (0, 1000, 1)
    assert page["session_id"] == "1234567890-EXAMPL"
    assert page["results"][0]["$distinct_id"] == 4
    members = live.cohort_members(recorded, 1000)
    assert members.distinct_ids == ("4",)
    assert members.members[0].properties["$last_seen"] == "2008-06-09T23:08:40"


def test_export(recorded: MixpanelClient):
    """export.openapi.yaml paths./export get responses.200 text/plain example: two JSONL rows
    without ``distinct_id``, parsed by the events parser a load uses."""
    stats = ExportStats()
    day = date(2020, 10, 13)
    batches = list(recorded.export_batches(day, day, stats=stats))
    assert stats.lines == 2
    table = EventParser(ZoneInfo("UTC"), LegacySwitch(False)).parse(b"".join(batches))
    assert table.column("event_name").to_pylist() == ["Signed up", "Signed up"]
    assert table.column("insert_id").to_pylist() == [
        "hpuDqcvpltpCjBsebtxwadtEBDnFAdycabFb",
        "jajcebutltmvhbbholfhxtCcycwnBjDtndha",
    ]
    assert table.column("event_time").to_pylist() == [
        datetime(2020, 10, 13, 17, 48, 31, tzinfo=UTC),
        datetime(2020, 10, 15, 18, 38, 41, tzinfo=UTC),
    ]
    assert table.column("distinct_id").to_pylist() == [None, None]
    assert table.column("mp_processing_time_ms").to_pylist() == [1602625711874, 1602801521561]


def test_insights_spec_example(recorded: MixpanelClient):
    """query.openapi.yaml paths./insights get responses.200 example."""
    result = live.insights(recorded, 44001)
    assert result.headers == ("$event",)
    assert [(p.keys, p.date, p.value) for p in result.points] == [
        (("Logged in",), "2020-08-31", 9852),
        (("Logged in",), "2020-09-07", 4325),
        (("Viewed page",), "2020-08-31", 10246),
        (("Viewed page",), "2020-09-07", 11432),
    ]
    assert result.total == 35855


def test_insights_overall_beside_a_breakdown(recorded: MixpanelClient):
    """[OBS] a chart not over time, broken down, with ``$overall`` (mixpanel-headless tests):
    the total is 10, not 20; rows carry a null date."""
    result = live.insights(recorded, 44004)
    assert result.total == 10
    assert result.records() == [
        {
            "$event": "Login [Total Events]",
            "mp_country_code": "$overall",
            "date": None,
            "value": 10,
        },
        {"$event": "Login [Total Events]", "mp_country_code": "DE", "date": None, "value": 4},
        {"$event": "Login [Total Events]", "mp_country_code": "US", "date": None, "value": 6},
    ]
    assert [p.is_overall for p in result.points] == [True, False, False]


def test_insights_overall_at_each_level(recorded: MixpanelClient):
    """[OBS] ``$overall`` beside the values of two breakdown levels, over time: 7 users, not
    the 21 of adding every level."""
    result = live.insights(recorded, 44005)
    assert result.total == 7
    assert sum(p.value for p in result.points) == 21
    assert result.key_columns == ("$metric", "$os", "plan")
    leaves = {(p.keys[1:], p.date): p.value for p in result.points if not p.is_overall}
    assert leaves == {
        (("Android", "free"), "2025-12-02"): 1,
        (("Android", "free"), "2025-12-03"): 2,
        (("iOS", "free"), "2025-12-02"): 2,
        (("iOS", "free"), "2025-12-03"): 1,
        (("iOS", "pro"), "2025-12-02"): 1,
    }
    assert sum(leaves.values()) == 7


@pytest.mark.parametrize(
    ("bookmark_id", "kind"), [(44006, "funnels"), (44007, "retention")], ids=["funnel", "retention"]
)
def test_insights_refuses_funnel_and_retention_bookmarks(recorded, bookmark_id, kind):
    """[OBS] /insights answers funnel and retention bookmarks in a "normalized" shape."""
    with pytest.raises(InvalidArgumentError, match=f"Bookmark {bookmark_id} is a saved {kind}"):
        live.insights(recorded, bookmark_id)


def test_funnel_breakdown_at_every_level(recorded: MixpanelClient):
    """query.openapi.yaml paths./funnels ``on``/``limit`` with the Data Export docs' segmented
    shape, one value nesting a second breakdown (``Chrome`` -> ``$overall``, ``US``, ``DE``)."""
    result = live.funnel(recorded, 9070, "2016-09-12", "2016-09-12", on="x", limit=3)
    assert result.segments[0] == "$overall"  # cassettes keep no JSON key order after that
    assert set(result.segments) == {"$overall", "Chrome", "Chrome / US", "Chrome / DE", "Firefox"}
    steps = {p.segment: [s.count for s in p.steps] for p in result.periods}
    assert steps == {
        "$overall": [100, 40],
        "Chrome": [70, 35],
        "Chrome / US": [50, 30],
        "Chrome / DE": [20, 5],
        "Firefox": [30, 5],
    }
    assert [s.count for s in result.steps] == [100, 40]
    assert result.segment_steps("Chrome / DE")[1].avg_time == 110.0


def test_funnel_spec_example(recorded: MixpanelClient):
    """query.openapi.yaml paths./funnels get responses.200 example (first two weeks)."""
    result = live.funnel(recorded, 7509, "2016-09-12", "2016-09-25", unit="week")
    assert [s.count for s in result.steps] == [65174, 41333]
    assert result.periods[0].steps[1].avg_time == 133.0
    assert result.periods[0].steps[1].label == "Game Played"


def test_retention_spec_example(recorded: MixpanelClient):
    """query.openapi.yaml paths./retention get responses.200 example (no wrapper)."""
    result = live.retention(recorded, "Sign Up", None, "2012-01-01", "2012-01-03", interval_count=2)
    assert [(c.date, c.size, c.counts) for c in result.cohorts] == [
        ("2012-01-01", 2, (2, 1, 2)),
        ("2012-01-02", 10, (9, 7, 6)),
        ("2012-01-03", 10, (9, 6, 4)),
    ]
    assert result.total_users == 22
