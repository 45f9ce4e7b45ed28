"""``mp run`` refuses what it cannot do before it prints a line, sends a request or makes a
folder: exit 3 and one line on stderr naming the problem and the fix.

Real ``mp`` processes against the stand-in (``standin_env`` points MP_* at it); the stand-in's
request log shows what reached "Mixpanel".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .mpcli import mp

TZ = "America/Los_Angeles"


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def _tomorrow_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)


def test_a_range_in_the_future_is_refused_without_a_request(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2)
    for args in (["--from", "2099-01-01"], ["--from", "2024-03-04", "--to", "2099-01-01"]):
        out = mp("run", "events", *args)
        assert out.returncode == 3, out.stderr
        line = _one_error_line(out.stderr)
        assert "2099-01-01 is in the future" in line and "no later than today" in line
    assert len(env.server.requests) == 0  # not even the /me that asks for the zone
    assert not env.data_dir.exists()


def test_a_to_after_the_projects_today_is_refused_before_any_request(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2)
    tomorrow = str(_tomorrow_in(TZ))
    out = mp("run", "events", "--to", tomorrow, env={"SOURCES__MIXPANEL__PROJECT_TIMEZONE": TZ})
    assert out.returncode == 3, out.stderr
    line = _one_error_line(out.stderr)
    assert f"--to {tomorrow} is in the future: today in {TZ} is" in line
    assert len(env.server.requests) == 0
    assert not env.data_dir.exists()


def test_a_to_after_the_zone_mixpanel_reports_is_refused_before_any_export(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2)
    tomorrow = str(_tomorrow_in(TZ))  # the zone comes from Mixpanel's /me this time
    out = mp("--quiet", "run", "events", "--from", "2024-03-04", "--to", tomorrow)
    assert out.returncode == 3, out.stderr
    line = _one_error_line(out.stderr)
    assert tomorrow in line and "today in the project's time zone" in line
    assert env.server.requests.filter(family="export") == []
    assert len(env.server.requests) <= 1
    assert not (env.data_dir / "pipelines").exists()


def test_profiles_with_from_to_is_refused_saying_why(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2)
    out = mp("run", "profiles", "--from", "2024-03-04", "--to", "2024-03-05")
    assert out.returncode == 3, out.stderr
    line = _one_error_line(out.stderr)
    assert "profiles load incrementally on $last_seen" in line and "Drop --from/--to" in line
    assert len(env.server.requests) == 0 and not env.data_dir.exists()


def test_a_data_dir_with_a_percent_sign_is_refused(standin_env, tmp_path: Path):
    standin_env(start=date(2024, 3, 4), days=2)
    odd = tmp_path / "100%data"
    for args in (["run", "events"], ["info"]):
        out = mp(*args, env={"MP_DATA_DIR": str(odd)})
        assert out.returncode == 3, out.stderr
        line = _one_error_line(out.stderr)
        assert "MP_DATA_DIR" in line and "'%'" in line and "without '%'" in line
    assert not odd.exists()


def test_an_unreadable_dlt_secrets_file_is_refused_not_skipped(standin_env, tmp_path: Path):
    env = standin_env(start=date(2024, 3, 4), days=2)
    secret = "do-not-print-this-8c1f"
    dlt_dir = tmp_path / ".dlt"  # standin_env runs mp in tmp_path
    dlt_dir.mkdir()
    (dlt_dir / "secrets.toml").write_text(
        f'[sources.mixpanel.credentials]\nsecret = "{secret}\nusername = "x"\n'
    )
    for args in (["run", "events"], ["auth", "test"]):
        out = mp(*args)
        assert out.returncode == 3, (args, out.stderr)  # not MP_* credentials in its place
        line = _one_error_line(out.stderr)
        assert "secrets.toml" in line and "line 2" in line and "TOML syntax" in line
        assert secret not in out.stderr + out.stdout
    assert len(env.server.requests) == 0
