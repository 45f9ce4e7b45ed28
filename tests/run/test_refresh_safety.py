"""``--full-refresh`` never destroys data by mistake: until the whole refresh is fetched and its
one load starts, the old tables and their cursor stay exactly as they were.

The CLI cases run real ``mp`` processes on a loaded table; the chunk and budget cases run the
runner in-process on the shared fake clock (``harsh``), where a refresh loaded in chunks used to
drop the table with its first chunk and keep only that chunk when a later one failed or stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.config.limits import ApiLimits
from mixpanel_data.exceptions import TransientError
from mixpanel_data.run.runner import BudgetStopped
from mixpanel_data.standin import RateLimits

from ..harsh import Recorder, utc

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def _mp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MP, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300
    )


def _events(data_dir: Path) -> int:
    con = duckdb.connect(str(data_dir / "mixpanel_data.duckdb"), read_only=True)
    try:
        found = con.execute("SELECT count(*) FROM mixpanel.events").fetchone()
    finally:
        con.close()
    return int(found[0]) if found else 0


@pytest.fixture
def loaded(standin_env):
    """A stand-in and a data dir whose events table was loaded by a real ``mp run``."""
    env = standin_env(start=date(2024, 3, 4), days=3, events_per_day=300)
    days = env.project.days
    out = _mp("--quiet", "run", "events", "--from", str(days[0]), "--to", str(days[-1]))
    assert out.returncode == 0, out.stderr
    assert _events(env.data_dir) == sum(env.truth_by_day().values()) > 0
    return env


def _refused(env: Any, args: list[str], extra: dict[str, str], code: int) -> None:
    before = _events(env.data_dir)
    out = _mp("--quiet", "run", "events", "--full-refresh", *args, env=extra)
    assert out.returncode == code, (args, extra, out.stderr)
    assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr, out.stderr
    assert _events(env.data_dir) == before, (args, extra)


def test_a_refused_refresh_keeps_every_row(loaded):
    days = [str(d) for d in loaded.project.days]
    span = ["--from", days[0], "--to", days[-1]]
    _refused(loaded, ["--from", days[-1], "--to", days[0]], {}, 3)
    _refused(loaded, span, {"MP_REGION": "mars"}, 3)
    _refused(loaded, span, {"MP_SECRET": "wrong-secret-0000"}, 2)
    _refused(loaded, ["--from", days[0], "--to", "2099-01-01"], {}, 3)
    _refused(loaded, ["--from", "2099-01-01"], {}, 3)
    assert loaded.server.requests.filter(family="export", endpoint=None)  # the load's, earlier


@pytest.mark.slow
def test_a_refresh_whose_export_always_fails_keeps_every_row(loaded):
    days = [str(d) for d in loaded.project.days]
    loaded.server.add_fault("5xx", family="export", times=-1)
    try:
        _refused(loaded, ["--from", days[0], "--to", days[-1]], {}, 1)
    finally:
        loaded.server.clear_faults()
    assert loaded.server.requests.filter(family="export", fault="5xx")


class FailAfterFirstWindow(Recorder):
    """Every export after the first finished window answers 503."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server

    def window_done(self, window: Any, rows: int) -> None:
        if not self.server.requests.filter(family="export", fault="5xx"):
            self.server.add_fault("5xx", family="export", times=-1)


def _six_days(harsh: Any, **changes: Any) -> Any:
    env = harsh(now=utc(2024, 3, 30, 12), start=date(2024, 3, 1), days=6, **changes)
    env.run(from_date="2024-03-01", to_date="2024-03-06")
    assert len(env.export_counts()) == 6
    return env


def test_a_refresh_failing_after_its_first_window_keeps_the_old_table(harsh):
    env = _six_days(harsh)
    before, state = env.export_counts(), env.events_state()
    env.settings = env.settings.with_(load_chunk_mb=0.0001)  # normal runs: a load per window
    with pytest.raises(TransientError):
        env.run(
            from_date="2024-03-01",
            to_date="2024-03-06",
            full_refresh=True,
            options={"window_days": 1, "concurrency": 1},
            observer=FailAfterFirstWindow(env.server),
        )
    assert env.export_counts() == before  # chunked, only 2024-03-01 was left
    assert env.events_state() == state
    env.server.clear_faults()
    env.run("events")  # the cursor is the old one: an incremental run continues from it
    assert env.export_counts() == before


def test_a_refresh_stopped_by_the_budget_keeps_the_old_table_and_its_cursor(harsh):
    env = _six_days(
        harsh, limits=ApiLimits(export_per_hour=3), server_limits=RateLimits(export_per_hour=3)
    )
    before, state = env.export_counts(), env.events_state()
    env.clock.advance(timedelta(hours=2))
    with pytest.raises(BudgetStopped) as stop:
        env.run(
            from_date="2024-03-01",
            to_date="2024-03-06",
            full_refresh=True,
            options={"window_days": 1},
            max_wait=0,
        )
    assert stop.value.exit_code == 5 and stop.value.summary.rows_new == 0
    assert "full refresh was not applied" in stop.value.message
    assert env.export_counts() == before  # a committed stop used to leave 3 of 6 days
    assert env.events_state() == state
    env.clock.advance(timedelta(hours=2))
    summary = env.run(from_date="2024-03-01", to_date="2024-03-06", full_refresh=True)
    assert env.export_counts() == before and summary.chunks == 1


def _add_stray_row(env: Any) -> None:
    con = duckdb.connect(str(env.settings.database_path))
    try:
        con.execute(
            "INSERT INTO mixpanel.events (event_key, export_date) VALUES ('stray', '2024-03-02')"
        )
    finally:
        con.close()


@pytest.mark.parametrize("fresh_machine", [False, True], ids=["same-dir", "no-dlt-working-dir"])
def test_a_refresh_replaces_the_table(harsh, fresh_machine):
    env = _six_days(harsh)
    before = env.export_counts()
    _add_stray_row(env)
    if fresh_machine:  # only the database is left: dlt restores its state from there
        import shutil

        shutil.rmtree(env.settings.pipelines_dir)
    summary = env.run(from_date="2024-03-01", to_date="2024-03-06", full_refresh=True)
    assert env.export_counts() == before  # the stray row went with the old table
    assert summary.rows_new == sum(before.values())
    state = env.events_state()
    assert state["cursor"] == "2024-03-06" and state["backfill"] is None
