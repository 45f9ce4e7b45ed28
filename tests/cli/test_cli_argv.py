"""Global options are accepted after the command, unless the command has its own."""

from __future__ import annotations

import pytest
import typer

from mixpanel_data.cli.argv import hoist_global_options
from mixpanel_data.cli.main import app

ROOT = typer.main.get_command(app)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["sql", "SELECT 1", "-f", "csv"], ["-f", "csv", "sql", "SELECT 1"]),
        (["sql", "SELECT 1", "--format=csv", "-q"], ["--format=csv", "-q", "sql", "SELECT 1"]),
        (["-q", "tables", "--format", "json"], ["-q", "--format", "json", "tables"]),
        (["auth", "show", "prod", "-f", "table"], ["-f", "table", "auth", "show", "prod"]),
        (["sql", "q.sql", "-P", "x=-f"], ["sql", "q.sql", "-P", "x=-f"]),
        (["sql", "--", "-f"], ["sql", "--", "-f"]),
        (["auth", "add", "x", "--project", "1"], ["auth", "add", "x", "--project", "1"]),
        (["-f", "csv", "tables"], ["-f", "csv", "tables"]),
        (["nope", "-f", "csv"], ["nope", "-f", "csv"]),
        ([], []),
    ],
    ids=[
        "short",
        "equals-and-flag",
        "leading-kept",
        "nested-group",
        "option-value-left",
        "after-double-dash",
        "command-owns-option",
        "already-first",
        "unknown-command",
        "empty",
    ],
)
def test_hoisting(given, expected):
    assert hoist_global_options(given, ROOT) == expected
