"""Helpers to run ``mp``: in-process through the real entry point, or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from mixpanel_data.cli.main import main

if TYPE_CHECKING:
    from mixpanel_data.standin import StandIn

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


@dataclass
class Outcome:
    """What one ``mp`` invocation printed and returned."""

    code: int
    stdout: str
    stderr: str


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Outcome:
    """``mp ARGS`` in-process (CliRunner's isolated streams) through ``main``'s error boundary."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (stdout, stderr, _):
        code = main(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return Outcome(code, out, err)


def mp(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``mp ARGS`` as a real subprocess with the current environment (plus ``env``)."""
    return subprocess.run(
        [*MP, *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def mp_in(
    cwd: Path, env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``mp ARGS`` as a real subprocess in ``cwd`` with exactly ``env`` (nothing inherited)."""
    return subprocess.run(
        [*MP, *args], capture_output=True, text=True, env=dict(env), cwd=cwd, timeout=timeout
    )


def standin_settings(server: StandIn, root: Path, timezone: str) -> dict[str, str]:
    """The ``MP_*`` settings that point ``mp`` at ``server``, with data and config under
    ``root`` and the project's time zone (add them to an environment)."""
    user, secret = server.auth
    return {
        "MP_BASE_URL": server.base_url,
        "MP_USERNAME": user,
        "MP_SECRET": secret,
        "MP_PROJECT_ID": str(server.project_id),
        "MP_DATA_DIR": str(root / "data"),
        "MP_CONFIG_PATH": str(root / "config.toml"),
        "SOURCES__MIXPANEL__PROJECT_TIMEZONE": timezone,
    }
