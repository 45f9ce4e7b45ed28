"""Fixtures for the HTTP client tests: a scripted wire server, credentials, fast clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mixpanel_data.api import ApiLimits, MixpanelClient, RetryPolicy, reset_budgets
from mixpanel_data.config.credentials import Credentials

from .wire import WireServer

SECRET = "sEcReT-9f8e7d6c5b4a"
USERNAME = "svc-account.mp-data"
PROJECT_ID = "424242"


@pytest.fixture(autouse=True)
def _isolated_budgets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with fresh shared rate budgets and no MP_BASE_URL from the shell."""
    monkeypatch.delenv("MP_BASE_URL", raising=False)
    reset_budgets()
    yield
    reset_budgets()


@pytest.fixture
def wire() -> Iterator[WireServer]:
    with WireServer() as server:
        yield server


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(secret=SECRET, username=USERNAME, project_id=PROJECT_ID)


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff delay the retry policy asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=3,
        base_delay=0.5,
        max_delay=4.0,
        jitter=0.0,
        rate_limit_delay=0.5,
        rate_limit_max_delay=4.0,
        sleep=sleeps.append,
    )


@pytest.fixture
def make_client(
    wire: WireServer, credentials: Credentials, policy: RetryPolicy
) -> Iterator[Callable[..., MixpanelClient]]:
    """Build clients pointed at the wire server; all are closed at teardown."""
    clients: list[MixpanelClient] = []

    def build(**overrides: Any) -> MixpanelClient:
        creds = overrides.pop("credentials", credentials)
        options: dict[str, Any] = {
            "base_url": wire.base_url,
            "retry": policy,
            "timeout": 5.0,
            "limits": ApiLimits(),
        }
        options.update(overrides)
        client = MixpanelClient(creds, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., MixpanelClient]) -> MixpanelClient:
    return make_client()
