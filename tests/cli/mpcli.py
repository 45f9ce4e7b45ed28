"""Helpers to run ``mp``: in-process through the real entry point, or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from mixpanel_data.cli.main import main

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
