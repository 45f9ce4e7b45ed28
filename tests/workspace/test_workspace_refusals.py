"""``Workspace.fetch_*`` refuses like ``mp run``: bad dates before anything happens, and never
beside another run of the same pipeline (a run cleans up the dlt working folder they share)."""

from __future__ import annotations

from datetime import date

import pytest

from mixpanel_data import InvalidArgumentError, Workspace
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.exceptions import MixpanelDataError
from mixpanel_data.schedule.lock import run_lock


def test_a_fetch_beside_a_running_pipeline_is_refused(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2, events_per_day=40)
    days = env.project.days
    with Workspace() as ws:
        with run_lock(ws.settings.schedule_dir, get_pipeline("events")) as held:
            assert held  # as `mp run events` or the scheduler would hold it
            with pytest.raises(MixpanelDataError, match="already running"):
                ws.fetch_events(from_date=days[0], to_date=days[-1], progress=False)
        assert len(env.server.requests) == 0
        ws.fetch_events(from_date=days[0], to_date=days[-1], progress=False)  # free again
    assert env.counts_by_day() == env.truth_by_day()


def test_a_fetch_of_future_days_is_refused_before_anything(standin_env):
    env = standin_env(start=date(2024, 3, 4), days=2)
    with Workspace() as ws, pytest.raises(InvalidArgumentError, match="in the future"):
        ws.fetch_events(from_date="2099-01-01", progress=False)
    assert len(env.server.requests) == 0
    assert not env.data_dir.exists()
