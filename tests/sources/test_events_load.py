"""Events land exactly once, correctly timed, for both export time zone kinds."""

from __future__ import annotations

from datetime import datetime

import pytest

KINDS = [pytest.param(False, id="utc-project"), pytest.param(True, id="legacy-tz-project")]


@pytest.mark.parametrize("legacy", KINDS)
def test_backfill_matches_ground_truth_per_day(standin_env, legacy):
    env = standin_env(legacy_timezone=legacy, start=datetime(2024, 3, 8).date(), days=5)
    first, last = env.project.days[0], env.project.days[-1]

    summary = env.run(from_date=first, to_date=last)

    assert env.counts_by_day() == env.truth_by_day()
    raw = sum(env.project.count(d) for d in env.project.days)
    unique = sum(env.project.unique_count(d) for d in env.project.days)
    assert summary.rows_fetched == raw
    assert summary.rows_new == unique
    assert summary.duplicates_dropped == raw - unique > 0
    assert summary.days_covered == 5


@pytest.mark.parametrize("legacy", KINDS)
def test_event_time_is_true_utc_including_dst_change(standin_env, legacy):
    # 2024-03-10 is the US spring-forward day; 2024-11-03 the fall-back day.
    for start in (datetime(2024, 3, 9).date(), datetime(2024, 11, 2).date()):
        env = standin_env(legacy_timezone=legacy, start=start, days=3, events_per_day=300)
        env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
        stored = {
            insert_id: when
            for insert_id, when in env.rows(
                "SELECT insert_id, epoch(event_time) FROM mixpanel.events "
                "WHERE insert_id IS NOT NULL"
            )
        }
        checked = 0
        for day in env.project.days:
            for event in env.project.unique_events(day):
                props = event["properties"]
                if "$insert_id" not in props:
                    continue
                truth = env.project.true_utc(event)
                lag_s = props["mp_processing_time_ms"] / 1000 - truth
                if legacy and lag_s >= 3600:
                    # A fall-back wall time processed over an hour later is truly ambiguous.
                    assert stored[props["$insert_id"]] in (truth, truth - 3600, truth + 3600)
                else:
                    assert stored[props["$insert_id"]] == truth, event
                checked += 1
        assert checked > 500


@pytest.mark.parametrize("legacy", KINDS)
def test_event_date_is_project_local_day(standin_env, legacy):
    env = standin_env(legacy_timezone=legacy, start=datetime(2024, 3, 8).date(), days=3)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    mismatched = env.rows(
        "SELECT count(*) FROM mixpanel.events "
        "WHERE event_date <> CAST(timezone('America/Los_Angeles', event_time) AS DATE)"
    )
    assert mismatched == [(0,)]
    if legacy:  # export days of a legacy project are project-local days
        assert env.rows("SELECT count(*) FROM mixpanel.events WHERE event_date <> export_date") == [
            (0,)
        ]


def test_duplicates_keep_the_latest_copy_as_mixpanel_shows_it(standin_env):
    """Mixpanel's queries surface the latest ingested copy of a duplicate (a re-import may
    change other properties: the stand-in's copies carry ``"$import": true``)."""
    env = standin_env(start=datetime(2024, 3, 8).date(), days=2, duplicate_rate=0.2)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    want = {
        e["properties"]["$insert_id"]: e["properties"]["mp_processing_time_ms"]
        for d in env.project.days
        for e in env.project.unique_events(d)
        if "$insert_id" in e["properties"]
    }
    got = dict(
        env.rows(
            "SELECT insert_id, mp_processing_time_ms FROM mixpanel.events "
            "WHERE insert_id IS NOT NULL"
        )
    )
    assert got == want
    imported = env.rows(
        "SELECT count(*) FROM mixpanel.events WHERE properties->>'$.\"$import\"' = 'true'"
    )[0][0]
    assert imported > 0


def test_events_without_insert_id_get_a_stable_content_key(standin_env):
    env = standin_env(start=datetime(2024, 3, 8).date(), days=2, missing_insert_id_rate=0.3)
    first, last = env.project.days[0], env.project.days[-1]
    env.run(from_date=first, to_date=last)
    keys = sorted(env.rows("SELECT event_key FROM mixpanel.events WHERE insert_id IS NULL"))
    assert len(keys) > 100

    again = env.run(from_date=first, to_date=last)

    assert again.rows_new == 0
    assert sorted(env.rows("SELECT event_key FROM mixpanel.events WHERE insert_id IS NULL")) == keys
    assert env.counts_by_day() == env.truth_by_day()


def test_properties_stay_one_json_column_with_odd_unicode(standin_env):
    env = standin_env(start=datetime(2024, 3, 8).date(), days=1)
    env.run(from_date=env.project.days[0], to_date=env.project.days[0])
    columns = {name: kind for name, kind, *_ in env.rows("DESCRIBE mixpanel.events")}
    assert columns["properties"] == "JSON"
    assert columns["event_time"] == "TIMESTAMP WITH TIME ZONE"
    assert not any(name.startswith("properties__") for name in columns)
    raw = "".join(str(p) for (p,) in env.rows("SELECT properties FROM mixpanel.events"))
    assert "\u2028" in raw or "\\u2028" in raw
    names = {n for (n,) in env.rows("SELECT DISTINCT event_name FROM mixpanel.events")}
    assert any(not n.isascii() for n in names)


def test_promote_lands_typed_columns(standin_env):
    env = standin_env(start=datetime(2024, 3, 8).date(), days=1)
    env.run(
        from_date=env.project.days[0],
        to_date=env.project.days[0],
        options={"promote": {"$os": "text", "mp_lib": "text"}},
    )
    columns = {name: kind for name, kind, *_ in env.rows("DESCRIBE mixpanel.events")}
    assert columns["os"] == "VARCHAR"
    mismatch = env.rows(
        "SELECT count(*) FROM mixpanel.events WHERE os IS DISTINCT FROM properties->>'$.\"$os\"'"
    )
    assert mismatch == [(0,)]


def test_events_filter_is_passed_to_the_api(standin_env):
    env = standin_env(start=datetime(2024, 3, 8).date(), days=1)
    day = env.project.days[0]
    env.run(from_date=day, to_date=day, options={"events": ["Purchase"]})
    names = env.rows("SELECT DISTINCT event_name FROM mixpanel.events")
    assert names == [("Purchase",)]
    want = sum(1 for e in env.project.unique_events(day) if e["event"] == "Purchase")
    assert env.rows("SELECT count(*) FROM mixpanel.events") == [(want,)]


def test_incremental_run_adds_only_new_rows_and_picks_up_late_data(standin_env, ending_today):
    env = standin_env(start=ending_today(8), days=8)
    days = env.project.days
    env.run(from_date=days[0], to_date=days[4])  # first load establishes the cursor
    assert env.counts_by_day() == env.truth_by_day(days[:5])

    second = env.run()  # continues from the cursor (minus the lookback) to today

    assert env.counts_by_day() == env.truth_by_day()
    assert second.rows_new == sum(env.project.unique_count(d) for d in days[5:])

    late_day = days[-3]  # inside the 5-day lookback
    late = env.server.add_late_events(late_day, 7)
    third = env.run()
    assert third.rows_new == len({e["properties"].get("$insert_id") for e in late})
    assert env.counts_by_day() == env.truth_by_day()


def test_backfill_leaves_the_stored_cursor_alone(standin_env, ending_today):
    env = standin_env(start=ending_today(10), days=10)
    days = env.project.days
    env.run(from_date=days[5], to_date=days[-1])
    cursor = _cursor(env)
    assert cursor == str(days[-1])

    env.run(from_date=days[0], to_date=days[2])  # backfill of older days

    assert _cursor(env) == cursor
    assert env.counts_by_day() == env.truth_by_day(days[:3] + days[5:])


def test_rerun_with_nothing_new_stores_nothing_new(standin_env, ending_today):
    env = standin_env(start=ending_today(4), days=4)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    again = env.run()
    assert again.rows_new == 0
    assert again.rows_fetched > 0  # the lookback window was re-read
    assert env.counts_by_day() == env.truth_by_day()


def _cursor(env):
    import dlt

    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.data_dir / "pipelines"))
    return str(pipeline.state["sources"]["mixpanel"]["resources"]["events"]["cursor"])[:10]


def test_small_days_share_export_requests(standin_env):
    """Measured windows grow past one day, so 20 small days cost far fewer than 20 requests."""
    env = standin_env(start=datetime(2024, 3, 1).date(), days=20, events_per_day=150)
    summary = env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    exports = env.server.requests.filter(family="export")
    assert summary.days_covered == 20
    assert 1 < len(exports) <= 10, [r.endpoint for r in exports]
    assert env.counts_by_day() == env.truth_by_day()


def test_loaded_data_files_are_not_kept(standin_env):
    """dlt would keep every loaded parquet file: a hidden second copy of the data."""
    env = standin_env(start=datetime(2024, 3, 8).date(), days=3)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    kept = [p.name for p in (env.data_dir / "pipelines").rglob("*.parquet")]
    assert kept == []
    assert env.counts_by_day() == env.truth_by_day()
