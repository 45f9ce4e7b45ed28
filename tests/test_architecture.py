"""The architecture's promises: import arrows never form a cycle, the library never writes
``os.environ``, and two workspaces with their own settings load side by side."""

from __future__ import annotations

import ast
import os
import sys
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Installed package -> folder in the repository (pyproject's package-dir).
FOLDERS = {
    "mixpanel_data": "mixpanel_data",
    "mixpanel_data.sources": "sources",
    "mixpanel_data.cli": "cli",
    "mixpanel_data.destinations": "destinations",
    "mixpanel_data.standin": "standin",
    "mixpanel_data.queries": "queries",
}


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts]
            name = ".".join([package, *(p for p in parts if p != "__init__")])
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Modules of ours that ``name`` imports anywhere (functions included), except the imports
    under ``if TYPE_CHECKING:``, which never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(name, path, node)
            for alias in node.names:
                child = f"{module}.{alias.name}"
                found.add(child if child in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


def _absolute(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    assert sum(len(v) for v in graph.values()) > 200  # the walk sees the imports
    assert _cycles(graph) == []


#: Folders from the top down (README's Layout): each may import only from folders below it.
LAYERS = [
    "cli",
    "mcp",
    "standin",
    "workspace",
    "schedule",
    "verify",
    "run",
    "audit",
    "sources",
    "destinations",
    "live",
    "api",
    "local",
    "config",
    "base",
]


def _layer(module: str) -> str | None:
    """The folder of a module (``base``: exceptions and results); None for the facade."""
    parts = module.split(".")
    if module == "mixpanel_data":
        return None  # the package facade re-exports from every layer
    if parts[1] in ("exceptions", "results") or parts[1] == "queries":
        return "base"
    return parts[1]


def test_imports_only_point_down_the_layers():
    upward = []
    for name, path in MODULES.items():
        here = _layer(name)
        for dependency in _imports(name, path):
            there = _layer(dependency)
            if here is None or there is None or here == there:
                continue
            if LAYERS.index(there) < LAYERS.index(here):
                upward.append(f"{name} -> {dependency}")
    assert upward == []


class ReadOnlyEnviron(MutableMapping[str, str]):
    """``os.environ`` that can be read but not written: any write fails the test."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setitem__(self, key: str, value: str) -> None:
        raise AssertionError(f"library code wrote os.environ[{key!r}]")

    def __delitem__(self, key: str) -> None:
        raise AssertionError(f"library code deleted os.environ[{key!r}]")

    def copy(self) -> dict[str, str]:
        return dict(self._values)


@contextmanager
def frozen_environ() -> Iterator[None]:
    """Inside the block, a write to ``os.environ`` (or ``os.putenv``) raises."""
    real_environ, real_putenv = os.environ, os.putenv

    def refuse(key: str, value: str) -> None:
        raise AssertionError(f"library code called os.putenv({key!r})")

    for library in ("numpy", "pandas", "pyarrow", "duckdb", "dlt", "httpx"):
        __import__(library)  # third-party import-time setup (numpy sets OPENBLAS_MAIN_FREE)
    os.environ = ReadOnlyEnviron(dict(real_environ))  # type: ignore[assignment]  # noqa: B003
    os.putenv = refuse
    try:
        yield
    finally:
        os.environ, os.putenv = real_environ, real_putenv


def test_a_workspace_load_writes_no_environment(standin_env):
    from mixpanel_data import Workspace

    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=200, profiles=20)
    with frozen_environ(), pytest.raises(AssertionError, match=r"wrote os\.environ"):
        os.environ["MP_X"] = "1"  # the freeze holds
    with frozen_environ(), Workspace(path=env.data_dir / "elsewhere") as ws:
        ws.fetch_events(from_date="2024-03-08", to_date="2024-03-09", progress=False)
        ws.fetch_profiles(progress=False)
        assert ws.sql_scalar("SELECT count(*) FROM events") > 0


def test_the_demo_writes_no_environment(tmp_path):
    from mixpanel_data.standin.demo import run_demo

    with frozen_environ():
        result = run_demo(tmp_path / "demo")
    assert result.top_events and result.daily_active_users


def test_a_scheduled_run_writes_no_environment(standin_env, tmp_path):
    from mixpanel_data.config.pipelines import PipelineSpec, Schedule
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.schedule.scheduler import Scheduler

    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=200)
    spec = PipelineSpec(
        name="nightly",
        resources=["profiles"],
        schedule=Schedule(cron="0 * * * *"),
    )
    with frozen_environ():
        scheduler = Scheduler([spec], Settings.from_env())
        assert scheduler.run_one(spec, datetime(2024, 3, 9, 5, tzinfo=UTC)) == "success"
    assert env.rows("SELECT count(*) FROM mixpanel.profiles")[0][0] > 0


def test_two_workspaces_in_two_threads_load_into_their_own_data_dirs(standin_env, tmp_path):
    """Settings travel as objects, not through the process environment: two workspaces with
    two data directories run at the same time, each loading only into its own."""
    from mixpanel_data import Workspace

    env = standin_env(start=date(2024, 3, 8), days=4, events_per_day=400)
    ranges = {"left": ("2024-03-08", "2024-03-09"), "right": ("2024-03-10", "2024-03-11")}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def load(side: str) -> None:
        try:
            with Workspace(path=tmp_path / side) as ws:
                barrier.wait(timeout=30)
                first, last = ranges[side]
                ws.fetch_events(from_date=first, to_date=last, progress=False)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(side,)) for side in ranges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    for side, (first, last) in ranges.items():
        con = duckdb.connect(str(tmp_path / side / "mixpanel_data.duckdb"), read_only=True)
        try:
            days = con.execute("SELECT DISTINCT export_date FROM mixpanel.events").fetchall()
        finally:
            con.close()
        expected = {date.fromisoformat(first), date.fromisoformat(last)}
        assert {d for (d,) in days} == expected, side
    assert not (env.data_dir / "mixpanel_data.duckdb").exists()
