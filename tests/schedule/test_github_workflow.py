"""GitHub Actions export: actionlint passes it, and two runs on throwaway runners keep state.

The second test plays the workflow as GitHub would, step by step, twice: each run on a fresh
"runner" (a new workspace folder, so nothing survives but the cache), ``actions/cache``
emulated by a folder of immutable entries (restore: the exact key, else the newest entry whose
key starts with a restore key; save: a new entry), ``if:`` and ``${{ }}`` evaluated from the
event, secrets and env, and each ``run:`` executed by bash with the venv's ``mp`` on PATH. The
second run must continue from the first run's cursor (its export requests start at the cursor
minus the lookback, not at the first run's start) and add to the first run's rows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from .sysbin import MP, schedule_export, tool

PIPELINES = """
pipelines:
  nightly:
    resources: [events]
    schedule: {cron: "30 2 * * *"}
  weekly:
    resources: [profiles]
    schedule: {cron: "0 4 * * 1"}
"""
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class _Context(dict[str, Any]):
    """``github.event.schedule``-style attribute access over nested dicts."""

    def __getattr__(self, name: str) -> Any:
        value = self.get(name, "")
        return _Context(value) if isinstance(value, dict) else value


def _evaluate(expression: str, context: dict[str, Any]) -> Any:
    python = expression.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"!(?!=)", " not ", python)
    names = {k: _Context(v) if isinstance(v, dict) else v for k, v in context.items()}
    return eval(python, {"__builtins__": {}}, {**names, "cancelled": lambda: False})


def _render(text: str, context: dict[str, Any]) -> str:
    return _EXPR.sub(lambda m: str(_evaluate(m.group(1), context)), text)


class Runner:
    """One workflow run on a fresh runner, with the cache store shared across runs."""

    def __init__(self, repo: Path, cache: Path, run_id: int, secrets: dict[str, str]) -> None:
        self.workspace = repo.parent / f"runner-{run_id}" / "work"
        shutil.copytree(repo, self.workspace)  # actions/checkout on a new machine
        self.cache = cache
        self.context: dict[str, Any] = {
            "github": {
                "workspace": str(self.workspace),
                "run_id": str(run_id),
                "run_attempt": "1",
                "event_name": "schedule",
                "event": {"schedule": ""},
            },
            "secrets": secrets,
            "vars": {},
            "env": {},
        }
        self.ran: list[str] = []

    def play(self, workflow: dict[str, Any], schedule: str) -> None:
        self.context["github"]["event"]["schedule"] = schedule
        [job] = workflow["jobs"].values()
        self.context["env"] = {k: _render(str(v), self.context) for k, v in job["env"].items()}
        for step in job["steps"]:
            if "if" in step and not _evaluate(_EXPR.sub(r"\1", step["if"]), self.context):
                continue
            uses = step.get("uses", "")
            if uses.startswith(("actions/checkout@", "actions/setup-python@")):
                continue
            given = {k: _render(str(v), self.context) for k, v in step.get("with", {}).items()}
            if uses.startswith("actions/cache/restore@"):
                self._restore(given)
            elif uses.startswith("actions/cache/save@"):
                self._save(given)
            elif step["run"] == "pip install .":
                assert (self.workspace / "pyproject.toml").exists()  # installs this checkout
            else:
                self._run(step)

    def _restore(self, given: dict[str, str]) -> None:
        entries = sorted(self.cache.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        exact = [e for e in entries if e.name == given["key"]]
        prefixed = [e for e in entries if e.name.startswith(given["restore-keys"])]
        if exact or prefixed:
            shutil.copytree((exact or prefixed)[0], given["path"])

    def _save(self, given: dict[str, str]) -> None:
        assert not (self.cache / given["key"]).exists()  # cache entries are immutable
        shutil.copytree(given["path"], self.cache / given["key"])

    def _run(self, step: dict[str, Any]) -> None:
        step_env = {k: _render(v, self.context) for k, v in step["env"].items()}
        env = {**self.context["env"], **step_env}
        path = f"{MP.parent}:/usr/bin:/bin"  # `mp` is what `pip install .` put on PATH
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=self.workspace,
            env={"PATH": path, "HOME": str(self.workspace.parent), **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )
        assert done.returncode == 0, (step["run"], done.stderr)
        self.ran.append(step["run"])


@pytest.fixture
def exported(
    standin_env: Callable[..., Any], ending_today: Callable[[int], date], tmp_path: Path
) -> tuple[Any, Path, dict[str, Any]]:
    env = standin_env(start=ending_today(4), days=4, events_per_day=150, profiles=30)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipelines.yaml").write_text(PIPELINES)
    (repo / "pyproject.toml").write_text("[project]\nname = 'mixpanel-data'\n")  # the checkout
    environ = {k: v for k, v in os.environ.items() if k != "MP_PIPELINES"}
    done = schedule_export(repo, "--target", "github-actions", "--out", str(repo), env=environ)
    assert done.returncode == 0, done.stderr
    return env, repo, yaml.safe_load((repo / "mixpanel-data.yml").read_text())


def test_actionlint_passes(exported: tuple[Any, Path, dict[str, Any]]) -> None:
    _, repo, _ = exported
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(repo / "mixpanel-data.yml", workflows)
    done = subprocess.run(
        [tool("actionlint"), "-no-color", str(workflows / "mixpanel-data.yml")],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_installs_the_checkout_and_passes_service_account_secrets(
    exported: tuple[Any, Path, dict[str, Any]],
) -> None:
    _, repo, workflow = exported
    text = (repo / "mixpanel-data.yml").read_text()
    assert os.environ["MP_SECRET"] not in text
    steps = workflow["jobs"]["pipelines"]["steps"]
    assert next(s["run"] for s in steps if "run" in s) == "pip install ."
    [run] = [s for s in steps if s.get("run") == "mp --quiet run nightly"]
    for name in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID", "MP_REGION", "MP_WORKSPACE_ID"):
        assert run["env"][name] == f"${{{{ secrets.{name} }}}}"
    job_env = workflow["jobs"]["pipelines"]["env"]
    cache_paths = [s["with"]["path"] for s in steps if "actions/cache" in s.get("uses", "")]
    assert cache_paths == ["${{ env.MP_DATA_DIR }}"] * 2  # restore and save: the run's data dir
    assert job_env["MP_DATA_DIR"].startswith("${{ github.workspace }}/")


def _export_froms(env: Any) -> list[str]:
    return sorted(r.params["from_date"] for r in env.server.requests.filter(family="export"))


def test_two_runs_on_throwaway_runners_keep_state(
    exported: tuple[Any, Path, dict[str, Any]], tmp_path: Path
) -> None:
    env, repo, workflow = exported
    secrets = {n: os.environ[n] for n in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID")}
    cache = tmp_path / "cache"
    cache.mkdir()
    first = Runner(repo, cache, 1, secrets)
    first.play(workflow, "30 2 * * *")
    assert first.ran == ["mp --quiet run nightly"]  # the weekly step's schedule did not fire
    first_froms = _export_froms(env)
    data = first.context["env"]["MP_DATA_DIR"]
    con = duckdb.connect(str(Path(data) / "mixpanel_data.duckdb"), read_only=True)
    first_loads = {r[0] for r in con.execute("SELECT load_id FROM mixpanel._dlt_loads").fetchall()}
    con.close()
    shutil.rmtree(first.workspace.parent)  # the runner is gone; only the cache is left

    env.server.requests.clear()
    late = env.server.add_late_events(env.project.days[-2], 9)
    second = Runner(repo, cache, 2, secrets)
    second.play(workflow, "30 2 * * *")
    second_froms = _export_froms(env)
    assert second_froms and min(second_froms) > min(first_froms)  # continued from the cursor
    con = duckdb.connect(
        str(Path(second.context["env"]["MP_DATA_DIR"]) / "mixpanel_data.duckdb"), read_only=True
    )
    loads = {r[0] for r in con.execute("SELECT load_id FROM mixpanel._dlt_loads").fetchall()}
    ids = {r[0] for r in con.execute("SELECT insert_id FROM mixpanel.events").fetchall()}
    con.close()
    assert first_loads < loads  # the first run's loads are still there, and new ones
    late_ids = {e["properties"].get("$insert_id") for e in late} - {None}
    assert late_ids and late_ids <= ids
    assert sorted(p.name for p in cache.iterdir()) == ["mixpanel-data-1-1", "mixpanel-data-2-1"]
