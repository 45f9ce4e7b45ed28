"""Credential resolution order, the accounts file, and secrets that never show."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from mixpanel_data.config.accounts import AccountStore
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.resolve import resolve_credentials
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    ConfigError,
)

ENV_KEYS = [
    *(f"MP_{k}" for k in ("USERNAME", "SECRET", "PROJECT_ID", "REGION")),
    *(
        f"SOURCES__MIXPANEL__CREDENTIALS__{k}"
        for k in ("USERNAME", "SECRET", "PROJECT_ID", "REGION")
    ),
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MP_CONFIG_PATH", str(tmp_path / "mp" / "config.toml"))
    monkeypatch.chdir(tmp_path)  # no .dlt/ folder here unless a test writes one


def _store_with_default() -> AccountStore:
    store = AccountStore(Path(os.environ["MP_CONFIG_PATH"]))
    store.add("prod", Credentials(secret="file-secret", username="file-user", project_id="300"))
    return store


def _set_dlt_env(monkeypatch):
    monkeypatch.setenv("SOURCES__MIXPANEL__CREDENTIALS__USERNAME", "dlt-user")
    monkeypatch.setenv("SOURCES__MIXPANEL__CREDENTIALS__SECRET", "dlt-secret")
    monkeypatch.setenv("SOURCES__MIXPANEL__CREDENTIALS__PROJECT_ID", "200")


def _set_mp_env(monkeypatch):
    monkeypatch.setenv("MP_USERNAME", "env-user")
    monkeypatch.setenv("MP_SECRET", "env-secret")
    monkeypatch.setenv("MP_PROJECT_ID", "100")
    monkeypatch.setenv("MP_REGION", "eu")


def test_explicit_arguments_win_over_everything(monkeypatch):
    _store_with_default()
    _set_dlt_env(monkeypatch)
    _set_mp_env(monkeypatch)
    creds = resolve_credentials(username="arg-user", secret="arg-secret", project_id=1)
    assert (creds.username, creds.project_id, creds.source) == (
        "arg-user",
        "1",
        "explicit arguments",
    )


def test_dlt_providers_beat_mp_variables_and_the_file(monkeypatch):
    _store_with_default()
    _set_dlt_env(monkeypatch)
    _set_mp_env(monkeypatch)
    creds = resolve_credentials()
    assert (creds.username, creds.project_id) == ("dlt-user", "200")


def test_dlt_secrets_toml_is_read(tmp_path):
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[sources.mixpanel.credentials]\nusername = "toml-user"\nsecret = "toml-secret"\n'
        'project_id = "400"\nregion = "in"\n'
    )
    context = Container()[PluggableRunContext]
    previous = context.context.run_dir
    context.reload(str(tmp_path))  # dlt reads .dlt/ of the run dir it saw first
    try:
        creds = resolve_credentials()
    finally:
        shutil.rmtree(tmp_path / ".dlt")
        context.reload(previous)
    assert (creds.username, creds.project_id, creds.region) == ("toml-user", "400", "in")


def test_mp_variables_beat_the_accounts_file(monkeypatch):
    _store_with_default()
    _set_mp_env(monkeypatch)
    creds = resolve_credentials()
    assert (creds.username, creds.project_id, creds.region) == ("env-user", "100", "eu")


def test_default_account_is_the_last_resort():
    _store_with_default()
    creds = resolve_credentials()
    assert (creds.username, creds.project_id) == ("file-user", "300")


def test_named_account_and_project_override(monkeypatch):
    store = _store_with_default()
    store.add(
        "staging", Credentials(secret="s2", username="stage-user", project_id="301", region="eu")
    )
    _set_mp_env(monkeypatch)
    creds = resolve_credentials(account="staging", project_id="999")
    assert (creds.username, creds.project_id, creds.region) == ("stage-user", "999", "eu")
    with pytest.raises(AccountNotFoundError, match="mp auth add nope"):
        resolve_credentials(account="nope")


def test_nothing_found_names_every_fix():
    with pytest.raises(AuthenticationError) as err:
        resolve_credentials()
    text = str(err.value)
    assert "MP_SECRET" in text and ".dlt/secrets.toml" in text and "mp auth add" in text
    assert err.value.exit_code == 2


def test_legacy_secret_warns_about_retirement(monkeypatch):
    monkeypatch.setenv("MP_SECRET", "legacy-project-secret")
    with pytest.warns(DeprecationWarning, match="2027-03-03"):
        creds = resolve_credentials()
    assert creds.is_legacy and creds.basic_auth() == ("legacy-project-secret", "")


def test_accounts_file_is_private_and_never_shows_secrets(tmp_path):
    store = _store_with_default()
    path = tmp_path / "mp" / "config.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listed = store.list()
    assert [(a.name, a.is_default) for a in listed] == [("prod", True)]
    assert "file-secret" not in repr(listed)
    creds = store.credentials("prod")
    assert (
        creds is not None and "file-secret" not in repr(creds) and "file-secret" not in str(creds)
    )
    with pytest.raises(AccountExistsError):
        store.add("prod", creds)
    store.remove("prod")
    assert store.list() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"secret": "x" * 8, "region": "mars"}, "Unknown region"),
        ({"secret": "x" * 8, "username": "u"}, "needs a project id"),
        ({"secret": "x" * 8, "username": "u", "project_id": "abc"}, "is not a number"),
        ({"secret": ""}, "secret is empty"),
    ],
    ids=["region", "no-project", "non-numeric-project", "empty-secret"],
)
def test_invalid_credentials_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Credentials(**kwargs)


def test_corrupt_accounts_file_is_a_config_error(tmp_path):
    path = tmp_path / "mp" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("default = [unclosed")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_credentials()


def test_rewriting_the_accounts_file_keeps_comments_and_other_tools_keys(tmp_path):
    """The file is shared with the user (comments) and other tools (their keys and tables)."""
    path = tmp_path / "config.toml"
    store = AccountStore(path)
    store.add("prod", Credentials(secret="s-prod-123", username="u", project_id="1"))
    path.write_text(
        "# work accounts: ask #data before changing\n"
        + path.read_text()
        + "\n[active]\nworkspace = 7  # another tool's\n"
    )
    store.add("eu", Credentials(secret="s-eu-456", username="v", project_id="2", region="eu"))
    store.set_default("eu")
    store.remove("prod")
    text = path.read_text()
    assert "# work accounts: ask #data before changing" in text
    assert "[active]" in text and "workspace = 7  # another tool's" in text
    assert "s-prod-123" not in text and 'default = "eu"' in text
    assert [a.name for a in store.list()] == ["eu"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
