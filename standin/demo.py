"""``mp demo``: the whole main job against the local stand-in, with a real answer at the end.

It starts the stand-in on 127.0.0.1, points a settings object at it (its ``base_url``, the demo
directory as data directory; the environment is left alone), loads events and profiles into a
DuckDB file under the demo directory, runs an incremental re-run (which only re-reads the
lookback window), and answers two questions with the SQL in ``queries/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings

DEMO_DAYS = 14
DEMO_EVENTS_PER_DAY = 3_000


@dataclass(frozen=True)
class DemoResult:
    """What the demo loaded and the answers it computed."""

    database: str
    runs: list[dict[str, Any]]
    top_events: list[dict[str, Any]]
    daily_active_users: list[dict[str, Any]]


def run_demo(
    data_dir: Path,
    status: Callable[[str], None] = lambda _: None,
    observer: Any = None,
    settings: Settings | None = None,
) -> DemoResult:
    """Load the stand-in project into ``data_dir`` and answer top events and DAU."""
    from zoneinfo import ZoneInfo

    from mixpanel_data.config.credentials import Credentials
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.run.runner import run_pipeline
    from mixpanel_data.sources.mixpanel.windows import last_export_day
    from mixpanel_data.standin import ProjectSpec, StandIn

    base = settings or Settings.from_env()
    zone = ProjectSpec().timezone
    today = last_export_day(base.clock.now(), ZoneInfo(zone), legacy=False)
    spec = ProjectSpec(
        timezone=zone,
        seed=42,
        start=today - timedelta(days=DEMO_DAYS - 1),
        days=DEMO_DAYS,
        events_per_day=DEMO_EVENTS_PER_DAY,
        profiles=500,
    )
    with StandIn(spec) as server:
        conf = base.with_(base_url=server.base_url, data_dir=data_dir)
        user, secret = server.auth
        options = {
            "project_timezone": spec.timezone,
            "credentials": Credentials(
                secret=secret, username=user, project_id=str(server.project_id), source="demo"
            ),
        }
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
                get_pipeline(name, conf.pipelines_file),
                conf,
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
    from mixpanel_data.local.connection import open_database
    from mixpanel_data.local.sqlparams import bind
    from mixpanel_data.queries import queries_dir

    text = (queries_dir() / name).read_text(encoding="utf-8")
    con = open_database(data_dir / "mixpanel_data.duckdb")
    try:
        cursor = con.execute(text, bind(text, {}))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
