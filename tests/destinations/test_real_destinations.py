"""The stand-in project loaded into DuckDB, a real PostgreSQL and a Delta lake: same rows, same
answers to the same ``mp sql``, and the events merge/dedupe holds on each (re-runs add nothing)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mixpanel_data.cli.main import main

DESTINATIONS = ("duck", "pg", "lake")
QUERIES = [
    "SELECT event_name, count(*) AS n, count(DISTINCT distinct_id) AS users "
    "FROM events GROUP BY 1 ORDER BY 1",
    "SELECT export_date, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
    "SELECT count(*) AS n, count(DISTINCT event_key) AS keys FROM events",
    "SELECT count(*) AS n FROM profiles",
]

YAML = """
pipelines:
  duck:
    resources: [events, profiles]
    options: {{project_timezone: "{tz}"}}
  pg:
    resources: [events, profiles]
    destination: postgres
    options: {{project_timezone: "{tz}"}}
  lake:
    resources: [events, profiles]
    destination: filesystem
    table_format: delta
    options: {{project_timezone: "{tz}"}}
"""


@pytest.fixture
def loaded(
    standin_env: Callable[..., Any],
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """Each destination loaded with the same two-pass backfill (the second pass re-reads)."""
    env = standin_env(days=3, events_per_day=300, profiles=40)
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    (tmp_path / "pipelines.yaml").write_text(YAML.format(tz=env.server.spec.timezone))
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "lake").as_uri())
    days = env.project.days
    for name in DESTINATIONS:
        env.run(name, from_date=days[0], to_date=days[-1])
        env.run(name, from_date=days[1], to_date=days[-1])  # overlapping: merge, no duplicates
    return env


def invoke(*args: str) -> Any:
    """``mp ARGS`` in-process through the real error boundary: (code, stdout, stderr)."""
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(list(args))
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return type("Outcome", (), {"code": code, "stdout": out, "stderr": err})


def _answer(name: str, query: str) -> list[dict[str, Any]]:
    out = invoke("--format", "json", "sql", "--pipeline", name, query)
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def test_each_destination_holds_exactly_the_deduped_events(loaded: Any) -> None:
    truth = sum(loaded.truth_by_day().values())
    for name in DESTINATIONS:
        assert _answer(name, QUERIES[2]) == [{"n": truth, "keys": truth}], name


@pytest.mark.parametrize("query", QUERIES, ids=["by-event", "by-day", "dedupe", "profiles"])
def test_mp_sql_answers_identically_everywhere(loaded: Any, query: str) -> None:
    answers = {name: _answer(name, query) for name in DESTINATIONS}
    assert answers["duck"], "the query must return rows"
    assert answers["pg"] == answers["duck"]
    assert answers["lake"] == answers["duck"]


def test_params_and_info_follow_the_pipeline(loaded: Any) -> None:
    query = "SELECT count(*) AS n FROM events WHERE event_name = $name"
    first = _answer("duck", "SELECT min(event_name) AS e FROM events")[0]["e"]
    counts = {
        name: json.loads(
            invoke(
                "--format", "json", "sql", "--pipeline", name, query, "-P", f"name={first}"
            ).stdout
        )
        for name in DESTINATIONS
    }
    assert counts["pg"] == counts["lake"] == counts["duck"]
    for name in ("pg", "lake"):
        out = invoke("--format", "json", "info", "--pipeline", name)
        assert out.code == 0, out.stderr
        info = json.loads(out.stdout)
        rows = {t["name"]: t["rows"] for t in info["tables"]}
        assert rows["events"] == sum(loaded.truth_by_day().values())
