"""``mp auth``: accounts stored 0600, secrets never printed, ``test`` makes one real call."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest

from .conftest import SECRET
from .mpcli import invoke


@pytest.fixture
def accounts(loaded, tmp_path, monkeypatch):
    """An empty accounts file, then one working account ``standin`` added from stdin."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MP_CONFIG_PATH", str(path))
    user, secret = loaded.server.auth
    out = invoke(
        "auth",
        "add",
        "standin",
        "-u",
        user,
        "--project",
        str(loaded.server.project_id),
        "--secret-stdin",
        input=secret + "\n",
    )
    assert out.code == 0, out.stderr
    return path


def test_add_stores_the_first_account_as_default_with_mode_0600(accounts):
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    rows = json.loads(invoke("auth", "list").stdout)
    assert rows == [
        {
            "name": "standin",
            "username": "standin-sa.3f2a1c.mp-service-account",
            "project_id": "2526451",
            "region": "us",
            "default": True,
        }
    ]


def test_list_show_switch_remove(accounts):
    added = invoke("auth", "add", "eu", "--secret", "legacy-secret-99", "--region", "eu")
    assert added.code == 0 and json.loads(added.stdout) == {"account": "eu", "default": False}
    listed = list(csv.DictReader(io.StringIO(invoke("-f", "csv", "auth", "list").stdout)))
    assert [(r["name"], r["default"]) for r in listed] == [("standin", "True"), ("eu", "False")]
    shown = json.loads(invoke("auth", "show", "eu").stdout)
    assert shown["secret"] == "********" and shown["kind"] == "legacy project secret"
    assert json.loads(invoke("auth", "show").stdout)["name"] == "standin"
    assert invoke("auth", "switch", "eu").code == 0
    assert json.loads(invoke("auth", "show").stdout)["name"] == "eu"
    assert invoke("auth", "remove", "eu").code == 0
    assert [r["name"] for r in json.loads(invoke("auth", "list").stdout)] == ["standin"]
    table = invoke("-f", "table", "auth", "show", "standin").stdout
    assert "********" in table and "2526451" in table


def test_test_reports_region_and_project(accounts):
    out = invoke("auth", "test", "standin")
    assert out.code == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] is True
    assert (result["region"], result["project_id"]) == ("us", "2526451")
    assert "Authenticated" in out.stderr


def test_test_with_a_wrong_secret_exits_2(accounts):
    invoke(
        "auth",
        "add",
        "wrong",
        "-u",
        "standin-sa.3f2a1c.mp-service-account",
        "--project",
        "2526451",
        "--secret",
        "not-the-secret-1234",
    )
    out = invoke("auth", "test", "wrong")
    assert out.code == 2 and out.stdout == ""
    assert "not-the-secret-1234" not in out.stderr


def test_test_without_a_name_uses_the_resolution_order(loaded, accounts):
    out = invoke("auth", "test")
    assert out.code == 0 and json.loads(out.stdout)["credentials_from"] == (
        "MP_* environment variables"
    )
    out = invoke("-a", "standin", "auth", "test")
    assert "account 'standin'" in json.loads(out.stdout)["credentials_from"]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "text"),
    [
        (["auth", "add", "standin", "--secret", "x" * 8], None, 3, "already exists"),
        (["auth", "add", "new"], None, 3, "--secret-stdin"),
        (["auth", "add", "new", "--secret-stdin"], "\n", 3, "empty"),
        (["auth", "add", "new", "--secret", "abcd1234", "--region", "mars"], None, 3, "mars"),
        (
            ["auth", "add", "n", "-u", "sa", "--project", "abc", "--secret", "abcd1234"],
            None,
            3,
            "not a number",
        ),
        (["auth", "add", "n", "-u", "sa", "--secret", "abcd1234"], None, 3, "project id"),
        (["auth", "remove", "nope"], None, 4, "No account named 'nope'"),
        (["auth", "switch", "nope"], None, 4, "No account named 'nope'"),
        (["auth", "show", "nope"], None, 4, "No account named 'nope'"),
        (["auth", "test", "nope"], None, 4, "No account named 'nope'"),
        (["auth", "add"], None, 3, "Missing argument"),
    ],
    ids=[
        "exists",
        "no-secret",
        "empty-secret",
        "bad-region",
        "bad-project",
        "no-project",
        "remove-unknown",
        "switch-unknown",
        "show-unknown",
        "test-unknown",
        "missing-name",
    ],
)
def test_auth_errors(accounts, args, stdin, code, text):
    out = invoke(*args, input=stdin)
    assert out.code == code, out.stderr
    assert text in out.stderr


def test_no_auth_output_ever_holds_the_secret(loaded, accounts):
    outputs = []
    for args in (
        ["auth", "list"],
        ["auth", "show", "standin"],
        ["-f", "table", "auth", "show", "standin"],
        ["-f", "csv", "auth", "list"],
        ["auth", "test", "standin"],
        ["-v", "auth", "test"],
    ):
        out = invoke(*args)
        outputs += [out.stdout, out.stderr]
    assert all(SECRET not in text for text in outputs)
    assert SECRET in accounts.read_text()
