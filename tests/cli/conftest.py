"""A stand-in project loaded once per test module, and per-test copies to destroy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.run.runner import run_pipeline
from mixpanel_data.standin import ProjectSpec, StandIn

from .mpcli import standin_settings

TZ = "America/Los_Angeles"
SECRET = "cli-test-secret-7f3a9b2c41"


@dataclass
class Loaded:
    """A running stand-in whose project (events and profiles) is loaded under ``data_dir``."""

    server: StandIn
    root: Path
    data_dir: Path

    @property
    def spec(self) -> ProjectSpec:
        return self.server.spec

    @property
    def events(self) -> int:
        return sum(self.server.project.unique_count(d) for d in self.server.project.days)

    @property
    def days(self) -> list[date]:
        return list(self.server.project.days)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """MP_* pointed at a stand-in; events (3 days) and profiles loaded once for the module."""
    root = tmp_path_factory.mktemp("cli")
    spec = ProjectSpec(
        seed=5,
        start=date(2024, 3, 4),
        days=3,
        events_per_day=300,
        profiles=60,
        timezone=TZ,
        sa_secret=SECRET,
    )
    with StandIn(spec) as server, pytest.MonkeyPatch.context() as patch:
        for name, value in standin_settings(server, root, TZ).items():
            patch.setenv(name, value)
        for name in ("MP_FORMAT", "MP_DEBUG", "MP_PIPELINES", "NO_COLOR"):
            patch.delenv(name, raising=False)
        patch.chdir(root)
        reset_budgets()
        options = {"project_timezone": TZ}
        run_pipeline(
            get_pipeline("events"),
            from_date=spec.start,
            to_date=spec.end,
            source_overrides=options,
        )
        run_pipeline(get_pipeline("profiles"), source_overrides=options)
        yield Loaded(server, root, root / "data")
    reset_budgets()


@pytest.fixture
def scratch(loaded: Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the loaded data directory (MP_DATA_DIR points at it) to destroy."""
    copy = tmp_path / "data"
    shutil.copytree(loaded.data_dir, copy)
    monkeypatch.setenv("MP_DATA_DIR", str(copy))
    return copy
