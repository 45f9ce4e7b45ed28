"""Fixtures: the seeded project (and its clean part) as DuckDB files, and the plan it breaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.audit import TrackingPlan, parse_plan

from .seeded import PLAN_YAML, Project, build, write


@pytest.fixture(scope="session")
def seeded_project() -> Project:
    return build()


@pytest.fixture(scope="session")
def seeded_db(seeded_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(seeded_project, tmp_path_factory.mktemp("seeded") / "mixpanel_data.duckdb")


@pytest.fixture(scope="session")
def clean_project() -> Project:
    return build(seeded=False)


@pytest.fixture(scope="session")
def clean_db(clean_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(clean_project, tmp_path_factory.mktemp("clean") / "mixpanel_data.duckdb")


@pytest.fixture(scope="session")
def plan() -> TrackingPlan:
    return parse_plan(PLAN_YAML)


@pytest.fixture
def connect() -> Iterator[Any]:
    """``connect(path)``: a read-only DuckDB connection, closed after the test."""
    opened: list[Any] = []

    def open_(path: Path) -> Any:
        con = duckdb.connect(str(path), read_only=True)
        opened.append(con)
        return con

    yield open_
    for con in opened:
        con.close()
