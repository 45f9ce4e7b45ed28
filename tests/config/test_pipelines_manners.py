"""pipelines.yaml manners: property names are not secrets, nothing mistyped is silently ignored,
and a broken file never hides the database from `mp info`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mixpanel_data.config.pipelines import load_pipelines
from mixpanel_data.exceptions import PipelineConfigError

from ..cli.mpcli import mp


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipelines.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "options",
    [
        "promote: {push_token: text}",
        "promote: {password_reset_count: bigint, $credential_type: text}",
        "promote: {api_secret_hash: text}",
    ],
)
def test_property_names_that_look_like_secrets_are_accepted(tmp_path, options):
    path = _write(tmp_path, f"pipelines:\n  e:\n    options:\n      {options}\n")
    assert load_pipelines(path)["e"].options  # loaded, not refused


@pytest.mark.parametrize(
    ("options", "line", "key"),
    [
        ("api_token: abc123", 4, "pipelines.e.options.api_token"),
        ("secret: abc123", 4, "pipelines.e.options.secret"),
        ("credentials:\n        secret: abc", 4, "pipelines.e.options.credentials"),
        ("pii: {salt: abc}", 4, "pipelines.e.options.pii"),
        ("base_url: https://me:hunter2@proxy.example.com", 4, "pipelines.e.options.base_url"),
    ],
    ids=["token", "secret", "credentials", "pii-salt", "url-password"],
)
def test_real_secrets_are_still_refused(tmp_path, options, line, key):
    path = _write(tmp_path, f"pipelines:\n  e:\n    options:\n      {options}\n")
    with pytest.raises(PipelineConfigError) as err:
        load_pipelines(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: {key}: ")
    assert "secret" in message
    assert "hunter2" not in message and "abc123" not in message


def test_unknown_top_level_keys_are_an_error_with_their_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "pipelines:\n  e: {}\n# typo below\npipelnes:\n  nightly: {}\n")
    done = mp("pipelines")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert "pipelines.yaml:4: unknown top-level key 'pipelnes'" in done.stderr


def test_x_keys_stay_free_for_yaml_anchors(tmp_path):
    path = _write(
        tmp_path,
        "x-common: &common {lookback_days: 2}\npipelines:\n  e:\n    options: *common\n",
    )
    assert load_pipelines(path)["e"].options == {"lookback_days": 2}


@pytest.mark.parametrize("command", [["pipelines"], ["run", "events"], ["schedule", "status"]])
def test_mp_pipelines_naming_a_missing_file_is_an_error(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "pipelines:\n  mine: {}\n")  # the default file exists: it is not used
    missing = tmp_path / "conf" / "pipelnes.yaml"
    done = mp(*command, env={"MP_PIPELINES": str(missing), "MP_DATA_DIR": str(tmp_path / "d")})
    assert done.returncode == 3
    assert done.stderr == (
        f"Error: MP_PIPELINES names '{missing}', which does not exist: fix the path, or unset "
        "MP_PIPELINES to use ./pipelines.yaml.\n"
    )
    assert not (tmp_path / "d").exists()


def test_mp_info_with_a_database_and_a_broken_file_warns_and_shows_the_database(
    standin_env, tmp_path
):
    env = standin_env(days=2)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    _write(tmp_path, "pipelines:\n  nightly:\n    schedule: {cron: nope}\n")
    done = mp("-f", "json", "info")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["exists"] is True
    rows = {t["table"]: t["rows"] for t in found["tables"]}
    assert rows["events"] == env.rows("SELECT count(*) FROM mixpanel.events")[0][0] > 0
    assert [p["pipeline"] for p in found["pipelines"]][:2] == ["events", "profiles"]
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("warning: pipelines.yaml not read")
    assert "pipelines.yaml:3: pipelines.nightly.schedule.cron" in done.stderr
