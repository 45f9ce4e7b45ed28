"""``mp schedule export``: each target's files parse and carry the pipeline's schedule."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml
from croniter import croniter
from typer.testing import CliRunner

from mixpanel_data.cli.main import main

YAML = """
pipelines:
  nightly:
    schedule: {cron: "30 2 * * 1-5", timezone: Europe/Berlin}
  hourly:
    schedule: {cron: "*/15 * * * *"}
"""


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "pipelines.yaml").write_text(YAML)
    return tmp_path / "out"


def _export(target: str, out: Path) -> int:
    with CliRunner().isolation():
        return main(["schedule", "export", "--target", target, "--out", str(out)])


def test_crontab_lines_parse(out: Path) -> None:
    assert _export("crontab", out) == 0
    lines = [x for x in (out / "mixpanel-data.crontab").read_text().splitlines() if x[:1] != "#"]
    entries = {}
    zone = None
    for line in lines:
        if line.startswith("CRON_TZ="):
            zone = line.split("=", 1)[1]
            continue
        fields = line.split(maxsplit=5)
        assert croniter.is_valid(" ".join(fields[:5]))
        entries[fields[5].rsplit(" ", 1)[1]] = (" ".join(fields[:5]), zone, fields[5])
    assert entries["nightly"][:2] == ("30 2 * * 1-5", "Europe/Berlin")
    assert entries["hourly"][:2] == ("*/15 * * * *", "UTC")
    assert "mp --quiet run nightly" in entries["nightly"][2]


def test_systemd_units_parse(out: Path) -> None:
    assert _export("systemd", out) == 0
    timer = configparser.ConfigParser()
    timer.read(out / "mp-nightly.timer")
    assert timer["Timer"]["OnCalendar"] == "Mon..Fri *-*-* 2:30:00 Europe/Berlin"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = configparser.ConfigParser()
    service.read(out / "mp-hourly.service")
    assert service["Service"]["ExecStart"] == "mp --quiet run hourly"
    hourly = configparser.ConfigParser()
    hourly.read(out / "mp-hourly.timer")
    assert hourly["Timer"]["OnCalendar"] == "*-*-* *:0/15:00 UTC"


def test_github_actions_yaml_has_the_cron(out: Path, tmp_path: Path) -> None:
    assert _export("github-actions", out) == 3  # Berlin is not UTC: refused, not shifted
    (tmp_path / "pipelines.yaml").write_text(YAML.replace(", timezone: Europe/Berlin", ""))
    assert _export("github-actions", out) == 0
    workflow = yaml.safe_load((out / "mixpanel-data.yml").read_text())
    crons = [s["cron"] for s in workflow[True]["schedule"]]  # YAML 1.1 reads `on` as True
    assert crons == ["30 2 * * 1-5", "*/15 * * * *"]
    steps = workflow["jobs"]["nightly"]["steps"]
    assert steps[-1]["run"] == "mp --quiet run nightly"
