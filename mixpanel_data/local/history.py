"""Run history of scheduled pipelines: one SQLite file shared by every scheduler process.

``<data dir>/schedule/history.sqlite`` holds one row per run (pipeline, the cron time it ran
for, start, end, status, rows, duration, error message). ``mp schedule status`` and
``mp info --pipeline`` read the last success, the last failure and its message from it; the
scheduler reads the last cron time handled to catch a missed run up once.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mixpanel_data.config.pipelines import PipelineSpec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    scheduled_for TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,          -- running, success, failure, interrupted
    rows_new INTEGER,
    duration_seconds REAL,
    message TEXT
)
"""


HISTORY_FILE = "history.sqlite"


def _connect(directory: Path) -> sqlite3.Connection:
    directory.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(directory / HISTORY_FILE, timeout=30, isolation_level=None)
    con.execute(_SCHEMA)
    return con


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_start(directory: Path, pipeline: str, scheduled_for: datetime | None) -> int:
    """A ``running`` row in ``directory``'s history; returns its id for :func:`record_end`."""
    con = _connect(directory)
    try:
        cur = con.execute(
            "INSERT INTO runs (pipeline, scheduled_for, started_at, status) "
            "VALUES (?, ?, ?, 'running')",
            (pipeline, scheduled_for.isoformat() if scheduled_for else None, _now()),
        )
        return int(cur.lastrowid or 0)
    finally:
        con.close()


def record_end(
    directory: Path,
    run_id: int,
    status: str,
    rows_new: int | None,
    duration: float,
    message: str | None = None,
) -> None:
    """Close a run: ``success``, ``failure`` (with its message) or ``interrupted``."""
    con = _connect(directory)
    try:
        con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, rows_new = ?, duration_seconds = ?, "
            "message = ? WHERE id = ?",
            (_now(), status, rows_new, round(duration, 3), message, run_id),
        )
    finally:
        con.close()


def last_scheduled(directory: Path, pipeline: str) -> datetime | None:
    """The latest cron time a run was started for (any outcome), if any."""
    con = _connect(directory)
    try:
        row = con.execute(
            "SELECT max(scheduled_for) FROM runs WHERE pipeline = ?", (pipeline,)
        ).fetchone()
    finally:
        con.close()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def runs(directory: Path, pipeline: str | None = None) -> list[dict[str, Any]]:
    """Every recorded run (oldest first), of one pipeline or all."""
    con = _connect(directory)
    con.row_factory = sqlite3.Row
    try:
        sql = "SELECT * FROM runs" + (" WHERE pipeline = ?" if pipeline else "") + " ORDER BY id"
        return [dict(r) for r in con.execute(sql, (pipeline,) if pipeline else ())]
    finally:
        con.close()


def _last(history: list[dict[str, Any]], status: str) -> dict[str, Any] | None:
    return next((r for r in reversed(history) if r["status"] == status), None)


def status_of(directory: Path, spec: PipelineSpec, now: datetime | None = None) -> dict[str, Any]:
    """Schedule, next run, last success and last failure (with its message) of one pipeline."""
    history = runs(directory, spec.name)
    success, failure = _last(history, "success"), _last(history, "failure")
    nxt = spec.schedule.next_run(now or datetime.now(UTC)) if spec.schedule else None
    return {
        "pipeline": spec.name,
        "cron": spec.schedule.cron if spec.schedule else None,
        "timezone": spec.schedule.timezone if spec.schedule else None,
        "next_run": nxt.isoformat() if nxt else None,
        "last_success": success["finished_at"] if success else None,
        "last_success_rows": success["rows_new"] if success else None,
        "last_failure": failure["finished_at"] if failure else None,
        "last_failure_message": failure["message"] if failure else None,
        "runs": len(history),
    }
