"""``Workspace.info()`` reports "no cursor" only when dlt committed no state, never for a state
it failed to read: a damaged state table is an error, not an empty pipeline."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from mixpanel_data import Workspace

TZ = "America/Los_Angeles"


@pytest.fixture
def loaded(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2, events_per_day=60)
    env.run(from_date=env.project.days[0], to_date=env.project.days[-1])
    return env


def _cursors(ws: Workspace) -> dict[str, dict[str, str]]:
    return {p.name: p.cursors for p in ws.info().pipelines}


def _alter(env, sql: str) -> None:
    con = duckdb.connect(str(env.data_dir / "mixpanel_data.duckdb"))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_a_damaged_state_table_is_an_error_not_no_cursor(loaded):
    last = str(loaded.project.days[-1])
    with Workspace() as ws:
        assert _cursors(ws)["events"] == {"events": last}
    _alter(loaded, "ALTER TABLE mixpanel._dlt_pipeline_state RENAME COLUMN version TO v")
    with Workspace() as ws, pytest.raises(duckdb.Error, match="version"):
        ws.info()


def test_a_dataset_without_a_state_table_has_no_cursor(loaded):
    _alter(loaded, "DROP TABLE mixpanel._dlt_pipeline_state")
    with Workspace() as ws:
        assert _cursors(ws)["events"] == {}
