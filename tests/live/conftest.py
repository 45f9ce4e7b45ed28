"""Fixtures for the live-query tests: a small stand-in per module and fast clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from mixpanel_data.api import ApiLimits, MixpanelClient, RetryPolicy, reset_budgets
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.standin import ProjectSpec, StandIn

#: Six Los Angeles days; "today" (the stand-in's) is the last one, 20:00 in Los Angeles (already
#: 2024-03-07 in UTC), so its late rows are still arriving, as on a real project.
SPEC = ProjectSpec(
    seed=11,
    start=date(2024, 3, 1),
    days=6,
    events_per_day=400,
    timezone="America/Los_Angeles",
    now=datetime(2024, 3, 7, 4, tzinfo=UTC),
)


@pytest.fixture(autouse=True)
def _fresh_budgets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with empty shared rate budgets and no MP_BASE_URL from the shell."""
    monkeypatch.delenv("MP_BASE_URL", raising=False)
    reset_budgets()
    yield
    reset_budgets()


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    with StandIn(SPEC) as mp:
        yield mp


@pytest.fixture
def mp(server: StandIn) -> Iterator[StandIn]:
    """The module's stand-in, clean for each test."""
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff the client asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def client(mp: StandIn, sleeps: list[float]) -> Iterator[MixpanelClient]:
    """A service-account client to the stand-in: 3 attempts, no real sleeping."""
    user, secret = mp.auth
    creds = Credentials(secret=secret, username=user, project_id=str(mp.project_id))
    policy = RetryPolicy(max_attempts=3, base_delay=0.5, jitter=0.0, sleep=sleeps.append)
    with MixpanelClient(creds, base_url=mp.base_url, retry=policy, limits=ApiLimits()) as c:
        yield c
