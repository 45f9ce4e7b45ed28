"""Shared fixtures: one small stand-in per module, reset between tests, and httpx clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from mixpanel_data.standin import ProjectSpec, StandIn

# 2024-03-08..11 spans the US spring-forward day (2024-03-10).
SMALL = ProjectSpec(seed=11, start=date(2024, 3, 8), days=4, events_per_day=300, profiles=120)


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    """A running stand-in over a small project (module scope: generation is shared)."""
    with StandIn(SMALL) as mp:
        yield mp


@pytest.fixture
def mp(server: StandIn) -> Iterator[StandIn]:
    """The module's stand-in, clean for each test (faults, log, sessions, today, limits)."""
    server.reset()
    server.set_today(server.spec.end)
    yield server
    server.reset()


@pytest.fixture
def client(mp: StandIn) -> Iterator[httpx.Client]:
    """A service-account client; add ``project_id`` per request."""
    with httpx.Client(base_url=mp.base_url, auth=mp.auth, timeout=30) as c:
        yield c
