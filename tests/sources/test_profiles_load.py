"""Profiles: engage paging (concurrent pages), merge on distinct_id, incremental on $last_seen."""

from __future__ import annotations

import json
from datetime import date, datetime

from mixpanel_data.run.runner import run_pipeline


def test_profiles_load_every_profile_once_across_pages(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=2, profiles=2_350)
    summary = env.run("profiles", options={"profile_page_size": 500})

    truth = {p["$distinct_id"]: p["$properties"] for p in env.project.profiles()}
    rows = env.rows("SELECT distinct_id, properties, last_seen FROM mixpanel.profiles")
    assert summary.rows_new == len(truth) == len(rows)
    assert {r[0] for r in rows} == set(truth)
    for distinct_id, props, last_seen in rows[:200]:
        assert json.loads(props) == truth[distinct_id]
        assert last_seen.isoformat() == truth[distinct_id]["$last_seen"]
    pages = [r for r in env.server.requests.snapshot() if r.endpoint == "engage"]
    assert len(pages) == 5  # ceil(2350 / 500): page 0, then pages 1-4 concurrently


def test_profiles_incremental_fetches_only_updated_profiles(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=2, profiles=300)
    env.run("profiles")
    touched = env.server.touch_profiles(12, when=datetime(2024, 3, 10, 1, 0))
    env.server.requests.clear()

    again = env.run("profiles")

    assert again.rows_new == 0
    assert again.rows_fetched == 13  # the touched 12 and the previous maximum ($last_seen >=)
    assert env.rows("SELECT count(*) FROM mixpanel.profiles") == [(300,)]
    bodies = [r for r in env.server.requests.snapshot() if r.endpoint == "engage"]
    assert bodies and all("$last_seen" in str(r.params.get("where")) for r in bodies)
    fresh = dict(env.rows("SELECT distinct_id, last_seen FROM mixpanel.profiles"))
    truth = {p["$distinct_id"]: p["$properties"]["$last_seen"] for p in env.project.profiles()}
    assert all(fresh[t].isoformat() == truth[t] for t in touched)


def test_profiles_cohort_filter(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=2, profiles=400)
    env.run("profiles", options={"cohort_id": 1000})
    members = set(env.project.cohort_members(1000))
    stored = {r[0] for r in env.rows("SELECT distinct_id FROM mixpanel.profiles")}
    assert stored and stored <= members


def test_profiles_expired_session_restarts_the_listing(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=2, profiles=1_200)
    env.server.add_fault("expired_session", family="engage")
    env.run("profiles", options={"profile_page_size": 400, "profile_concurrency": 1})
    assert env.rows("SELECT count(*) FROM mixpanel.profiles") == [(1_200,)]
    assert run_pipeline  # imported API stays public
