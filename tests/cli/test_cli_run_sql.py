"""``mp run`` and ``mp sql`` as real subprocesses against the stand-in; exit codes; no secrets."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date

import pytest

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def mp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MP, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=300
    )


@pytest.fixture
def loaded(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=3)
    first, last = env.project.days[0], env.project.days[-1]
    result = mp("--format", "json", "run", "events", "--from", str(first), "--to", str(last))
    assert result.returncode == 0, result.stderr
    return env, result


def test_run_prints_summary_json_and_status_on_stderr(loaded):
    env, result = loaded
    summary = json.loads(result.stdout)
    unique = sum(env.project.unique_count(d) for d in env.project.days)
    assert summary["rows_new"] == unique
    assert summary["duplicates_dropped"] == summary["rows_fetched"] - unique
    assert summary["days_covered"] == 3
    assert "Done:" in result.stderr


def test_sql_sees_plain_table_names_in_every_format(loaded):
    env, _ = loaded
    unique = sum(env.project.unique_count(d) for d in env.project.days)
    out = mp("--format", "json", "sql", "SELECT count(*) AS n FROM events")
    assert json.loads(out.stdout) == [{"n": unique}]
    out = mp("--format", "csv", "sql", "SELECT count(*) AS n FROM events")
    assert list(csv.DictReader(io.StringIO(out.stdout))) == [{"n": str(unique)}]
    out = mp("--format", "jsonl", "sql", "SELECT event_name, count(*) AS n FROM events GROUP BY 1")
    assert sum(json.loads(line)["n"] for line in out.stdout.splitlines()) == unique
    out = mp("sql", "--scalar", "SELECT count(*) FROM events")
    assert out.stdout.strip() == str(unique)


def test_sql_file_with_bound_parameters(loaded, tmp_path):
    env, _ = loaded
    day = env.project.days[1]
    query = tmp_path / "q.sql"
    query.write_text("SELECT count(*) AS n FROM events WHERE export_date = CAST($day AS DATE)")
    out = mp("--format", "json", "sql", str(query), "--param", f"day={day}")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"n": env.project.unique_count(day)}]
    missing = mp("sql", str(query))
    assert missing.returncode == 3 and "Missing parameter 'day'" in missing.stderr
    unknown = mp("sql", str(query), "--param", f"day={day}", "--param", "x=1")
    assert unknown.returncode == 3 and "Unknown parameter 'x'" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["run", "events", "--from", "2024-13-01"], 3, "is not a date"),
        (["run", "nope"], 4, "No pipeline named 'nope'"),
        (["run"], 3, "Missing argument"),
        (["--format", "xml", "tables"], 3, "xml"),
        (["bogus-command"], 3, "No such command"),
        (["sql", "missing.sql"], 4, "No SQL file"),
        (["sql", "SELEC 1"], 1, "SQL failed"),
    ],
    ids=[
        "bad-date",
        "unknown-pipeline",
        "missing-arg",
        "bad-format",
        "bad-command",
        "no-file",
        "bad-sql",
    ],
)
def test_errors_are_one_line_with_documented_exit_codes(loaded, args, code, text):
    out = mp(*args)
    assert out.returncode == code, out.stderr
    assert text in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_bad_credentials_exit_2_without_leaking_the_secret(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=1)
    child = {**os.environ, "MP_SECRET": "wrong-secret-value-123"}
    day = str(env.project.days[0])
    out = mp("run", "events", "--from", day, "--to", day, env=child)
    assert out.returncode == 2, out.stderr
    assert "wrong-secret-value-123" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_no_output_ever_contains_the_secret(loaded):
    env, result = loaded
    secret = env.server.auth[1]
    outputs = [result.stdout, result.stderr]
    for args in (["info"], ["tables"], ["pipelines"], ["sql", "SELECT 1"]):
        out = mp(*args)
        outputs += [out.stdout, out.stderr]
    assert all(secret not in text for text in outputs)


def test_run_refuses_while_the_pipeline_is_locked(standin_env):
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.schedule.lock import run_lock

    env = standin_env(start=date(2024, 3, 8), days=1)
    day = str(env.project.days[0])
    with run_lock(env.data_dir / "schedule", get_pipeline("events")) as held:
        assert held
        out = mp("run", "events", "--from", day, "--to", day)
    assert out.returncode == 1
    assert "already running" in out.stderr
    assert env.server.requests.snapshot() == []  # nothing was fetched
    again = mp("run", "events", "--from", day, "--to", day)
    assert again.returncode == 0, again.stderr
