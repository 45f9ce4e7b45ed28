"""Shared fixtures: a running stand-in project and an isolated data directory pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.run.runner import RunSummary, run_pipeline
from mixpanel_data.standin import ProjectSpec, StandIn

from .harsh import harsh  # noqa: F401  (a fixture for every test folder)

TZ = "America/Los_Angeles"


class Env:
    """A running stand-in plus a data dir, with helpers to run pipelines and read results."""

    def __init__(self, server: StandIn, data_dir: Path) -> None:
        self.server = server
        self.data_dir = data_dir

    @property
    def project(self) -> Any:
        return self.server.project

    def run(self, name: str = "events", **kwargs: Any) -> RunSummary:
        overrides = {"project_timezone": self.server.spec.timezone, **kwargs.pop("options", {})}
        return run_pipeline(get_pipeline(name), source_overrides=overrides, **kwargs)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.data_dir / "mixpanel_data.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def counts_by_day(self) -> dict[date, int]:
        return dict(self.rows("SELECT export_date, count(*) FROM mixpanel.events GROUP BY 1"))

    def truth_by_day(self, days: list[date] | None = None) -> dict[date, int]:
        wanted = days if days is not None else list(self.project.days)
        return {d: self.project.unique_count(d) for d in wanted if self.project.unique_count(d)}


@pytest.fixture(autouse=True)
def _no_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables take ``COLUMNS`` as their width; pytest-xdist's workers set it to 80, a plain
    run does not. Tests that care set it themselves."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture
def standin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Env]]:
    """Factory: ``standin_env(**spec_changes)`` starts a stand-in and points the library at it."""
    servers: list[StandIn] = []

    def start(**changes: Any) -> Env:
        spec = ProjectSpec(
            **{"seed": 11, "days": 6, "events_per_day": 400, "timezone": TZ, **changes}
        )
        server = StandIn(spec)
        server.start()
        servers.append(server)
        user, secret = server.auth
        monkeypatch.setenv("MP_BASE_URL", server.base_url)
        monkeypatch.setenv("MP_USERNAME", user)
        monkeypatch.setenv("MP_SECRET", secret)
        monkeypatch.setenv("MP_PROJECT_ID", str(server.project_id))
        monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("MP_CONFIG_PATH", str(tmp_path / "config.toml"))
        monkeypatch.chdir(tmp_path)
        return Env(server, tmp_path / "data")

    reset_budgets()
    yield start
    for server in servers:
        server.stop()
    reset_budgets()


@pytest.fixture
def ending_today() -> Callable[[int], date]:
    """``ending_today(n)``: the start date of an ``n``-day project that ends today."""
    return _ending_today


def _ending_today(days: int) -> date:
    """A start date such that a ``days``-long project ends on the last day export accepts.

    That is today in the project's zone (which is never ahead of UTC's today here).
    """
    return datetime.now(ZoneInfo(TZ)).date() - timedelta(days=days - 1)
