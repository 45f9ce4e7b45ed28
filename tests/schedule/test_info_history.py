"""Plain ``mp info`` shows ``mp schedule status``'s rows once the scheduler has a history."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mixpanel_data.cli.main import main
from mixpanel_data.local import history

YAML = """
pipelines:
  nightly:
    schedule: {cron: "30 2 * * *", timezone: Europe/Berlin}
  hourly:
    schedule: {cron: "0 * * * *"}
  adhoc:
    resources: [events]
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "pipelines.yaml").write_text(YAML)
    return tmp_path / "data"


def _info(*args: str) -> tuple[int, dict[str, Any]]:
    with CliRunner().isolation() as (stdout, _, _):
        code = main(["-f", "json", "info", *args])
        sys.stdout.flush()
        out = stdout.getvalue().decode()
    return code, json.loads(out) if code == 0 else {}


def test_no_history_no_schedule_section(data_dir: Path) -> None:
    code, found = _info()
    assert code == 0
    assert "schedule" not in found
    assert not (data_dir / "schedule").exists()  # mp info creates nothing


def test_history_shows_last_success_failure_and_next_run(data_dir: Path) -> None:
    ok = history.record_start(
        data_dir / "schedule", "nightly", datetime(2026, 1, 1, 1, 30, tzinfo=UTC)
    )
    history.record_end(data_dir / "schedule", ok, "success", 42, 1.5)
    bad = history.record_start(
        data_dir / "schedule", "nightly", datetime(2026, 1, 2, 1, 30, tzinfo=UTC)
    )
    history.record_end(
        data_dir / "schedule", bad, "failure", None, 0.2, "Mixpanel said 401: check MP_SECRET"
    )

    code, found = _info()
    assert code == 0
    rows = {r["pipeline"]: r for r in found["schedule"]}
    assert sorted(rows) == ["hourly", "nightly"]  # scheduled pipelines only
    nightly = rows["nightly"]
    assert nightly["last_success_rows"] == 42 and nightly["last_success"]
    assert nightly["last_failure_message"] == "Mixpanel said 401: check MP_SECRET"
    assert nightly["runs"] == 2
    assert datetime.fromisoformat(nightly["next_run"]) > datetime.now(UTC)
    assert rows["hourly"]["runs"] == 0 and rows["hourly"]["next_run"]
    assert found["exists"] is False  # the database part is unchanged beside it


def test_a_broken_pipelines_file_does_not_hide_the_database(data_dir: Path, tmp_path: Path):
    ok = history.record_start(
        data_dir / "schedule", "nightly", datetime(2026, 1, 1, 1, 30, tzinfo=UTC)
    )
    history.record_end(data_dir / "schedule", ok, "success", 42, 1.5)
    (tmp_path / "pipelines.yaml").write_text("pipelines:\n  nightly:\n    schedule: {cron: nope}\n")
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(["-f", "json", "info"])
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    assert code == 0
    found = json.loads(out)
    assert "schedule" not in found and found["exists"] is False
    assert err.count("\n") == 1
    assert "warning: schedule history not shown" in err and "pipelines.yaml" in err
