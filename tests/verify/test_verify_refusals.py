"""Input ``mp verify`` refuses with one line and the documented exit code, and comparisons it
refuses to make because they would be apples to oranges (zones, ``where``)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from .conftest import Project, utc

START = date(2024, 3, 4)


def _one_line_error(done, code: int, *words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def loaded(verify_env) -> Project:
    env = verify_env(now=utc(2024, 3, 20), start=START, days=5)
    env.run(from_date="2024-03-04", to_date="2024-03-08")
    return env


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--from", "2024-03-07", "--to", "2024-03-05"], 3, ["--from 2024-03-07 is after"]),
        (["--from", "2024-03-32"], 3, ["--from", "is not a date"]),
        (["--events", "Nope"], 4, ["No event 'Nope'", "mp events"]),
        (["--event", "Login", "--event", "login"], 4, ["No event 'login'"]),
        (["--pipeline", "nightly"], 4, ["No pipeline named 'nightly'"]),
        (
            ["--from", "2024-04-01", "--to", "2024-04-03"],
            4,
            ["2024-04-01..2024-04-03 (not loaded)"],
        ),
        (["--bogus"], 3, ["--bogus"]),
    ],
    ids=[
        "reversed",
        "bad-date",
        "unknown-event",
        "unknown-case",
        "no-pipeline",
        "not-loaded",
        "bad-option",
    ],
)
def test_bad_input(loaded, args, code, words):
    _one_line_error(loaded.mp("verify", *args), code, *words)


def test_no_local_data(verify_env, loaded):
    fresh = verify_env(now=utc(2024, 3, 20), start=START, days=2)
    _one_line_error(fresh.mp("verify"), 4, "No local database", "mp run events")
    done = loaded.mp("drop", "events", "--force")
    assert done.returncode == 0, done.stderr
    _one_line_error(loaded.mp("verify"), 4, "No events table", "mp run events")


def test_input_is_checked_before_credentials(loaded):
    """Without credentials: bad input still says so (exit 3); good input needs them (exit 2)."""
    no_secret = {"MP_SECRET": "", "MP_USERNAME": ""}
    _one_line_error(loaded.mp("verify", "--from", "x", env=no_secret), 3, "is not a date")
    _one_line_error(loaded.mp("verify", env=no_secret), 2, "credentials")


def test_an_unknown_zone_is_refused_until_it_is_known(verify_env):
    """Loaded without a zone (no setting, /me refused): event_date holds UTC days, Mixpanel counts
    Los Angeles days. verify refuses; with the setting it names the fix; after the next run
    (event_date re-derived) it compares and matches."""
    env = verify_env(now=utc(2024, 3, 20), start=START, days=5, standin={"me": "no_scope"})
    env.run(from_date="2024-03-04", to_date="2024-03-08")
    _one_line_error(env.mp("verify"), 3, "time zone is unknown", "project_timezone")
    zone = {"SOURCES__MIXPANEL__PROJECT_TIMEZONE": "America/Los_Angeles"}
    _one_line_error(
        env.mp("verify", env=zone),
        3,
        "event_date holds UTC days",
        "America/Los_Angeles (project_timezone)",
        "run `mp run events`",
    )
    env.run(options={"project_timezone": "America/Los_Angeles"})
    done = env.mp("verify", "-f", "json", env=zone)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["timezone"] == "America/Los_Angeles"


def test_a_zone_mixpanel_contradicts_is_refused(verify_env):
    """project_timezone says Tokyo, Mixpanel says Los Angeles: event_date holds Tokyo days,
    Mixpanel's counts are Los Angeles days."""
    env = verify_env(now=utc(2024, 3, 20), start=START, days=5)
    env.settings.pipelines_file.write_text(
        "pipelines:\n  events:\n    options: {project_timezone: Asia/Tokyo}\n"
    )
    env.run(from_date="2024-03-04", to_date="2024-03-08")
    _one_line_error(
        env.mp("verify"),
        3,
        "Asia/Tokyo days and project_timezone says Asia/Tokyo",
        "Mixpanel reports America/Los_Angeles",
        "mp run events",
    )


def test_pipeline_filters(verify_env):
    """An `events` filter: only those events are compared (and only they may be asked for); a
    `where` filter cannot be reproduced by daily counts and is refused; so is another
    destination."""
    env = verify_env(now=utc(2024, 3, 20), start=START, days=5)
    env.settings.pipelines_file.write_text(
        "pipelines:\n"
        "  shop:\n    dataset: shop\n    options: {events: [Purchase, Add To Cart]}\n"
        '  ios:\n    dataset: ios\n    options: {where: \'properties["$os"] == "iOS"\'}\n'
        "  warehouse:\n    destination: postgres\n"
    )
    env.run("shop", from_date="2024-03-04", to_date="2024-03-08")
    done = env.mp("verify", "--pipeline", "shop", "-f", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["events_compared"], report["local_total"] > 0) == (2, True)
    _one_line_error(
        env.mp("verify", "--pipeline", "shop", "--events", "Login"), 3, "'Login' is never loaded"
    )
    _one_line_error(env.mp("verify", "--pipeline", "ios"), 3, "where", "without `where`")
    _one_line_error(env.mp("verify", "--pipeline", "warehouse"), 3, "postgres", "DuckDB")
