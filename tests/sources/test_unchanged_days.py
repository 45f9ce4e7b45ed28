"""A re-read of days that did not change writes nothing: an incremental run tallies its
lookback from the download (key columns only) and loads only the days whose fingerprint
changed; an explicit backfill always rewrites."""

from __future__ import annotations

from datetime import date, timedelta

from ..harsh import utc


def _written(env) -> int:
    """Event rows dlt normalized (and so loaded) in the last run."""
    import dlt

    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.settings.pipelines_dir))
    info = pipeline.last_trace.last_normalize_info
    return int(info.row_counts.get("events", 0)) if info else 0


def _env(harsh, **changes):
    # every row processed within hours: a day later, nothing is still on its way
    return harsh(
        now=utc(2024, 3, 12, 12), start=date(2024, 3, 1), days=10, lag="realtime", **changes
    )


def test_nothing_new_rewrites_nothing(harsh):
    env = _env(harsh)
    env.run(options={"start_date": "2024-03-01"})
    assert _written(env) > 0
    env.clock.advance(timedelta(hours=1))
    summary = env.run(options={"start_date": "2024-03-01"})
    assert summary.rows_new == 0 and summary.events_fetched > 0  # the lookback was read
    assert _written(env) == 0  # and not one row written again
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 10))


def test_only_the_days_that_changed_are_loaded_again(harsh):
    env = _env(harsh)
    env.run(options={"start_date": "2024-03-01"})
    env.server.add_late_events(date(2024, 3, 9), 7)
    env.run(options={"start_date": "2024-03-01"})
    # that day's rows (one copy of each: windows are deduplicated in extract), no other day's
    assert _written(env) == env.project.unique_count(date(2024, 3, 9))
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 10))


def test_another_serialization_of_the_same_rows_is_no_change(harsh):
    env = _env(
        harsh, missing_insert_id_rate=0.2, resend_rate=0.5, standin={"serializer": "varying"}
    )
    env.run(options={"start_date": "2024-03-01"})
    for _ in range(3):  # each request in another JSON form, rows in the same order
        env.run(options={"start_date": "2024-03-01"})
        assert _written(env) == 0
    assert env.export_counts() == env.export_truth(last=date(2024, 3, 10))


def test_an_explicit_backfill_rewrites_its_days(harsh):
    env = _env(harsh)
    env.run(options={"start_date": "2024-03-01"})
    env.run(from_date="2024-03-08", to_date="2024-03-09")
    assert _written(env) == env.project.unique_count(date(2024, 3, 8)) + env.project.unique_count(
        date(2024, 3, 9)
    )
