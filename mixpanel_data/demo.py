"""``mp demo``: the whole main job against the local stand-in, with a real answer at the end.

It starts the stand-in on 127.0.0.1, points the client at it (``MP_BASE_URL``), loads events
and profiles into a DuckDB file under the demo directory, runs an incremental re-run (which only
re-reads the lookback window), and answers two questions with the SQL in ``queries/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DEMO_DAYS = 14
DEMO_EVENTS_PER_DAY = 3_000
_ENV = ("MP_BASE_URL", "MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID", "MP_REGION", "MP_DATA_DIR")


@dataclass(frozen=True)
class DemoResult:
    """What the demo loaded and the answers it computed."""

    database: str
    runs: list[dict[str, Any]]
    top_events: list[dict[str, Any]]
    daily_active_users: list[dict[str, Any]]


@contextmanager
def _pointed_at(
    base_url: str, auth: tuple[str, str], project_id: int, data_dir: Path
) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(
        MP_BASE_URL=base_url,
        MP_USERNAME=auth[0],
        MP_SECRET=auth[1],
        MP_PROJECT_ID=str(project_id),
        MP_REGION="us",
        MP_DATA_DIR=str(data_dir),
    )
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_demo(
    data_dir: Path, status: Callable[[str], None] = lambda _: None, observer: Any = None
) -> DemoResult:
    """Load the stand-in project into ``data_dir`` and answer top events and DAU."""
    from mixpanel_data.pipelines import get_pipeline
    from mixpanel_data.runner import run_pipeline
    from mixpanel_data.standin import ProjectSpec, StandIn

    today = date.today()
    spec = ProjectSpec(
        seed=42,
        start=today - timedelta(days=DEMO_DAYS - 1),
        days=DEMO_DAYS,
        events_per_day=DEMO_EVENTS_PER_DAY,
        profiles=500,
    )
    options = {"project_timezone": spec.timezone}
    with (
        StandIn(spec) as server,
        _pointed_at(server.base_url, server.auth, server.project_id, data_dir),
    ):
        status(
            f"Stand-in Mixpanel at {server.base_url} "
            f"({DEMO_DAYS} days, ~{DEMO_EVENTS_PER_DAY:,} events/day)"
        )
        runs = []
        for name, first, last in (
            ("events", spec.start, spec.end),
            ("profiles", None, None),
            ("events", None, None),
        ):
            label = f"mp run {name}" + (f" --from {first} --to {last}" if first else "")
            status(label)
            summary = run_pipeline(
                get_pipeline(name),
                from_date=first,
                to_date=last,
                observer=observer,
                source_overrides=options,
            )
            runs.append({"command": label, **summary.to_dict()})
        top = _query(data_dir, "top_events.sql")
        dau = _query(data_dir, "daily_active_users.sql")
    return DemoResult(str(data_dir), runs, top, dau)


def _query(data_dir: Path, name: str) -> list[dict[str, Any]]:
    from mixpanel_data.sqlparams import bind
    from mixpanel_data.storage import open_database

    text = (queries_dir() / name).read_text(encoding="utf-8")
    con = open_database(data_dir / "mixpanel_data.duckdb")
    try:
        cursor = con.execute(text, bind(text, {}))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def queries_dir() -> Path:
    """The ready-made SQL shipped with the package (the repo's ``queries/`` when editable)."""
    import mixpanel_data.queries

    return Path(mixpanel_data.queries.__file__).resolve().parent
