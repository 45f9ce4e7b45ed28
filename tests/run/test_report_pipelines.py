"""Report pipelines in pipelines.yaml: named, listed, run by `mp run` and by the scheduler.

Each run is a real `mp` subprocess against the stand-in; the loaded table must hold exactly
the numbers the live call returns for the same days.
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mixpanel_data import live
from mixpanel_data.config.pipelines import load_pipelines
from mixpanel_data.config.reports import REPORT_FAMILIES
from mixpanel_data.local import history

from ..cli.mpcli import mp

ON = 'properties["$os"]'
YAML = """\
pipelines:
  signups:
    source: mixpanel_funnels
    options:
      funnel_ids: [7509, 7510]
      start_days_ago: 4
    schedule: {cron: "0 7 * * *", timezone: America/Los_Angeles}
  logins:
    source: mixpanel_segmentation
    options:
      events: [Login, Purchase]
      on: properties["$os"]
"""


def _funnel_rows(env: Any, first: date, last: date) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """What the live call answers, keyed like the table's primary key."""
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    with live.live_client() as api:
        for ident in (7509, 7510):
            for r in live.funnel(api, ident, first, last, unit="day").records():
                key = (ident, date.fromisoformat(r["date"]), r["segment"], r["step"])
                out[key] = (r["count"], r["step_conversion"], r["overall_conversion"])
    return out


def _loaded_funnels(env: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows = env.rows(
        "SELECT funnel_id, date, segment, step, count, step_conversion, overall_conversion "
        "FROM reports.funnel_steps"
    )
    return {tuple(r[:4]): tuple(r[4:]) for r in rows}


def test_mp_run_loads_a_report_pipeline_with_the_live_numbers(standin_env, tmp_path):
    env = standin_env()
    (tmp_path / "pipelines.yaml").write_text(YAML)
    first, last = env.project.days[0], env.project.days[-1]
    days = ["--from", str(first), "--to", str(last)]
    done = mp("run", "signups", *days)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    truth = _funnel_rows(env, first, last)
    assert len(truth) == 2 * 6 * 3  # two funnels, six days, three steps
    assert _loaded_funnels(env) == truth
    assert summary["table_rows"] == {"funnels": 3, "funnel_steps": len(truth)}
    assert "reports.funnel_steps" in done.stderr
    again = mp("run", "signups", *days)  # merged on its key: the same rows, not twice
    assert again.returncode == 0, again.stderr
    assert _loaded_funnels(env) == truth
    refresh = mp("run", "signups", "--full-refresh", "--from", str(last), "--to", str(last))
    assert refresh.returncode == 0, refresh.stderr  # the tables hold just that day now
    assert _loaded_funnels(env) == {k: v for k, v in truth.items() if k[1] == last}

    done = mp("run", "logins", *days)
    assert done.returncode == 0, done.stderr
    with live.live_client() as api:
        for event in ("Login", "Purchase"):
            answer = live.segmentation(api, event, first, last, on=ON)
            expected = {(r["segment"], r["date"]): float(r["value"]) for r in answer.records()}
            got = env.rows(
                "SELECT segment, CAST(date AS VARCHAR), value FROM reports.segmentation "
                f"WHERE event = '{event}'"
            )
            assert {(s, d): v for s, d, v in got} == expected
            assert expected and any(expected.values())

    listed = {p["name"]: p for p in json.loads(mp("-f", "json", "pipelines").stdout)}
    assert listed["signups"]["source"] == "mixpanel_funnels"
    assert listed["signups"]["resources"] == "funnels,funnel_steps"
    assert listed["signups"]["dataset"] == "reports"
    assert listed["signups"]["schedule"] == "0 7 * * *"
    assert listed["signups"]["next_run"]
    assert listed["events"]["source"] == "mixpanel"


def test_the_scheduler_runs_a_scheduled_report_pipeline(standin_env, ending_today, tmp_path):
    """`mp schedule run --once` catches up a missed run of the report pipeline: its first
    incremental window (start_days_ago: 4 → the last 4 project days) lands with the live
    numbers of those days."""
    env = standin_env(start=ending_today(6), days=6)
    (tmp_path / "pipelines.yaml").write_text(YAML)
    schedule = env.data_dir / "schedule"
    missed = datetime.now(UTC) - timedelta(days=3)
    run = history.record_start(schedule, "signups", missed)
    history.record_end(schedule, run, "success", 0, 1.0)
    done = mp("schedule", "run", "--once")
    assert done.returncode == 0, done.stderr
    last = env.project.days[-1]
    truth = _funnel_rows(env, last - timedelta(days=3), last)
    assert len(truth) == 2 * 4 * 3
    assert _loaded_funnels(env) == truth
    status = {r["pipeline"]: r for r in json.loads(mp("-f", "json", "schedule", "status").stdout)}
    assert status["signups"]["last_failure"] is None
    assert status["signups"]["last_success_rows"] == len(truth) + 3  # steps and the 3 funnels


@pytest.mark.parametrize(
    ("options", "line", "words"),
    [
        ("funnel_ids: [7509, seven]", 6, "pipelines.p.options.funnel_ids: 'seven' is not"),
        ("unit: hour", 6, "pipelines.p.options.unit: 'hour' is not one of day, week, month"),
        ("lookback_days: -2", 6, "pipelines.p.options.lookback_days"),
        ("funnel_idz: [1]", 5, "unknown option 'funnel_idz' for source mixpanel_funnels"),
    ],
    ids=["bad-id", "bad-unit", "bad-lookback", "unknown-option"],
)
def test_bad_report_options_exit_3_with_file_and_line(tmp_path, monkeypatch, options, line, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines.yaml").write_text(
        "# reports\npipelines:\n  p:\n    source: mixpanel_funnels\n"
        f"    options:\n      {options}\n"
    )
    done = mp("run", "p")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"Error: pipelines.yaml:{line}: " in done.stderr and words in done.stderr


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (
            "source: mixpanel_segmentation\n",
            2,
            "source mixpanel_segmentation needs option 'events'",
        ),
        ("source: mixpanel_insights\n", 2, "needs option 'bookmark_ids'"),
        ("source: mixpanel_lists\n    resources: [events]\n", 4, "'events' is not a table of"),
        ("source: mixpanel_retention\n    options: {unit: week}\n", 2, "option 'born_event'"),
        ("source: mixpanel_report\n", 3, "pipelines.p.source"),
        (
            "source: mixpanel_segmentation\n    options: {events: [A], unit: week, type: unique}\n",
            2,
            "unit week with type unique cannot be added up from days",
        ),
    ],
)
def test_report_pipelines_need_their_own_options_and_tables(tmp_path, body, line, words):
    path = tmp_path / "pipelines.yaml"
    path.write_text(f"pipelines:\n  p:\n    {body}")
    from mixpanel_data.exceptions import PipelineConfigError

    with pytest.raises(PipelineConfigError, match=words) as err:
        load_pipelines(path)
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_a_report_without_dates_refuses_from_and_to(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines.yaml").write_text("pipelines:\n  l:\n    source: mixpanel_lists\n")
    done = mp("run", "l", "--from", "2024-03-01")
    assert done.returncode == 3
    assert "mixpanel_lists" in done.stderr and "drop --from/--to" in done.stderr


def test_report_pipeline_defaults(tmp_path):
    path = tmp_path / "pipelines.yaml"
    path.write_text(
        "pipelines:\n"
        "  l:\n    source: mixpanel_lists\n"
        "  m:\n    source: mixpanel_lists\n    options: {cohort_ids: [1002]}\n"
        "  r:\n    source: mixpanel_retention\n    options: {retention_type: compounded}\n"
    )
    specs = load_pipelines(path)
    assert specs["l"].resources == ["event_names", "cohorts", "annotations", "schemas"]
    assert specs["m"].resources[-1] == "cohort_members"
    assert (specs["l"].dataset, specs["l"].dlt_name) == ("reports", "mp_report_l")
    assert specs["r"].resources == ["retention"]  # compounded needs no born event
    assert specs["events"].dlt_name == "mp_mixpanel"  # the events pipeline is unchanged


def test_option_rules_match_the_report_sources():
    """Every option pipelines.yaml accepts is a parameter of its source, every table a
    resource it makes; and every parameter but the run-time ones is an option."""
    from mixpanel_data.sources.mixpanel import REPORT_SOURCES

    run_time = {"from_date", "to_date", "credentials", "client"}
    required = {
        "mixpanel_segmentation": {"events": ["Login"]},
        "mixpanel_retention": {"born_event": "Sign Up"},
        "mixpanel_insights": {"bookmark_ids": [44003]},
        "mixpanel_lists": {"cohort_ids": [1002]},
    }
    for name, family in REPORT_FAMILIES.items():
        build = REPORT_SOURCES[name.removeprefix("mixpanel_")]
        params = set(inspect.signature(build).parameters)
        assert set(family.rules) <= params, name
        assert params - run_time - set(family.rules) == set(), name
        source = build(client=object(), **required.get(name, {}))
        assert set(source.resources) == set(family.tables), name
