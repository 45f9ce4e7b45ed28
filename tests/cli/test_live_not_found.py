"""Live commands asked about something the project does not have: an unknown funnel, saved
report or cohort id is "not found" (exit 4, one line), and a misspelt event, which Mixpanel
counts as zero, gets a warning on stderr (exit 0). Real subprocesses against the stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mixpanel_data.api.errors import error_for_response
from mixpanel_data.exceptions import NotFoundError, QueryError

from .mpcli import mp

DAYS = ("--from", "2024-03-01", "--to", "2024-03-03")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("funnel", "99999", *DAYS), "no such funnel in this project (400: unknown funnel_id"),
        (("insights", "12345"), "no such saved report in this project (400: unknown bookmark_id"),
        (("cohorts", "--members", "777"), "no such cohort in this project (400: unknown cohort"),
    ],
    ids=["funnel", "report", "cohort"],
)
def test_unknown_ids_exit_4_with_one_line(standin_env, args, words):
    standin_env(now=datetime(2024, 3, 4, tzinfo=UTC))
    done = mp(*args)
    assert done.returncode == 4, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and words in done.stderr
    assert "`mp funnels`" in done.stderr or "`mp cohorts`" in done.stderr or "URL" in done.stderr


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("unknown funnel_id 5", NotFoundError),
        ("Bookmark does not exist", NotFoundError),
        ("Invalid report id", NotFoundError),
        ("cohort 12 not found", NotFoundError),
        ("invalid expression: unknown name 'cohort'", QueryError),  # a bad query, not an id
        ("to_date cannot be later than today", QueryError),
    ],
)
def test_which_400_texts_mean_an_unknown_id(text, kind):
    """Mixpanel's exact text for an unknown id is not documented (digest §9): any 400 that
    says a funnel/report/bookmark/cohort is unknown, invalid or missing counts."""
    error = error_for_response(400, json.dumps({"error": text}), what="GET /x", project_id="1")
    assert type(error) is kind


def test_a_misspelt_event_warns_and_still_answers(standin_env):
    standin_env(now=datetime(2024, 3, 4, tzinfo=UTC))  # events/names: the last 31 days
    done = mp("segmentation", "-e", "Logn", *DAYS)
    assert done.returncode == 0, done.stderr
    assert [r["value"] for r in json.loads(done.stdout)] == [0, 0, 0]
    assert done.stderr == (
        "warning: no event named 'Logn' was seen in this project in the last 31 days "
        "(Mixpanel's event names): did you mean 'Login'? check the name with `mp events`.\n"
    )
    broken_down = mp("segmentation", "-e", "Logn", "--on", 'properties["$os"]', *DAYS)
    assert broken_down.returncode == 0 and json.loads(broken_down.stdout) == []
    assert "no event named 'Logn'" in broken_down.stderr
    quiet = mp("-q", "segmentation", "-e", "Logn", *DAYS)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_known_event_with_zero_counts_gets_no_warning(standin_env):
    env = standin_env(now=datetime(2024, 3, 4, tzinfo=UTC))
    nobody = ("--where", 'properties["$os"] == "Plan 9"')
    done = mp("segmentation", "-e", "Login", *nobody, *DAYS)
    assert done.returncode == 0 and done.stderr == ""
    assert [r["value"] for r in json.loads(done.stdout)] == [0, 0, 0]
    counted = mp("segmentation", "-e", "Login", *DAYS)
    assert counted.stderr == "" and any(r["value"] for r in json.loads(counted.stdout))
    names = env.server.requests.filter(endpoint="events/names")
    assert len(names) == 1  # asked only for the all-zero answer
