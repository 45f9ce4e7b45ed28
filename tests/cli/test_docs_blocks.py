"""Every ``sh`` and ``python`` block of README.md and SKILL.md runs against the stand-in.

(SKILL.md's ``sh`` blocks run in ``test_skill.py``, with its size budget; the rest run here.)

A broken example fails here, not in a reader's terminal. The blocks of one file run in their
order in one shared directory (a later block may use what an earlier one loaded), as real
subprocesses: shell lines through ``bash`` with the venv's ``mp`` first on ``PATH``, Python
blocks through this interpreter. Two substitutions, both for the stand-in:

- credentials: an ``export`` of ``MP_USERNAME``/``MP_SECRET``/``MP_PROJECT_ID``/``MP_REGION``
  (placeholders like ``MP_SECRET=...``) is skipped, the stand-in's own are set instead;
- ``make demo``'s result: ``.mp-demo`` is made by ``mp demo`` (what ``make demo`` runs) and
  ``.venv`` links to this venv.

A line may exit non-zero only when its own comment documents that code (``# exit 1 on ...``).
A block preceded by ``<!-- docs-test: skip (reason) -->`` is skipped with that reason (only
blocks that build a venv or install from the network carry one).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.standin import ProjectSpec, StandIn

from .mpcli import mp_in, standin_settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "SKILL.md")
CREDENTIALS = {"MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID", "MP_REGION"}
#: January 2024 (README's backfill) through March (SKILL's and the live examples' days).
SPEC = ProjectSpec(
    seed=9, start=date(2024, 1, 1), days=75, events_per_day=60, profiles=80, resend_rate=0.0
)
_BLOCK = re.compile(
    r"(?:<!--\s*docs-test:\s*skip\s*\((?P<skip>[^)]*)\)\s*-->\s*\n)?```(?P<lang>\w*)\n(?P<body>.*?)```",
    re.S,
)


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text, and why it is skipped (if so)."""

    doc: str
    line: int
    lang: str
    body: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}:{self.lang}"


def blocks(doc: str) -> list[Block]:
    """The ``sh`` and ``python`` blocks of ``doc``, in order."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        if match.group("lang") not in ("sh", "python"):
            continue
        line = text.count("\n", 0, match.start("lang")) + 1
        found.append(Block(doc, line, match.group("lang"), match.group("body"), match["skip"]))
    return found


#: SKILL.md's shell blocks run in ``test_skill.py`` (which also checks each answer's size).
ALL = [b for doc in DOCS for b in blocks(doc) if not (b.doc == "SKILL.md" and b.lang == "sh")]


def test_the_docs_have_blocks_and_few_skips():
    readme = [b for b in ALL if b.doc == "README.md"]
    assert {b.lang for b in readme} == {"sh", "python"}
    assert len([b for b in ALL if b.skip]) <= 2, [b.id for b in ALL if b.skip]
    assert all(b.skip and b.skip.strip() for b in ALL if b.skip is not None)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A working directory and environment pointed at a running stand-in."""
    root = tmp_path_factory.mktemp("docs")
    (root / "home").mkdir()
    (root / ".venv").symlink_to(Path(sys.prefix))
    reset_budgets()
    with StandIn(SPEC) as server:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(root / "home"),
            "DLT_DATA_DIR": str(root / "dlt"),  # the blocks' own dlt pipelines (else ~/.dlt)
            "RUNTIME__DLTHUB_TELEMETRY": "false",  # tests never touch the internet
            **standin_settings(server, root, SPEC.timezone),
        }
        for name in ("MP_FORMAT", "MP_PIPELINES", "MP_DEBUG", "MP_TRACKING_PLAN"):
            env.pop(name, None)
        demo = mp_in(root, env, "-q", "demo", "--dir", ".mp-demo", timeout=300)
        assert demo.returncode == 0, demo.stderr
        yield root, env


def allowed_codes(line: str) -> set[int]:
    """0, plus any exit code the line's own comment documents (``# exit 1 on ...``)."""
    _, _, comment = line.partition(" # ")
    return {0} | {int(n) for n in re.findall(r"\bexit (\d+)", comment)}


def run_shell(block: Block, root: Path, env: dict[str, str]) -> None:
    for raw in block.body.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            for item in shlex.split(line, comments=True)[1:]:
                name, _, value = item.partition("=")
                if name not in CREDENTIALS:
                    env[name] = value
            continue
        out = subprocess.run(
            ["bash", "-c", line], capture_output=True, text=True, env=env, cwd=root, timeout=300
        )
        assert out.returncode in allowed_codes(line), (block.id, line, out.stderr[-2000:])


def run_python(block: Block, root: Path, env: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", block.body],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )
    assert out.returncode == 0, (block.id, out.stderr[-3000:])


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_block_runs(block: Block, place: tuple[Path, dict[str, str]]):
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    root, env = place
    if block.lang == "sh":
        run_shell(block, root, env)
    else:
        run_python(block, root, dict(env))
