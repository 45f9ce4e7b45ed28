"""``mp schedule export``: each target's files parse and carry the pipeline's schedule."""

from __future__ import annotations

import configparser
import sys
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
    monkeypatch.chdir(tmp_path)  # the repository's root, where pipelines.yaml lives
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
    mp = Path(sys.executable).parent / "mp"  # in-process: the mp beside this interpreter
    assert f"exec {mp} --quiet run nightly" in entries["nightly"][2]
    assert f"MP_DATA_DIR={out.parent / 'data'}" in entries["nightly"][2]


def test_systemd_units_parse(out: Path) -> None:
    assert _export("systemd", out) == 0
    timer = configparser.ConfigParser()
    timer.read(out / "mp-nightly.timer")
    assert timer["Timer"]["OnCalendar"] == "Mon..Fri *-*-* 02:30:00 Europe/Berlin"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = configparser.ConfigParser(strict=False)
    service.read(out / "mp-hourly.service")
    mp = Path(sys.executable).parent / "mp"
    assert service["Service"]["ExecStart"] == f"{mp} --quiet run hourly"
    assert service["Service"]["EnvironmentFile"] == str(out / "mixpanel-data.env")
    hourly = configparser.ConfigParser()
    hourly.read(out / "mp-hourly.timer")
    assert hourly["Timer"]["OnCalendar"] == "*-*-* *:00/15:00 UTC"


def test_github_actions_yaml_has_the_cron(out: Path, tmp_path: Path) -> None:
    assert _export("github-actions", out) == 3  # Berlin is not UTC: refused, not shifted
    (tmp_path / "pipelines.yaml").write_text(YAML.replace(", timezone: Europe/Berlin", ""))
    assert _export("github-actions", out) == 0
    workflow = yaml.safe_load((out / "mixpanel-data.yml").read_text())
    crons = [s["cron"] for s in workflow["on"]["schedule"]]  # quoted: YAML 1.1 reads on as True
    assert crons == ["30 2 * * 1-5", "*/15 * * * *"]
    steps = {s.get("name"): s for s in workflow["jobs"]["pipelines"]["steps"]}
    assert steps["mp run nightly"]["run"] == "mp --quiet run nightly"


def test_changed_settings_travel_and_defaults_stay_out(tmp_path: Path) -> None:
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.exceptions import InvalidArgumentError
    from mixpanel_data.schedule.runenv import settings_env

    settings = Settings(data_dir=tmp_path / "d", max_wait=600, duckdb_memory_limit="1GB")
    env = settings_env(settings)
    assert env["MP_DATA_DIR"] == str(tmp_path / "d")
    assert env["MP_MAX_WAIT"] == "600" and env["MP_DUCKDB_MEMORY_LIMIT"] == "1GB"
    assert "MP_LOAD_CHUNK_MB" not in env and "MP_QUERY_PER_HOUR" not in env
    with pytest.raises(InvalidArgumentError, match="MP_BASE_URL holds credentials"):
        settings_env(settings.with_(base_url="https://user:pw@proxy.example"))


def test_account_and_project_are_repeated_on_each_run(out: Path) -> None:
    with CliRunner().isolation():
        code = main(["-p", "4242", "schedule", "export", "--target", "systemd", "--out", str(out)])
    assert code == 0
    service = (out / "mp-hourly.service").read_text()
    assert "--quiet --project 4242 run hourly" in service


def test_the_secrets_file_is_created_once_and_never_overwritten(out: Path) -> None:
    assert _export("crontab", out) == 0
    env_file = out / "mixpanel-data.env"
    assert "#MP_SECRET=" in env_file.read_text()
    env_file.write_text("MP_SECRET=filled-in-by-the-user\n")
    assert _export("systemd", out) == 0
    assert env_file.read_text() == "MP_SECRET=filled-in-by-the-user\n"
