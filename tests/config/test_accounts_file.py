"""The accounts file: refused when a link or open to others; read and written in both layouts.

mixpanel-headless (Mixpanel's client library) uses the same ``~/.mp/config.toml`` with its own
layout (its ``_internal/config.py``: ``[active]``, ``[accounts.NAME]`` with ``type``,
``default_project``, ``[targets.NAME]``, ``[settings]``); the fixture below is such a file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from mixpanel_data.config.accounts import AccountStore
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.resolve import resolve_credentials
from mixpanel_data.exceptions import AuthenticationError, ConfigError

HEADLESS_FILE = """\
# written by mixpanel-headless; comments are ours to keep
[active]
account = "team"
workspace = 3448413

[accounts.team]
type = "service_account"
region = "eu"
default_project = "3713224"
username = "team-sa.1a2b3c.mp-service-account"
secret = "team-secret-1234"

[accounts.me]
type = "oauth_browser"
region = "us"
default_project = "3713224"

[targets.ecom]
account = "team"
project = "3713299"
workspace = 77

[settings]
custom_header = { name = "X-Mixpanel-Cluster", value = "internal-1" }
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("USERNAME", "SECRET", "PROJECT_ID", "REGION", "WORKSPACE_ID"):
        monkeypatch.delenv(f"MP_{name}", raising=False)
        monkeypatch.delenv(f"SOURCES__MIXPANEL__CREDENTIALS__{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/ here


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def headless(tmp_path) -> Path:
    return _private(tmp_path / "config.toml", HEADLESS_FILE)


# -- refusing files that are not private -------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620], ids=oct)
def test_a_file_open_to_group_or_others_is_refused_with_the_fix(tmp_path, mode):
    path = _private(tmp_path / "config.toml", HEADLESS_FILE)
    path.chmod(mode)
    with pytest.raises(ConfigError) as err:
        resolve_credentials(store=AccountStore(path))
    assert f"run `chmod 600 {path}`" in err.value.message and err.value.exit_code == 3
    assert "team-secret-1234" not in err.value.message


def test_a_symlinked_file_is_refused_naming_its_target(tmp_path):
    real = _private(tmp_path / "elsewhere.toml", HEADLESS_FILE)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    with pytest.raises(ConfigError) as err:
        AccountStore(link).list()
    assert f"symlink to {real}" in err.value.message
    assert f"MP_CONFIG_PATH={real}" in err.value.message
    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to(tmp_path / "missing.toml")  # not silently "no file"
    with pytest.raises(ConfigError, match="symlink"):
        AccountStore(dangling).credentials()


def test_a_private_file_is_read(headless):
    assert [a.name for a in AccountStore(headless).list()] == ["team", "me"]


# -- mixpanel-headless's layout ----------------------------------------------------------------


def test_the_active_headless_account_is_the_default_with_its_project_and_workspace(headless):
    store = AccountStore(headless)
    assert store.layout() == "mixpanel-headless"
    creds = resolve_credentials(store=store)
    assert (creds.username, creds.project_id, creds.region, creds.workspace_id) == (
        "team-sa.1a2b3c.mp-service-account",
        "3713224",
        "eu",
        "3448413",
    )
    assert creds.basic_auth() == ("team-sa.1a2b3c.mp-service-account", "team-secret-1234")
    listed = {a.name: a for a in store.list()}
    assert listed["team"].is_default and listed["team"].kind == "service_account"
    assert listed["me"].kind == "oauth_browser" and listed["me"].workspace_id is None


def test_a_headless_target_names_account_project_and_workspace(headless):
    creds = resolve_credentials(account="ecom", store=AccountStore(headless))
    assert (creds.username, creds.project_id, creds.workspace_id) == (
        "team-sa.1a2b3c.mp-service-account",
        "3713299",
        "77",
    )


def test_an_oauth_account_is_refused_as_authentication(headless):
    with pytest.raises(AuthenticationError, match="oauth_browser") as err:
        resolve_credentials(account="me", store=AccountStore(headless))
    assert err.value.exit_code == 2


def test_writing_a_headless_file_keeps_its_keys_and_uses_its_layout(headless):
    store = AccountStore(headless)
    store.add("ours", Credentials(secret="ours-secret-99", username="ours-sa", project_id="42"))
    text = headless.read_text()
    block = text[text.index("[accounts.ours]") : text.index("[targets.ecom]")]
    assert text.replace(block, "") == HEADLESS_FILE  # nothing of headless's dropped or moved
    data = tomllib.loads(text)
    assert data["accounts"]["ours"] == {
        "type": "service_account",
        "region": "us",
        "default_project": "42",
        "username": "ours-sa",
        "secret": "ours-secret-99",
    }  # its keys only: headless refuses unknown keys in an account block
    assert "default" not in data and data["active"] == {"account": "team", "workspace": 3448413}
    store.set_default("ours")  # headless's way: [active].account; the old view goes with it
    data = tomllib.loads(headless.read_text())
    assert data["active"] == {"account": "ours"} and "default" not in data
    assert resolve_credentials(store=store).project_id == "42"
    store.remove("ours")
    data = tomllib.loads(headless.read_text())
    assert data["active"]["account"] == "team" and set(data["accounts"]) == {"team", "me"}
    assert data["targets"] == tomllib.loads(HEADLESS_FILE)["targets"]
    assert data["settings"] == tomllib.loads(HEADLESS_FILE)["settings"]
    assert stat.S_IMODE(os.stat(headless).st_mode) == 0o600


def test_a_workspace_added_to_a_headless_file_becomes_its_active_workspace(headless):
    store = AccountStore(headless)
    with pytest.raises(ConfigError, match="--default"):
        store.add("v", Credentials(secret="s-1234", username="u", project_id="5", workspace_id="9"))
    store.add(
        "v",
        Credentials(secret="s-1234", username="u", project_id="5", workspace_id="9"),
        make_default=True,
    )
    assert tomllib.loads(headless.read_text())["active"] == {"account": "v", "workspace": 9}
    assert resolve_credentials(store=store).workspace_id == "9"


def test_a_legacy_secret_cannot_go_into_a_headless_file(headless):
    with pytest.raises(ConfigError, match="legacy project secret"):
        AccountStore(headless).add("old", Credentials(secret="legacy-1234"))
    assert headless.read_text() == HEADLESS_FILE


# -- our layout: the workspace -----------------------------------------------------------------


def test_our_layout_stores_and_reads_a_workspace(tmp_path):
    store = AccountStore(tmp_path / "config.toml")
    store.add("dv", Credentials(secret="s-1234", username="u", project_id="5", workspace_id="9"))
    data = tomllib.loads((tmp_path / "config.toml").read_text())
    assert data["default"] == "dv" and data["accounts"]["dv"]["workspace_id"] == "9"
    assert store.layout() == "mixpanel-data"
    assert resolve_credentials(store=store).workspace_id == "9"
    (info,) = store.list()
    assert info.workspace_id == "9"
