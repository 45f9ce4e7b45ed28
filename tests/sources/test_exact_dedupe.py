"""Dedupe that survives Mixpanel's serializer: another export of the same events may order keys
and escape text differently (the stand-in's ``varying`` serializer does both); re-reading the
lookback must not duplicate any row, with or without ``$insert_id``."""

from __future__ import annotations

from datetime import date, timedelta

from mixpanel_data.sources.mixpanel.events_arrow import content_key

from ..harsh import utc


def test_rereads_in_another_serialization_add_no_duplicates(harsh):
    env = harsh(
        now=utc(2024, 3, 8, 12),
        start=date(2024, 3, 1),
        days=10,
        missing_insert_id_rate=0.2,
        standin={"serializer": "varying"},
    )
    env.run(options={"start_date": "2024-03-01"})
    for _ in range(3):  # each run re-reads 5 days, each request in another JSON form
        env.clock.advance(timedelta(hours=7))
        env.run(options={"start_date": "2024-03-01"})
    last = max(env.export_counts())
    assert env.export_counts() == env.export_truth(last=last)
    without = env.rows("SELECT count(*) FROM mixpanel.events WHERE insert_id IS NULL")[0][0]
    truth = sum(
        1
        for day in env.project.days
        if day <= last
        for event in env.project.unique_events(day)
        if not event["properties"].get("$insert_id")
    )
    assert without == truth > 50


def test_content_key_ignores_key_order_escapes_spacing_and_processing_time():
    a = (
        b'{"event":"Caf\\u00e9 \\/ ordered","properties":{"time":1709251200,'
        b'"a":[1,{"y":2,"x":1}],"mp_processing_time_ms":1}}'
    )
    b = (
        '{"properties": {"a": [1, {"x": 1, "y": 2}], "mp_processing_time_ms": 99, '
        '"time": 1709251200}, "event": "Café / ordered"}'
    )
    assert content_key(a) == content_key(b.encode())
    assert content_key(a) != content_key(a.replace(b'"x":1', b'"x":2'))


def test_identical_resends_without_insert_id_both_count(harsh):
    """Mixpanel never deduplicates a row without ``$insert_id``: a client that sent one twice
    has it twice in every count, and re-reading it must keep both, no more."""
    env = harsh(
        now=utc(2024, 3, 8, 12),
        start=date(2024, 3, 1),
        days=6,
        missing_insert_id_rate=0.2,
        resend_rate=0.5,
        standin={"serializer": "varying"},
    )
    env.run(from_date="2024-03-01", to_date="2024-03-06")
    env.run(from_date="2024-03-01", to_date="2024-03-06")  # the same days, other JSON forms
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 6))
    pairs = env.rows(
        "SELECT count(*) FROM (SELECT event_name, event_time, distinct_id FROM mixpanel.events "
        "WHERE insert_id IS NULL GROUP BY ALL HAVING count(*) > 1)"
    )[0][0]
    assert pairs > 20
