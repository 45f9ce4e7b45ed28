"""The live commands end to end: json/csv/table output checked against the stand-in's answers,
exit codes through the real error boundary (in-process ``run()``, plus real subprocesses).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from mixpanel_data.cli.main import run
from mixpanel_data.standin import answers

FIRST, LAST = "2024-03-01", "2024-03-06"
Result = tuple[int, str, str]


@pytest.fixture
def env(standin_env):
    return standin_env(seed=11, days=6, events_per_day=400)


@pytest.fixture
def mp(capsys, monkeypatch, env) -> Callable[..., Result]:
    """``mp(*args)``: the console entry point in this process -> (exit code, stdout, stderr)."""

    def call(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["mp", *args])
        with pytest.raises(SystemExit) as done:
            run()
        out, err = capsys.readouterr()
        return int(done.value.code or 0), out, err

    return call


def rows(fmt: str, out: str) -> list[dict[str, Any]]:
    if fmt == "json":
        return json.loads(out)
    if fmt == "jsonl":
        return [json.loads(line) for line in out.splitlines()]
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_segmentation_rows_in_every_data_format(mp, env, fmt):
    code, out, _ = mp(
        "-f",
        fmt,
        "segmentation",
        "-e",
        "Login",
        "--from",
        FIRST,
        "--to",
        LAST,
        "--on",
        'properties["$os"]',
    )
    assert code == 0
    truth = answers.segmentation(
        env.project, "Login", env.project.days[0], env.project.days[-1], on='properties["$os"]'
    )
    expected = {(d, seg): n for seg, per in truth["data"]["values"].items() for d, n in per.items()}
    got = {(r["date"], r["segment"]): int(r["value"]) for r in rows(fmt, out)}
    assert got == expected


def test_segmentation_table(mp, env):
    code, out, _ = mp("-f", "table", "segmentation", "-e", "Login", "--from", FIRST, "--to", FIRST)
    truth = answers.segmentation(env.project, "Login", env.project.days[0], env.project.days[0])
    assert code == 0
    assert "date" in out and "segment" in out and "value" in out
    assert f"│ {truth['data']['values']['Login'][FIRST]} " in out


def test_funnel_summary_and_by_date(mp, env):
    code, out, _ = mp("-f", "json", "funnel", "7509", "--from", FIRST, "--to", LAST)
    assert code == 0
    truth = answers.funnel(env.project, 7509, env.project.days[0], env.project.days[-1])
    sums = [sum(day["steps"][i]["count"] for day in truth["data"].values()) for i in range(3)]
    summary = json.loads(out)
    assert [r["count"] for r in summary] == sums
    assert [r["event"] for r in summary] == ["Sign Up", "Add To Cart", "Purchase"]
    assert summary[2]["overall_conversion"] == sums[2] / sums[0]
    assert "segment" not in summary[0]
    code, out, _ = mp(
        "-f", "csv", "funnel", "7509", "--from", FIRST, "--to", LAST, "--by-date", "--unit", "week"
    )
    weekly = answers.funnel(
        env.project, 7509, env.project.days[0], env.project.days[-1], unit="week"
    )
    got = {(r["date"], int(r["step"])): int(r["count"]) for r in rows("csv", out)}
    assert got == {
        (d, i + 1): s["count"] for d, v in weekly["data"].items() for i, s in enumerate(v["steps"])
    }
    code, out, _ = mp("-f", "table", "funnel", "7511", "--from", FIRST, "--to", LAST)
    assert code == 0 and "Café ☕ ordered" in out and "overall_conversion" in out


def test_funnels_retention_and_insights(mp, env):
    code, out, _ = mp("-f", "json", "funnels")
    assert (code, json.loads(out)) == (0, answers.funnels_list())
    code, out, _ = mp(
        "-f",
        "csv",
        "retention",
        "--born",
        "Sign Up",
        "--return",
        "Login",
        "--from",
        FIRST,
        "--to",
        "2024-03-03",
        "--interval-count",
        "2",
    )
    assert code == 0
    truth = answers.retention(
        env.project, env.project.days[0], env.project.days[2], "Sign Up", "Login", "day", 2
    )
    got: dict[str, list[int]] = {}
    for r in rows("csv", out):
        got.setdefault(r["date"], []).append(int(r["count"]))
    assert got == {d: v["counts"] for d, v in truth.items()}
    code, out, _ = mp("-f", "table", "insights", "44003")
    assert code == 0 and "mp_country_code" in out and "Purchase" in out
    code, out, _ = mp("-f", "jsonl", "insights", "44001")
    series = answers.insights(env.project, 44001)["series"]["Login"]
    assert [json.loads(line)["value"] for line in out.splitlines()] == list(series.values())


def test_jql_file_with_params(mp, env, tmp_path):
    script = tmp_path / "count.js"
    script.write_text(
        "function main() { return Events({from_date: params.from, "
        "to_date: params.to}).reduce(mixpanel.reducer.count()); }"
    )
    code, out, _ = mp(
        "-f", "json", "jql", str(script), "--param", f"from={FIRST}", "--param", f"to={FIRST}"
    )
    truth = answers.run_jql(env.project, script.read_text(), {"from": FIRST, "to": FIRST})
    assert code == 0
    assert json.loads(out) == [{"value": truth[0]}]


def test_discovery_commands(mp, env):
    project = env.project
    code, out, _ = mp("-f", "json", "events")
    assert [r["event"] for r in json.loads(out)] == answers.event_names(project)
    code, out, _ = mp("-f", "csv", "events", "--top", "--limit", "2")
    top = answers.events_top(project)["events"][:2]
    assert [(r["event"], int(r["amount"])) for r in rows("csv", out)] == [
        (e["event"], e["amount"]) for e in top
    ]
    code, out, _ = mp("-f", "json", "properties", "Purchase")
    truth = answers.event_properties_top(project, "Purchase", 10)
    assert {r["property"]: r["count"] for r in json.loads(out)} == {
        k: v.get("count") for k, v in truth.items()
    }
    code, out, _ = mp("-f", "csv", "values", "Purchase", "currency", "--limit", "2")
    assert [r["value"] for r in rows("csv", out)] == answers.event_property_values(
        project, "Purchase", "currency", 2
    )
    code, out, _ = mp("-f", "table", "cohorts")
    assert code == 0 and "Beta testers ☕" in out and "is_visible" in out
    code, out, _ = mp("-f", "json", "cohorts", "--members", "1002")
    assert sorted(r["distinct_id"] for r in json.loads(out)) == sorted(project.cohort_members(1002))
    code, out, _ = mp("-f", "csv", "annotations", "--from", FIRST, "--to", "2024-03-03")
    assert [r["description"] for r in rows("csv", out)] == [
        "Launched v3 ☕ checkout",
        "Spring campaign — emails sent",
    ]
    code, out, _ = mp("-f", "json", "schemas", "--type", "profile")
    assert {r["property"] for r in json.loads(out)} == {"plan", "lifetime_value", "beta_tester"}


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["segmentation", "-e", "Login", "--from", "2024-3-1", "--to", LAST], 3, "not a date"),
        (
            ["segmentation", "-e", "Login", "--from", FIRST, "--to", LAST, "--unit", "year"],
            3,
            "unit 'year'",
        ),
        (["funnel", "x7509", "--from", FIRST, "--to", LAST], 3, "not an id"),
        (["funnel", "7509", "--from", LAST, "--to", FIRST], 3, "swap them"),
        (["retention", "--from", FIRST, "--to", LAST], 3, "--born"),
        (["insights", "0"], 3, "not an id"),
        (["values", "Purchase", "currency", "--limit", "0"], 3, "at least 1"),
        (["segmentation", "-e", "Login", "--to", LAST], 3, "Missing option '--from'"),
        (["jql", "missing.js"], 4, "No JQL file"),
        (["funnel", "99", "--from", FIRST, "--to", LAST], 4, "unknown funnel_id 99"),
    ],
    ids=[
        "date",
        "unit",
        "funnel-id",
        "reversed",
        "born",
        "bookmark",
        "limit",
        "missing-from",
        "jql-file",
        "unknown-funnel",
    ],
)
def test_errors_are_one_line_with_documented_exit_codes(mp, env, args, code, text):
    got, out, err = mp(*args)
    assert got == code, err
    assert text in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""
    if code == 3:
        assert len(env.server.requests) == 0


def test_bad_input_wins_over_missing_credentials(mp, monkeypatch):
    monkeypatch.delenv("MP_SECRET")
    code, _, err = mp("funnel", "7509", "--from", "yesterday", "--to", LAST)
    assert code == 3 and "not a date" in err
    code, _, err = mp("funnels")
    assert code == 2 and "No Mixpanel credentials" in err


MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def test_subprocess_rate_limit_exit_5_and_bad_secret_exit_2(env):
    env.server.add_fault("429", family="query", times=-1, retry_after=900)
    out = subprocess.run(
        [*MP, "-f", "json", "funnels"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert out.returncode == 5, out.stderr
    assert "room again in about 15 min" in out.stderr and out.stdout == ""
    env.server.clear_faults()
    secret = "wrong-secret-value-123"
    out = subprocess.run(
        [*MP, "events", "--format", "csv"],
        capture_output=True,
        text=True,
        env={**os.environ, "MP_SECRET": secret},
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert secret not in out.stderr + out.stdout


def test_subprocess_429_then_success(env):
    env.server.add_fault("429", family="query", times=1, retry_after=0)
    args = [*MP, "values", "Purchase", "currency", "-f", "csv"]
    out = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "value"
    assert [r.status for r in env.server.requests] == [429, 200]


def test_insights_shapes_on_the_command_line(mp, env):
    """A bar chart prints null dates; a funnel bookmark is one line, exit 3 (was a traceback)."""
    code, out, err = mp("-f", "json", "insights", "44004")
    assert code == 0, err
    got = json.loads(out)
    truth = answers.insights(env.project, 44004)["series"]["Purchase"]
    assert got[0] == {
        "$event": "Purchase",
        "mp_country_code": "$overall",
        "date": None,
        "value": truth["$overall"]["all"],
    }
    assert len(got) == len(truth)
    code, out, err = mp("insights", "44006")
    assert (code, out) == (3, "")
    assert err.strip().splitlines() == [
        "Error: Bookmark 44006 is a saved funnels report, not an Insights one, so /insights "
        "cannot be read as Insights numbers: load it with `mp funnel FUNNEL_ID` "
        "(ids from `mp funnels`)."
    ]
