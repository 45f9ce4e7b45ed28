"""The accounts file, Data Views and the legacy-secret notice as a user meets them: real ``mp`` and
``mixpanel-data`` processes against the stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_accounts_file import HEADLESS_FILE

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]
SCRIPT = Path(sys.executable).parent / "mixpanel-data"  # the second console script
NOTICE = "Mixpanel retires project secrets on 2027-03-03"


def _run(
    *args: str, env: dict[str, str] | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or MP), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture
def env(standin_env):
    return standin_env(days=2, events_per_day=100)


@pytest.fixture
def legacy(env, monkeypatch):
    """Only a legacy project secret is configured."""
    secret, _ = env.server.legacy_auth
    monkeypatch.setenv("MP_SECRET", secret)
    monkeypatch.delenv("MP_USERNAME")
    monkeypatch.delenv("MP_PROJECT_ID")
    return env


def test_the_mixpanel_data_script_runs_the_same_commands(env, tmp_path):
    assert SCRIPT.is_file(), "reinstall (pip install -e .) to create the mixpanel-data script"
    path = tmp_path / "config.toml"
    path.write_text(HEADLESS_FILE)
    path.chmod(0o600)
    ours = _run("auth", "list", command=[str(SCRIPT)])
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == _run("auth", "list").stdout
    assert [r["name"] for r in json.loads(ours.stdout)] == ["team", "me"]
    helped = _run("--help", command=[str(SCRIPT)])
    assert helped.returncode == 0 and "segmentation" in helped.stdout


def test_a_config_file_open_to_others_stops_with_one_line_and_exit_3(env, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(HEADLESS_FILE)
    path.chmod(0o644)
    out = _run("auth", "list")
    assert out.returncode == 3 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        f"Error: {path} is open to group/others (mode 0644) and holds secrets: "
        f"run `chmod 600 {path}`."
    ]
    path.chmod(0o600)
    assert _run("auth", "list").returncode == 0


def test_the_legacy_secret_notice_shows_once_per_command(legacy):
    day = str(legacy.project.days[0])
    out = _run("segmentation", "-e", "Login", "--from", day, "--to", day)
    assert out.returncode == 0, out.stderr
    assert out.stderr.count(NOTICE) == 1  # resolved and built once each: still one line
    assert NOTICE not in out.stdout
    quiet = _run("-q", "segmentation", "-e", "Login", "--from", day, "--to", day)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_auth_test_reports_the_legacy_secret(legacy):
    out = _run("auth", "test")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["warnings"] and NOTICE in found["warnings"][0]
    assert out.stderr.count(NOTICE) == 1


def test_a_service_account_has_no_notice(env):
    out = _run("auth", "test")
    assert out.returncode == 0 and NOTICE not in out.stderr
    assert json.loads(out.stdout)["warnings"] == []


def test_workspace_from_the_flag_and_the_environment_reaches_mixpanel_and_the_reports(env):
    day = str(env.project.days[0])
    seg = _run("segmentation", "-e", "Login", "--from", day, "--to", day, "--workspace", "77")
    assert seg.returncode == 0, seg.stderr
    tested = _run("--workspace", "77", "auth", "test")
    assert tested.returncode == 0, tested.stderr
    assert json.loads(tested.stdout)["workspace_id"] == "77"
    assert "Data View 77" in tested.stderr
    info = json.loads(_run("info", env={"MP_WORKSPACE_ID": "78"}).stdout)
    assert info["mixpanel"]["workspace_id"] == "78"
    assert info["mixpanel"]["project_id"] == str(env.server.project_id)
    plain = _run("segmentation", "-e", "Login", "--from", day, "--to", day)
    assert plain.returncode == 0
    views = [r.params.get("workspace_id") for r in env.server.requests.filter(family="query")]
    assert views == ["77", "77", None]  # segmentation, auth test's events/names, plain


def test_auth_add_and_show_keep_the_workspace(env):
    args = ["auth", "add", "dv", "-u", "sa", "--project", "5", "--workspace", "9"]
    added = subprocess.run(
        [*MP, *args, "--secret-stdin"],
        input="s-12345\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    shown = json.loads(_run("auth", "show", "dv").stdout)
    assert (shown["workspace_id"], shown["file_layout"]) == ("9", "mixpanel-data")
    bad = _run(
        "auth",
        "add",
        "x",
        "-u",
        "sa",
        "--project",
        "5",
        "--workspace",
        "nine",
        "--secret",
        "s-12345",
    )
    assert bad.returncode == 3 and "Workspace id 'nine' is not a number" in bad.stderr
