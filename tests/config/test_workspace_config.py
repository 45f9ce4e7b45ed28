"""A Data View's ``workspace_id`` from every place credentials come from, and its checks."""

from __future__ import annotations

import pytest

from mixpanel_data.config.accounts import AccountStore
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.resolve import resolve_credentials
from mixpanel_data.exceptions import ConfigError

FIELDS = ("USERNAME", "SECRET", "PROJECT_ID", "REGION", "WORKSPACE_ID")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in FIELDS:
        monkeypatch.delenv(f"MP_{name}", raising=False)
        monkeypatch.delenv(f"SOURCES__MIXPANEL__CREDENTIALS__{name}", raising=False)
    monkeypatch.setenv("MP_CONFIG_PATH", str(tmp_path / "config.toml"))
    monkeypatch.chdir(tmp_path)


def _env(monkeypatch, prefix: str, workspace: str | None) -> None:
    values = {"USERNAME": "u", "SECRET": "s-1234", "PROJECT_ID": "10"}
    if workspace is not None:
        values["WORKSPACE_ID"] = workspace
    for name, value in values.items():
        monkeypatch.setenv(f"{prefix}{name}", value)


@pytest.mark.parametrize(
    "prefix", ["MP_", "SOURCES__MIXPANEL__CREDENTIALS__"], ids=["mp-env", "dlt-config"]
)
def test_the_workspace_comes_with_its_level(monkeypatch, prefix):
    _env(monkeypatch, prefix, "55")
    creds = resolve_credentials()
    assert (creds.project_id, creds.workspace_id) == ("10", "55")


def test_no_workspace_is_none(monkeypatch):
    _env(monkeypatch, "MP_", None)
    assert resolve_credentials().workspace_id is None


def test_an_explicit_workspace_overrides_and_a_new_project_drops_the_old_view(monkeypatch):
    _env(monkeypatch, "MP_", "55")
    assert resolve_credentials(workspace_id=66).workspace_id == "66"
    assert resolve_credentials(project_id=10).workspace_id == "55"  # same project: kept
    assert resolve_credentials(project_id=11).workspace_id is None  # another project's view
    moved = resolve_credentials(project_id=11, workspace_id="67")
    assert (moved.project_id, moved.workspace_id) == ("11", "67")


def test_an_account_override_carries_the_workspace(tmp_path):
    store = AccountStore(tmp_path / "config.toml")
    store.add("dv", Credentials(secret="s-1234", username="u", project_id="5"))
    creds = resolve_credentials(account="dv", workspace_id="8", store=store)
    assert (creds.project_id, creds.workspace_id, creds.source) == (
        "5",
        "8",
        f"account 'dv' in {tmp_path / 'config.toml'}",
    )


@pytest.mark.parametrize("value", ["abc", "12a", "-3"], ids=["letters", "mixed", "negative"])
def test_a_workspace_that_is_not_a_number_is_refused(monkeypatch, value):
    _env(monkeypatch, "MP_", value)
    with pytest.raises(ConfigError, match=r"Workspace id .* is not a number") as err:
        resolve_credentials()
    assert err.value.exit_code == 3


def test_the_repr_shows_the_workspace_never_the_secret():
    creds = Credentials(secret="s-98765", username="u", project_id="1", workspace_id="2")
    assert "workspace_id='2'" in repr(creds) and "s-98765" not in repr(creds)
