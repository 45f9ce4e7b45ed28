"""Every command in SKILL.md runs against the stand-in and answers in well under 1 KB."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.standin import ProjectSpec, StandIn

from .mpcli import mp_in, standin_settings

SKILL = Path(__file__).resolve().parents[2] / "SKILL.md"
LIMIT = 1024
#: The project SKILL.md's dates refer to.
SPEC = ProjectSpec(seed=3, start=date(2024, 3, 4), days=7, events_per_day=400, profiles=100)


def skill_lines() -> list[str]:
    """The lines of every ```sh block, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", SKILL.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def commands() -> list[str]:
    return [line for line in skill_lines() if line.startswith("mp ")]


def test_skill_covers_introspection_both_paths_and_ten_questions():
    lines = commands()
    for needed in ("mp tables", "mp schema events", "mp events", "mp run events"):
        assert any(line.startswith(needed) for line in lines), needed
    assert any(line.startswith("mp segmentation") for line in lines)
    shipped = {m for line in lines for m in re.findall(r"queries/(\w+)\.sql", line)}
    assert len(shipped) >= 10
    assert all(line.startswith(("mp ", "export ")) for line in skill_lines())


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("skill")
    reset_budgets()
    with StandIn(SPEC) as server:
        env = {**os.environ, **standin_settings(server, root, SPEC.timezone)}
        env.pop("MP_FORMAT", None)
        yield env


def test_every_skill_command_answers_in_under_1_kb(environment, tmp_path):
    env = dict(environment)
    sizes = {}
    for line in skill_lines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
            continue
        args = shlex.split(line, comments=True)[1:]
        out = mp_in(tmp_path, env, *args)
        assert out.returncode == 0, (line, out.stderr)
        assert out.stdout.strip(), line
        sizes[line] = len(out.stdout.encode())
    too_big = {line: size for line, size in sizes.items() if size >= LIMIT}
    assert not too_big
    assert len(sizes) == len(commands())
