"""Bad input never reaches Mixpanel; 429 and 5xx are retried; the shared Query budget holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mixpanel_data import live
from mixpanel_data.api import ApiLimits, MixpanelClient, RetryPolicy
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import (
    InvalidArgumentError,
    RateLimitError,
    TransientError,
)

DAY = "2024-03-01"
BAD_CALLS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "date-format": (lambda c: live.segmentation(c, "Login", "2024-3-1", DAY), "not a date"),
    "date-impossible": (lambda c: live.segmentation(c, "Login", "2024-02-30", DAY), "not a date"),
    "range-reversed": (lambda c: live.funnel(c, 7509, "2024-03-05", DAY), "swap them"),
    "future": (lambda c: live.retention(c, "A", "B", DAY, "2999-01-01"), "in the future"),
    "unit": (lambda c: live.segmentation(c, "Login", DAY, DAY, unit="year"), "unit 'year'"),
    "funnel-unit": (lambda c: live.funnel(c, 7509, DAY, DAY, unit="hour"), "unit 'hour'"),
    "type": (lambda c: live.segmentation(c, "Login", DAY, DAY, type="max"), "type 'max'"),
    "funnel-id": (lambda c: live.funnel(c, "abc", DAY, DAY), "not an id"),
    "funnel-id-zero": (lambda c: live.funnel(c, 0, DAY, DAY), "not an id"),
    "bookmark-id": (lambda c: live.insights(c, "-4"), "not an id"),
    "cohort-id": (lambda c: live.cohort_members(c, "x"), "not an id"),
    "unit-and-interval": (
        lambda c: live.funnel(c, 1, DAY, DAY, unit="day", interval=2),
        "not both",
    ),
    "length": (lambda c: live.funnel(c, 1, DAY, DAY, length=91), "maximum of 90"),
    "interval-count": (
        lambda c: live.retention(c, "A", "B", DAY, DAY, interval_count=0),
        "at least 1",
    ),
    "born-missing": (lambda c: live.retention(c, None, "B", DAY, DAY), "--born"),
    "limit": (lambda c: live.event_names(c, limit=0), "at least 1"),
    "limit-max": (lambda c: live.segmentation(c, "x", DAY, DAY, on="p", limit=10_001), "maximum"),
    "event-empty": (lambda c: live.segmentation(c, " ", DAY, DAY), "event is empty"),
    "addiction-unit": (lambda c: live.addiction(c, DAY, DAY, addiction_unit="week"), "'week'"),
    "entity-type": (lambda c: live.schemas(c, "group"), "entity type 'group'"),
    "jql-empty": (lambda c: live.jql(c, ""), "JQL script is empty"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS), ids=list(BAD_CALLS))
def test_bad_input_raises_exit_3_before_any_request(client, mp, name):
    call, text = BAD_CALLS[name]
    with pytest.raises(InvalidArgumentError) as caught:
        call(client)
    assert text in caught.value.message
    assert caught.value.exit_code == 3
    assert "\n" not in caught.value.message
    assert len(mp.requests) == 0


def test_429_is_retried_honouring_retry_after(client, mp, sleeps):
    mp.add_fault("429", family="query", times=2, retry_after=7)
    result = live.segmentation(client, "Login", DAY, DAY)
    assert result.total > 0
    assert sleeps == [7.0, 7.0]
    assert [r.status for r in mp.requests] == [429, 429, 200]


def test_429_with_a_long_retry_after_stops_at_once(client, mp, sleeps):
    mp.add_fault("429", family="query", times=-1, retry_after=3600)
    with pytest.raises(RateLimitError, match="room again in about 1 h;"):
        live.insights(client, 44001)
    assert sleeps == [] and len(mp.requests) == 1


def test_5xx_is_retried_with_backoff(client, mp, sleeps):
    mp.add_fault("5xx", family="query", times=2, status=502)
    result = live.retention(client, "Sign Up", None, DAY, DAY)
    assert result.cohorts
    assert sleeps == [0.5, 1.0]


def test_5xx_when_retries_run_out_is_a_transient_error(client, mp):
    mp.add_fault("5xx", family="query", times=-1, status=503)
    with pytest.raises(TransientError, match="503"):
        live.event_names(client)
    assert len(mp.requests) == 3


def test_app_api_faults_are_retried_too(client, mp, sleeps):
    mp.add_fault("5xx", family="app", times=1)
    assert live.annotations_list(client).annotations
    assert len(sleeps) == 1


def test_every_client_of_a_project_draws_from_one_query_budget(mp):
    user, secret = mp.auth
    creds = Credentials(secret=secret, username=user, project_id=str(mp.project_id))
    limits = ApiLimits(query_per_hour=2, max_wait=0)
    one = MixpanelClient(creds, base_url=mp.base_url, limits=limits, retry=RetryPolicy(1))
    two = MixpanelClient(creds, base_url=mp.base_url, limits=limits, retry=RetryPolicy(1))
    with one, two:
        live.event_names(one)
        live.funnels_list(two)
        with pytest.raises(RateLimitError, match="wait"):
            live.segmentation(one, "Login", DAY, DAY)
    assert len(mp.requests) == 2  # the third never left the process


def test_query_limits_come_from_the_environment():
    limits = live.query_limits({"MP_QUERY_PER_HOUR": "400", "MP_QUERY_CONCURRENT": "0"})
    assert (limits.query_per_hour, limits.query_concurrent) == (400, None)
    assert live.query_limits({}).query_per_hour == 60
    with pytest.raises(Exception, match="MP_QUERY_PER_HOUR"):
        live.query_limits({"MP_QUERY_PER_HOUR": "lots"})
