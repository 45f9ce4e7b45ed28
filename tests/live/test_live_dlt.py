"""Report sources through dlt into DuckDB, read back and compared with the stand-in's answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from mixpanel_data.cli.errors import exit_code_for
from mixpanel_data.sources.mixpanel import (
    mixpanel_funnels,
    mixpanel_insights,
    mixpanel_lists,
    mixpanel_retention,
    mixpanel_segmentation,
)
from mixpanel_data.standin import answers

TZ = "America/Los_Angeles"
ON = 'properties["$os"]'


class Loader:
    """One dlt pipeline into a DuckDB file, and SQL on what it loaded."""

    def __init__(self, root: Path) -> None:
        self.path = root / "loaded.duckdb"
        self.pipeline = dlt.pipeline(
            pipeline_name="reports",
            destination=dlt.destinations.duckdb(str(self.path)),
            dataset_name="reports",
            pipelines_dir=str(root / "pipelines"),
        )

    def run(self, source: Any) -> None:
        self.pipeline.run(source)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture
def loader(tmp_path: Path) -> Loader:
    return Loader(tmp_path)


def test_funnels_and_segmentation_load_and_read_back(standin_env, loader):
    env = standin_env()
    first, last = env.project.days[0], env.project.days[-1]
    funnels = mixpanel_funnels(funnel_ids=[7509, 7510], from_date=first, to_date=last)
    segments = mixpanel_segmentation(
        events=["Login", "Purchase"], on=ON, from_date=first, to_date=last
    )
    for _ in range(2):  # a second run merges onto the same keys
        loader.run(funnels)
        loader.run(segments)
    loaded = loader.rows(
        "SELECT funnel_id, funnel_name, date, step, count, step_conversion "
        "FROM reports.funnel_steps WHERE segment = '$overall' ORDER BY funnel_id, date, step"
    )
    expected = []
    for ident in (7509, 7510):
        truth = answers.funnel(env.project, ident, first, last)
        name = env.project.funnel(ident).name
        for day, block in sorted(truth["data"].items()):
            expected += [
                (ident, name, date.fromisoformat(day), i + 1, s["count"], s["step_conv_ratio"])
                for i, s in enumerate(block["steps"])
            ]
    assert loaded == expected
    assert loader.rows("SELECT DISTINCT report FROM reports.funnel_steps ORDER BY 1") == [
        ("7509",),
        ("7510",),
    ]
    assert loader.rows("SELECT count(*) FROM reports.funnels") == [(3,)]
    for event in ("Login", "Purchase"):
        truth = answers.segmentation(env.project, event, first, last, on=ON)["data"]["values"]
        got = loader.rows(
            "SELECT segment, CAST(date AS VARCHAR), value FROM reports.segmentation "
            f"WHERE event = '{event}'"
        )
        assert {(s, d): v for s, d, v in got} == {
            (s, d): float(n) for s, per in truth.items() for d, n in per.items()
        }
        assert loader.rows(
            f"SELECT DISTINCT report FROM reports.segmentation WHERE event = '{event}'"
        ) == [(f"{event}|on={ON}",)]


def test_lists_insights_and_retention_load(standin_env, loader):
    env = standin_env(now=datetime(2024, 3, 8, tzinfo=UTC))  # event names: its last 31 days
    first, last = env.project.days[0], env.project.days[2]
    loader.run(mixpanel_lists(cohort_ids=[1002]))
    loader.run(mixpanel_lists(cohort_ids=[1002]))  # replace: no duplicates
    loader.run(mixpanel_insights(bookmark_ids=[44003]))
    loader.run(
        mixpanel_retention("Sign Up", "Login", interval_count=2, from_date=first, to_date=last)
    )
    names = loader.rows("SELECT event FROM reports.event_names")
    assert sorted(n for (n,) in names) == sorted(answers.event_names(env.project))
    columns = loader.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'event_names' "
        "AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
    )
    assert columns == [("event",)]  # no "rank": Mixpanel's order is alphabetical, not counts
    assert loader.rows("SELECT id, count FROM reports.cohorts ORDER BY id") == [
        (c["id"], c["count"]) for c in answers.cohorts_list(env.project)
    ]
    members = loader.rows("SELECT distinct_id FROM reports.cohort_members")
    assert sorted(m for (m,) in members) == sorted(env.project.cohort_members(1002))
    assert loader.rows("SELECT count(*) FROM reports.annotations") == [(4,)]
    assert loader.rows("SELECT count(DISTINCT name) FROM reports.schemas") == [(4,)]
    truth = answers.insights(env.project, 44003)["series"]["Purchase"]
    got = loader.rows("SELECT segment, timestamp, value FROM reports.insights")
    assert {(s, t): v for s, t, v in got} == {
        (f"Purchase / {country}", stamp): float(n)
        for country, per in truth.items()
        for stamp, n in per.items()
    }
    truth = answers.retention(env.project, first, last, "Sign Up", "Login", "day", 2)
    got = loader.rows("SELECT CAST(date AS VARCHAR), period, size, count FROM reports.retention")
    assert sorted(got) == sorted(
        (d, i, v["first"], n) for d, v in truth.items() for i, n in enumerate(v["counts"])
    )


def test_insights_totals_and_overall_rows_load(standin_env, loader):
    """A bar chart with ``$overall`` (bookmark 44004): one row per country plus Mixpanel's own
    total, ``timestamp`` ``all`` and a null ``date`` (the old source crashed on
    ``date.fromisoformat("all")``); a funnel bookmark stops the load with exit 3."""
    env = standin_env()
    loader.run(mixpanel_insights(bookmark_ids=[44004]))
    truth = answers.insights(env.project, 44004)["series"]["Purchase"]
    got = loader.rows(
        "SELECT segment, timestamp, date, overall, value FROM reports.insights ORDER BY segment"
    )
    assert got == sorted(
        (f"Purchase / {c}", "all", None, c == "$overall", float(v["all"])) for c, v in truth.items()
    )
    total = float(truth["$overall"]["all"])
    assert loader.rows("SELECT sum(value) FROM reports.insights WHERE NOT overall") == [(total,)]
    with pytest.raises(Exception) as failed:
        loader.run(mixpanel_insights(bookmark_ids=[44006]))
    assert exit_code_for(failed.value) == 3
    assert "Bookmark 44006 is a saved funnels report" in str(failed.value)


def test_incremental_runs_reread_the_lookback_window(standin_env, ending_today, loader):
    env = standin_env(start=ending_today(4), days=4)
    today = env.project.days[-1]
    source = {"events": ["Login"], "project_timezone": TZ, "lookback_days": 1, "start_days_ago": 4}
    loader.run(mixpanel_segmentation(**source))
    loader.run(mixpanel_segmentation(**source))
    asked = [
        (r.params["from_date"], r.params["to_date"])
        for r in env.server.requests.filter(endpoint="segmentation")
    ]
    assert asked == [
        (str(today - timedelta(days=3)), str(today)),
        (str(today - timedelta(days=1)), str(today)),
    ]
    loader.run(
        mixpanel_segmentation(**source, from_date=env.project.days[0], to_date=env.project.days[1])
    )
    loader.run(mixpanel_segmentation(**source))  # the backfill left the cursor alone
    last = env.server.requests.filter(endpoint="segmentation")[-1]
    assert last.params["from_date"] == str(today - timedelta(days=1))
    truth = answers.segmentation(env.project, "Login", env.project.days[0], today)
    got = loader.rows("SELECT CAST(date AS VARCHAR), value FROM reports.segmentation")
    assert dict(got) == {d: float(n) for d, n in truth["data"]["values"]["Login"].items()}


def test_report_sources_wait_for_the_hourly_budget_like_a_load(standin_env, monkeypatch):
    """One Query request per saved report: a report source waits for the budget (up to an
    hour), where a live query gives up after a minute; MP_MAX_WAIT still caps it."""
    from mixpanel_data.config.limits import LIVE_MAX_WAIT, LOAD_MAX_WAIT
    from mixpanel_data.live import live_client
    from mixpanel_data.sources.mixpanel.report_params import report_client

    standin_env()
    with report_client(None, None, None) as client, live_client() as live:
        assert (client.limits.max_wait, live.limits.max_wait) == (LOAD_MAX_WAIT, LIVE_MAX_WAIT)
    monkeypatch.setenv("MP_MAX_WAIT", "30")
    with report_client(None, None, None) as client:
        assert client.limits.max_wait == 30


def test_shared_settings_reach_every_report_source_through_dlt(
    standin_env, ending_today, loader, monkeypatch
):
    """The window and connection parameters are written once (``report_params``) but stand in
    each source's signature, so ``SOURCES__MIXPANEL__<NAME>`` reaches them; an argument wins."""
    from mixpanel_data.sources.mixpanel import REPORT_SOURCES

    for name, source in REPORT_SOURCES.items():
        fields = set(source.ref.SPEC.get_resolvable_fields())
        assert {"credentials", "account", "base_url", "client"} <= fields, name
        dated = {"from_date", "to_date", "lookback_days", "start_days_ago", "project_timezone"}
        assert (dated <= fields) == (name in ("funnels", "segmentation", "retention")), name
    env = standin_env(start=ending_today(4), days=4)
    today = env.project.days[-1]
    monkeypatch.setenv("SOURCES__MIXPANEL__LOOKBACK_DAYS", "1")
    monkeypatch.setenv("SOURCES__MIXPANEL__START_DAYS_AGO", "3")
    monkeypatch.setenv("SOURCES__MIXPANEL__PROJECT_TIMEZONE", TZ)
    loader.run(mixpanel_segmentation(events=["Login"]))
    loader.run(mixpanel_segmentation(events=["Login"], lookback_days=0))
    asked = [
        (r.params["from_date"], r.params["to_date"])
        for r in env.server.requests.filter(endpoint="segmentation")
    ]
    assert asked == [(str(today - timedelta(days=2)), str(today)), (str(today), str(today))]
