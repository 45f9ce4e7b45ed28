"""Time zones: "today" in the project's zone, event_date in it, legacy exports decided from
evidence, and an unknown zone never guessed silently.

Mixpanel refuses a ``to_date`` after today in the project's zone (400). For a project west of
UTC that exports UTC days, every run between 00:00 UTC and local midnight used to ask for a day
Mixpanel calls the future. The zone comes from Mixpanel's ``/api/app/me`` when not configured.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from mixpanel_data.exceptions import ConfigError
from mixpanel_data.sources.mixpanel.timezones import US_PER_SECOND

from ..harsh import utc


def _no_refusals(env) -> None:
    assert [r for r in env.exports() if r[2] != 200] == []


def _last_asked(env) -> str:
    """The newest ``to_date`` of any export request (windows finish out of order)."""
    return max(to for _, to, _ in env.exports())


def test_west_project_after_utc_midnight_never_asks_for_tomorrow(harsh):
    """Los Angeles, UTC export, 02:00 UTC (18:00 the day before there): the run stops at the
    UTC day that is still "today" in Los Angeles, and event_date holds Los Angeles days."""
    env = harsh(now=utc(2024, 3, 9, 2), start=date(2024, 3, 1), days=12)
    summary = env.run(options={"start_date": "2024-03-01"})
    _no_refusals(env)
    assert _last_asked(env) == "2024-03-08"  # 2024-03-09 is tomorrow in Los Angeles
    assert (summary.timezone, summary.timezone_source) == ("America/Los_Angeles", "mixpanel")
    stored = env.local_counts()
    truth = env.local_truth(date(2024, 3, 1), date(2024, 3, 7))
    assert {d: stored.get(d) for d in truth} == truth  # every whole local day exact


def test_east_project_late_evening_utc(harsh):
    """Tokyo, UTC export, 20:00 UTC (05:00 the next day there): the UTC day still running is
    the last one asked; Tokyo days are exact up to the last whole one."""
    env = harsh(now=utc(2024, 3, 10, 20), start=date(2024, 3, 1), days=12, timezone="Asia/Tokyo")
    env.run(options={"start_date": "2024-03-01"})
    _no_refusals(env)
    assert _last_asked(env) == "2024-03-10"
    stored = env.local_counts()
    truth = env.local_truth(date(2024, 3, 1), date(2024, 3, 10))
    assert {d: stored.get(d) for d in truth} == truth


def test_legacy_project_today_is_the_local_day(harsh):
    """A legacy (pre-2023) project exports local days: Tokyo's today is already 03-11."""
    env = harsh(
        now=utc(2024, 3, 10, 20),
        start=date(2024, 3, 1),
        days=12,
        timezone="Asia/Tokyo",
        legacy_timezone=True,
    )
    env.run(options={"start_date": "2024-03-01", "legacy_timezone": "true"})
    _no_refusals(env)
    assert _last_asked(env) == "2024-03-11"
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 11))


def test_an_unknown_zone_warns_once_and_asks_no_future_day(harsh):
    """No project_timezone and a service account without /me's scope: one warning naming the
    setting, and the newest day asked is one no zone on Earth is still short of."""
    env = harsh(
        now=utc(2024, 3, 9, 2),
        start=date(2024, 3, 1),
        days=12,
        timezone="Pacific/Pago_Pago",  # UTC-11: 2024-03-08 15:00 there
        standin={"me": "no_scope"},
    )
    summary = env.run(options={"start_date": "2024-03-01"})
    _no_refusals(env)
    assert _last_asked(env) == "2024-03-08"
    assert summary.timezone is None
    (notice,) = env.observer.notices
    assert "project_timezone" in notice and "SOURCES__MIXPANEL__PROJECT_TIMEZONE" in notice


@pytest.mark.parametrize(
    ("zone", "legacy", "lag"),
    [
        ("America/Los_Angeles", False, "mixed"),
        ("America/Los_Angeles", True, "mixed"),
        ("America/Los_Angeles", False, "batch"),
        ("Asia/Tokyo", False, "mixed"),
        ("Asia/Tokyo", True, "mixed"),
        ("Asia/Tokyo", True, "batch"),
        ("Europe/Paris", False, "mixed"),
    ],
    ids=lambda v: str(v),
)
def test_auto_detection_reads_export_times_right_under_heavy_lag(harsh, zone, legacy, lag):
    """With most events 3-14 hours late, a modern project west of UTC used to be taken for a
    legacy one (medians of the lag), shifting every timestamp for good. Every stored
    ``event_time`` must be the event's true UTC instant."""
    env = harsh(
        now=utc(2024, 3, 12, 12),
        start=date(2024, 3, 1),
        days=8,
        timezone=zone,
        legacy_timezone=legacy,
        lag=lag,
    )
    env.run(from_date="2024-03-02", to_date="2024-03-07")
    stored = dict(
        env.rows(
            "SELECT insert_id, epoch_us(event_time) FROM mixpanel.events "
            "WHERE insert_id IS NOT NULL"
        )
    )
    truth = {}
    for day in env.project.days:
        for event in env.project.unique_events(day):
            insert_id = event["properties"].get("$insert_id")
            if insert_id and insert_id in stored:
                truth[insert_id] = env.project.true_utc(event) * US_PER_SECOND
    assert len(truth) > 500
    assert {k: stored[k] for k in truth} == truth
    decided = env.events_state()["export_times"]  # committed with the rows, shown by mp info
    assert (decided["legacy"], decided["decided"]) == (legacy, "detected")
    assert "processed before they happened" in decided["evidence"]


@pytest.mark.parametrize(
    ("zone", "legacy"),
    [("Asia/Tokyo", False), ("America/Los_Angeles", True)],
    ids=["east-modern", "west-legacy"],
)
def test_evidence_that_cannot_tell_refuses_instead_of_guessing(harsh, zone, legacy):
    """When every event arrives 3-14 hours late (server-side imports only), a modern project
    east of UTC and a legacy one west of it read plausibly either way: no event looks processed
    before it happened, none within minutes. The run refuses, names the setting, loads nothing.
    """
    env = harsh(
        now=utc(2024, 3, 12, 12),
        start=date(2024, 3, 1),
        days=8,
        timezone=zone,
        legacy_timezone=legacy,
        lag="batch",
    )
    with pytest.raises(ConfigError, match=r"set legacy_timezone to true \(.*\) or false"):
        env.run(from_date="2024-03-02", to_date="2024-03-04")
    assert env.rows("SELECT count(*) FROM mixpanel.events") == [(0,)]


def test_stored_event_dates_follow_the_zone_once_it_is_known(harsh):
    """Loaded while the zone was unknown (UTC days), then the zone becomes known: every stored
    event_date is re-derived in it, so old and new rows agree."""
    env = harsh(
        now=utc(2024, 3, 12, 12),
        start=date(2024, 3, 1),
        days=8,
        standin={"me": "no_scope"},
    )
    env.run(from_date="2024-03-02", to_date="2024-03-04")
    mismatched = env.rows(
        "SELECT count(*) FROM mixpanel.events WHERE event_date <> CAST(event_time AS DATE)"
    )
    assert mismatched == [(0,)]  # UTC days while unknown
    env.run(
        options={"project_timezone": "America/Los_Angeles"},
        from_date="2024-03-05",
        to_date="2024-03-06",
    )
    wrong = env.rows(
        "SELECT count(*) FROM mixpanel.events WHERE event_date <> "
        "CAST(timezone('America/Los_Angeles', event_time) AS DATE)"
    )
    assert wrong == [(0,)]


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("America/Los_Angeles", date(2024, 3, 9)),  # spring forward 03-10
        ("America/Los_Angeles", date(2024, 11, 2)),  # fall back 11-03
        ("America/Havana", date(2024, 3, 9)),  # DST at midnight
        ("Australia/Lord_Howe", date(2024, 4, 6)),  # a 30-minute DST shift
        ("Europe/Paris", date(2024, 3, 30)),
    ],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "modern"])
def test_every_single_day_decides_right_dst_days_included(zone, first, legacy):
    """The decision may come from any one window (windows finish in any order): each day alone,
    DST days included, must decide right. A local reading used to take the offset of the raw
    value read as UTC, an hour off for part of a DST day: 10% of a legacy Los Angeles
    spring-forward day looked processed before it happened, and the load refused."""
    import numpy as np

    from mixpanel_data.sources.mixpanel.timezones import judge_export_times
    from mixpanel_data.standin import FakeClock, Project, ProjectSpec

    spec = ProjectSpec(
        seed=3, start=first, days=3, events_per_day=150, timezone=zone, legacy_timezone=legacy
    )
    project = Project(spec, FakeClock(utc(2025, 1, 1)))
    for day in project.days:
        events = project.raw_events(day)
        raw = np.array([e["properties"]["time"] * US_PER_SECOND for e in events], dtype=np.int64)
        processed = np.array([e["properties"]["mp_processing_time_ms"] for e in events], float)
        verdict = judge_export_times(raw, processed, ZoneInfo(zone))
        assert verdict.legacy is legacy, (day, verdict.evidence)


def test_an_unknown_zone_gives_utc_days_whatever_the_machine_s_zone(monkeypatch):
    """With the project's zone unknown, event_date holds UTC days as documented, not days in the
    zone of the machine that runs the load (a laptop in Tokyo used to store Tokyo days)."""
    import time

    from mixpanel_data.sources.mixpanel.events_arrow import EventParser
    from mixpanel_data.sources.mixpanel.timezones import LegacySwitch

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        line = (
            b'{"event":"e","properties":{"time":1709323200,"distinct_id":"u","$insert_id":"i1"}}\n'
        )
        table = EventParser(None, LegacySwitch(False), ()).parse(line)  # 2024-03-01T20:00Z
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert table.column("event_date").to_pylist() == [date(2024, 3, 1)]
