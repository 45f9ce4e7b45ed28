"""``Workspace.fetch_events(options=...)``: every value given reaches the source, falsy ones too.

``legacy_timezone=False`` and ``lookback_days=0`` are real choices, not "unset": dropping them
would silently run with ``auto`` (detect legacy times from the data) and a 5-day lookback.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dlt

from mixpanel_data import Workspace
from mixpanel_data.destinations.dates import events_state

TZ = "America/Los_Angeles"


class Planned:
    """A progress observer that keeps the export days each run planned."""

    def __init__(self) -> None:
        self.planned: list[tuple[date, date]] = []

    def days_planned(self, start: date, end: date) -> None:
        self.planned.append((start, end))

    def window_done(self, window: Any, rows: int) -> None:
        pass


def _state(env: Any) -> dict[str, Any]:
    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.data_dir / "pipelines"))
    return events_state(pipeline)


def test_legacy_timezone_false_is_kept(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2, events_per_day=80, legacy_timezone=True)
    first, last = env.project.days[0], env.project.days[-1]
    with Workspace() as ws:
        ws.fetch_events(
            from_date=first,
            to_date=last,
            progress=False,
            options={"project_timezone": TZ, "legacy_timezone": False},
        )
    decided = _state(env)["export_times"]
    # auto would have detected this project's local export times from the data
    assert (decided["legacy"], decided["decided"]) == (False, "setting"), decided


def test_lookback_days_zero_is_kept(standin_env, ending_today):
    env = standin_env(start=ending_today(8), days=8, events_per_day=40)
    days = env.project.days
    observer = Planned()
    with Workspace() as ws:
        ws.fetch_events(from_date=days[0], to_date=days[4], progress=False)
        ws.fetch_events(progress=observer, options={"project_timezone": TZ, "lookback_days": 0})
    assert _state(env)["cursor"] == str(days[-1])
    # the default lookback (5 days) would have started at days[4] - 5
    assert observer.planned == [(days[4], days[-1])], observer.planned
    assert observer.planned[0][0] != days[4] - timedelta(days=5)
