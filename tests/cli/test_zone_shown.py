"""The project's time zone and how export times were read are visible: ``mp auth test`` shows
the zone (Mixpanel's ``/me``, or the setting), ``mp info`` the zone ``event_date`` is in and the
legacy-export decision with its evidence."""

from __future__ import annotations

import json
from datetime import date

import pytest

from .mpcli import mp


@pytest.fixture
def project(standin_env, monkeypatch):
    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=300)
    monkeypatch.delenv("SOURCES__MIXPANEL__PROJECT_TIMEZONE", raising=False)
    return env


def test_auth_test_shows_the_zone_mixpanel_reports(project):
    out = mp("auth", "test")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert (found["timezone"], found["timezone_source"]) == ("America/Los_Angeles", "mixpanel")
    assert "time zone America/Los_Angeles" in out.stderr


def test_auth_test_prefers_the_setting_and_says_so(project):
    out = mp("auth", "test", env={"SOURCES__MIXPANEL__PROJECT_TIMEZONE": "America/Los_Angeles"})
    found = json.loads(out.stdout)
    assert (found["timezone"], found["timezone_source"]) == ("America/Los_Angeles", "setting")


def test_info_shows_the_zone_and_the_export_time_decision(project):
    day = str(project.project.days[0])
    loaded = mp("run", "events", "--from", day, "--to", day)
    assert loaded.returncode == 0, loaded.stderr
    assert "time zone America/Los_Angeles" in loaded.stderr
    info = json.loads(mp("info").stdout)
    (events,) = [p for p in info["pipelines"] if p["pipeline"] == "events"]
    summary = events["events"]
    assert summary["event_date_zone"] == "America/Los_Angeles"
    decided = summary["export_times"]
    assert (decided["legacy"], decided["decided"]) == (False, "detected")
    assert "processed before they happened" in decided["evidence"]
