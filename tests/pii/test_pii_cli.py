"""``pii:`` in pipelines.yaml through ``mp run``: applied end to end, bad settings refused early."""

from __future__ import annotations

from datetime import date

import pytest

from mixpanel_data.cli.main import main

from .traces import find_traces

SALT = "cli-salt-0123456789abcdef"
PIPELINES = """\
pipelines:
  safe_events:
    resources: [events, profiles]
    options:
      project_timezone: America/Los_Angeles
      pii:
{pii}
"""


@pytest.fixture
def env(standin_env, monkeypatch):
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.setenv("MP_PII_SALT", SALT)
    return standin_env(start=date(2024, 3, 8), days=1, events_per_day=200, profiles=40)


def write(env, pii: str) -> None:
    (env.data_dir.parent / "pipelines.yaml").write_text(PIPELINES.format(pii=pii))


def test_mp_run_applies_the_policy_from_pipelines_yaml(env, capsys):
    write(
        env, "        hash: [distinct_id]\n        drop: [$email, $name, $first_name, $last_name]"
    )
    day = str(env.project.days[0])
    code = main(["-q", "-f", "json", "run", "safe_events", "--from", day, "--to", day])

    assert code == 0, capsys.readouterr().err
    assert env.rows("SELECT count(*) FROM mixpanel.profiles")[0][0] == 40
    assert find_traces(env.data_dir, ["@example.com", SALT]) == {}


@pytest.mark.parametrize(
    ("pii", "message"),
    [
        ("        hash: [distinct_id]\n        salt: abc", "the PII salt is a secret"),
        ("        hide: [$email]", "unknown key 'hide': use drop, hash or mask"),
        ("        drop: [distinct_id]", "hash it (pii.hash) instead"),
    ],
    ids=["salt-in-yaml", "unknown-action", "drop-key"],
)
def test_bad_pii_settings_exit_3_before_any_request(env, capsys, pii, message):
    write(env, pii)
    env.server.requests.clear()
    code = main(["-q", "run", "safe_events", "--from", "2024-03-08", "--to", "2024-03-08"])
    err = capsys.readouterr().err

    assert code == 3 and message in err and len(err.strip().splitlines()) == 1
    assert env.server.requests.filter(family="export") == []


def test_hash_without_salt_exits_3_naming_where_to_put_it(env, capsys, monkeypatch):
    monkeypatch.delenv("MP_PII_SALT")
    write(env, "        hash: [distinct_id]")
    code = main(["-q", "run", "safe_events", "--from", "2024-03-08", "--to", "2024-03-08"])
    err = capsys.readouterr().err

    assert code == 3
    assert "SOURCES__MIXPANEL__PII_SALT" in err and ".dlt/secrets.toml" in err
    assert "MP_PII_SALT" in err and len(err.strip().splitlines()) == 1
