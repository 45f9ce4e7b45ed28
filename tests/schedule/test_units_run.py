"""Exported crontab and systemd units run the exporter's ``mp`` against its data directory.

The export runs as a real ``mp`` process with credentials in its environment (which must not
reach any file it writes). The crontab entry is then executed the way cron does it: its command
part by ``/bin/sh -c`` in cron's minimal environment (no venv on PATH, no ``MP_*``); the
systemd service is checked by ``systemd-analyze verify`` and its ``ExecStart`` run with only
the environment the unit gives it. Both must load the stand-in's events into the exporter's
``MP_DATA_DIR``, with the secrets read from the environment file the export named.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.schedule.export import cron_command
from mixpanel_data.schedule.runenv import find_mp

from .sysbin import MP, schedule_export, tool

PIPELINES = """
pipelines:
  nightly:
    resources: [events]
    schedule: {cron: "30 2 * * *", timezone: America/Los_Angeles}
"""
KINDS = ("service", "timer")
CRON_ENV = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOGNAME": "nobody"}


@pytest.fixture
def project(
    standin_env: Callable[..., Any], ending_today: Callable[[int], date], tmp_path: Path
) -> tuple[Any, Path]:
    """A stand-in, a pipelines.yaml in the working directory, MP_* set as a user would."""
    env = standin_env(start=ending_today(4), days=4, events_per_day=150)
    (tmp_path / "pipelines.yaml").write_text(PIPELINES)
    os.environ.pop("MP_PIPELINES", None)  # ./pipelines.yaml, from the working directory
    return env, tmp_path


def _export(target: str, root: Path) -> subprocess.CompletedProcess[str]:
    done = schedule_export(root, "--target", target, "--out", str(root / "out"))
    assert done.returncode == 0, done.stderr
    secret = os.environ["MP_SECRET"]
    for path in (root / "out").iterdir():
        assert secret not in path.read_text(), path  # named, never written
    return done


def _fill_secrets(env_file: Path) -> None:
    """What the user does after exporting: put the credentials in the named file."""
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    names = env_file.read_text()
    assert all(f"#{n}=" in names for n in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID"))
    lines = [f"{n}={os.environ[n]}" for n in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID")]
    env_file.write_text(names + "\n".join(lines) + "\n")


def _events(data_dir: Path) -> int:
    con = duckdb.connect(str(data_dir / "mixpanel_data.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM mixpanel.events").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_crontab_line_runs_under_cron_minimal_environment(project: tuple[Any, Path]) -> None:
    env, root = project
    _export("crontab", root)
    _fill_secrets(root / "out" / "mixpanel-data.env")
    crontab = (root / "out" / "mixpanel-data.crontab").read_text().splitlines()
    [line] = [x for x in crontab if x.endswith(" run nightly")]
    assert crontab[crontab.index(line) - 1] == "CRON_TZ=America/Los_Angeles"
    home = root / "home"
    home.mkdir()
    cron_env = [f"{k}={v}" for k, v in {**CRON_ENV, "HOME": str(home)}.items()]
    done = subprocess.run(
        ["env", "-i", *cron_env, "/bin/sh", "-c", cron_command(line)],
        cwd=home,  # cron starts a job in HOME
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert _events(env.data_dir) > 0  # the exporter's MP_DATA_DIR, not ~/.mp/data
    assert not (home / ".mp" / "data").exists()


def test_crontab_escapes_percent_for_cron(tmp_path: Path) -> None:
    from mixpanel_data.config.pipelines import PipelineSpec, Schedule
    from mixpanel_data.schedule.export import crontab
    from mixpanel_data.schedule.runenv import RunContext

    spec = PipelineSpec(name="n", schedule=Schedule(cron="0 1 * * *"))
    context = RunContext(mp=MP, workdir=tmp_path / "50%", env={}, env_file=None)
    [line] = [x for x in crontab([spec], context).splitlines() if x.startswith("0 1")]
    assert "50\\%" in line and "50%" not in line.replace("\\%", "")
    assert shlex.split(cron_command(line))[1] == str(tmp_path / "50%")


def _unit(path: Path) -> list[tuple[str, str]]:
    return [
        tuple(x.split("=", 1))  # type: ignore[misc]
        for x in path.read_text().splitlines()
        if "=" in x and not x.startswith("#")
    ]


def _env_file(path: Path) -> dict[str, str]:
    pairs = [x.split("=", 1) for x in path.read_text().splitlines() if x and x[0] != "#"]
    return {k: v.strip("'") for k, v in pairs}


def test_systemd_service_runs_with_only_the_units_environment(project: tuple[Any, Path]) -> None:
    env, root = project
    _export("systemd", root)
    out = root / "out"
    verify = subprocess.run(
        [tool("systemd-analyze"), "verify", *(str(out / f"mp-nightly.{k}") for k in KINDS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr  # ExecStart must be an absolute executable
    _fill_secrets(out / "mixpanel-data.env")
    unit = _unit(out / "mp-nightly.service")
    settings = dict(shlex.split(v)[0].split("=", 1) for k, v in unit if k == "Environment")
    assert settings["MP_DATA_DIR"] == str(env.data_dir)
    [env_file] = [Path(v) for k, v in unit if k == "EnvironmentFile"]
    [workdir] = [v for k, v in unit if k == "WorkingDirectory"]
    [exec_start] = [shlex.split(v.replace("$$", "$")) for k, v in unit if k == "ExecStart"]
    assert exec_start == [str(MP), "--quiet", "run", "nightly"]
    environment = {"PATH": "/usr/bin:/bin", **settings, **_env_file(env_file)}
    done = subprocess.run(
        exec_start, cwd=workdir, env=environment, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert _events(env.data_dir) > 0


def test_venv_flag_names_that_mp(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent
    assert find_mp(venv, "pytest", "/usr/bin/python3") == venv / "bin" / "mp"
    assert find_mp(None, str(MP), "/usr/bin/python3") == MP  # the script that runs
    assert find_mp(None, "-m", sys.executable) == MP  # python -m: the one beside python
    done = schedule_export(tmp_path, "--target", "crontab", "--venv", str(tmp_path))
    assert done.returncode == 3 and done.stderr.count("\n") == 1
    assert f"no executable {tmp_path}/bin/mp" in done.stderr


@pytest.mark.parametrize(
    ("host_zone", "warned"),
    [("UTC", True), ("America/Los_Angeles", False)],
    ids=["host-utc", "host-same-zone"],
)
def test_a_zone_other_than_the_hosts_is_warned_about(
    tmp_path: Path, host_zone: str, warned: bool
) -> None:
    """Only cronie reads CRON_TZ: a schedule in another zone than the host's gets a warning."""
    (tmp_path / "pipelines.yaml").write_text(PIPELINES)
    environ = {**os.environ, "TZ": host_zone, "MP_DATA_DIR": str(tmp_path / "d")}
    environ.pop("MP_PIPELINES", None)
    done = schedule_export(tmp_path, "--target", "crontab", "--out", "out", env=environ)
    assert done.returncode == 0, done.stderr
    assert ("CRON_TZ is honoured by cronie, not by Debian" in done.stderr) is warned
    crontab = (tmp_path / "out" / "mixpanel-data.crontab").read_text()
    assert "CRON_TZ is honoured by cronie" in crontab
