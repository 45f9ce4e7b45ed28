"""The client against the stand-in server: ground truth, every fault kind, engage paging, limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from mixpanel_data import standin
from mixpanel_data.api import ApiLimits, ExportStats, MixpanelClient, RetryPolicy
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import (
    AuthenticationError,
    MixpanelDataError,
    PlanRestrictedError,
    QueryError,
    RateLimitError,
    TransientError,
)

from .conftest import PROJECT_ID, SECRET, USERNAME

SPEC = standin.ProjectSpec(
    seed=11,
    start=date(2024, 3, 1),
    days=3,
    events_per_day=400,
    profiles=45,
    project_id=int(PROJECT_ID),
    sa_username=USERNAME,
    sa_secret=SECRET,
    now=datetime(2024, 3, 10, 12, tzinfo=UTC),  # a week on: every row processed, all recent
)
DAY = date(2024, 3, 2)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with standin.StandIn(SPEC) as mp:
        yield mp


@pytest.fixture
def mp(server: Any) -> Any:
    server.reset()
    server.set_rate_limits(standin.RateLimits())
    return server


@pytest.fixture
def connect(
    mp: Any, credentials: Credentials, policy: RetryPolicy
) -> Iterator[Callable[..., MixpanelClient]]:
    clients: list[MixpanelClient] = []

    def build(**overrides: Any) -> MixpanelClient:
        options: dict[str, Any] = {"base_url": mp.base_url, "retry": policy, "timeout": 5.0}
        client = MixpanelClient(overrides.pop("credentials", credentials), **options | overrides)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def eventually(probe: Callable[[], Any], seconds: float = 3.0) -> Any:
    """``probe()`` once it stops changing for a moment (or when ``seconds`` ran out)."""
    deadline = time.monotonic() + seconds
    last = probe()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = probe()
        if now == last and len(now) >= 2:
            return now
        last = now
    return last


def exported(client: MixpanelClient, first: date, last: date, **kwargs: Any) -> list[Any]:
    batches = client.export_batches(first, last, batch_bytes=8192, **kwargs)
    return [orjson.loads(line) for batch in batches for line in batch.split(b"\n") if line]


def test_export_matches_ground_truth(mp: Any, connect: Callable[..., MixpanelClient]):
    stats = ExportStats()
    rows = exported(connect(), DAY, DAY, stats=stats)
    assert rows == mp.project.raw_events(DAY)
    assert stats.lines == len(rows) and stats.wire_bytes < stats.bytes  # it came gzipped
    [request] = mp.requests.filter(family="export")
    assert request.params["project_id"] == PROJECT_ID and request.auth == "service_account"


def test_multi_day_window_and_event_filter(mp: Any, connect: Callable[..., MixpanelClient]):
    days = [date(2024, 3, 1), DAY, date(2024, 3, 3)]
    rows = exported(connect(), days[0], days[-1])
    assert sorted(map(orjson.dumps, rows)) == sorted(
        orjson.dumps(row) for day in days for row in mp.project.raw_events(day)
    )
    name = rows[0]["event"]
    only = exported(connect(), DAY, DAY, events=[name])
    assert only and {row["event"] for row in only} == {name}


EXPORT_FAULTS = [
    ("terminated_early", {}),
    ("drop_connection", {}),
    ("drop_connection", {"chunked": True}),
    ("truncated_gzip", {}),
    ("5xx", {"status": 502}),
    ("plain_text_error", {}),
    ("429", {"retry_after": 2}),
    ("slow_first_byte", {"delay": 1.5}),
]


@pytest.mark.parametrize(
    ("kind", "options"),
    EXPORT_FAULTS,
    ids=[
        "terminated_early",
        "drop_content_length",
        "drop_chunked",
        "truncated_gzip",
        "5xx",
        "plain_text_502",
        "429",
        "slow_first_byte",
    ],
)
def test_export_fault_is_retried_to_the_exact_window(
    mp: Any, connect: Callable[..., MixpanelClient], kind: str, options: dict[str, Any]
):
    mp.add_fault(kind, family="export", **options)
    stats = ExportStats()
    rows = exported(connect(timeout=0.5), DAY, DAY, stats=stats)
    assert rows == mp.project.raw_events(DAY)
    assert stats.attempts == 2
    # The server logs a request when its handler ends, which for a dropped or stalled answer
    # can be after the client's retry finished: wait for both records, in any order.
    assert eventually(lambda: sorted(map(str, (r.fault for r in mp.requests)))) == sorted(
        [kind, "None"]
    )


@pytest.mark.parametrize(
    ("kind", "options", "error", "message"),
    [
        ("402", {}, PlanRestrictedError, "402"),
        ("401", {}, AuthenticationError, "mp auth test"),
        ("auth_400", {}, AuthenticationError, "Unable to authenticate"),
        ("plain_text_error", {"status": 400}, QueryError, "400"),
    ],
    ids=["402", "401", "auth_400", "plain_text_400"],
)
def test_query_faults_map_to_errors_without_retry(
    mp: Any,
    connect: Callable[..., MixpanelClient],
    kind: str,
    options: dict[str, Any],
    error: type[MixpanelDataError],
    message: str,
):
    mp.add_fault(kind, family="query", **options)
    with pytest.raises(error, match=message):
        connect().engage_page({"page_size": 5})
    assert len(mp.requests.filter(family="query")) == 1


def test_query_5xx_every_time_is_transient_after_retries(
    mp: Any, connect: Callable[..., MixpanelClient], sleeps: list[float]
):
    mp.add_fault("5xx", family="query", times=-1)
    with pytest.raises(TransientError, match="503"):
        connect().engage_page({"page_size": 5})
    assert len(mp.requests.filter(family="query")) == 3
    assert sleeps == [0.5, 1.0]


def test_wrong_project_is_a_403_naming_the_project(connect: Callable[..., MixpanelClient]):
    other = Credentials(secret=SECRET, username=USERNAME, project_id="999")
    with pytest.raises(AuthenticationError, match="project 999"):
        connect(credentials=other).engage_page({})


def test_query_endpoints_decode(mp: Any, connect: Callable[..., MixpanelClient]):
    client = connect()
    funnels = client.query("funnels/list")
    assert {f["funnel_id"] for f in funnels} >= {7509}
    seg = client.query(
        "segmentation",
        {"event": mp.project.raw_events(DAY)[0]["event"], "from_date": DAY, "to_date": DAY},
    )
    assert seg["data"]["series"] == [DAY.isoformat()]
    names = client.query("events/names", {"type": "general"})
    assert isinstance(names, list) and names


def test_engage_paging_reads_every_profile(mp: Any, connect: Callable[..., MixpanelClient]):
    client = connect()
    first = client.engage_page({"page_size": 10})
    ids = [p["$distinct_id"] for p in first["results"]]
    page = first
    while len(page["results"]) == 10:
        page = client.engage_page(
            {"page_size": 10, "page": page["page"] + 1, "session_id": first["session_id"]}
        )
        ids += [p["$distinct_id"] for p in page["results"]]
    assert first["total"] == len(ids) == len(mp.project.profiles())


def test_expired_engage_session_is_a_query_error_that_says_restart(
    mp: Any, connect: Callable[..., MixpanelClient]
):
    client = connect()
    first = client.engage_page({"page_size": 10})
    mp.add_fault("expired_session", family="engage")
    with pytest.raises(QueryError, match="restart paging from page 0"):
        client.engage_page({"page_size": 10, "page": 1, "session_id": first["session_id"]})


def test_server_rate_limit_429_becomes_rate_limit_error(
    mp: Any, connect: Callable[..., MixpanelClient], sleeps: list[float]
):
    mp.set_rate_limits(standin.RateLimits(query_per_hour=2, retry_after=5))
    client = connect(limits=ApiLimits(query_per_hour=None))
    client.engage_page({"page_size": 5})
    client.engage_page({"page_size": 5})
    with pytest.raises(RateLimitError, match=r"again in about 5 s.*3/2 queries") as caught:
        client.engage_page({"page_size": 5})
    assert caught.value.retry_after == 5.0
    assert sleeps == [5.0] * 12  # a live client waits out 429s for a minute in all


def test_client_budget_stops_before_the_server_says_429(
    mp: Any, connect: Callable[..., MixpanelClient]
):
    mp.set_rate_limits(standin.RateLimits(query_per_hour=2))
    client = connect(limits=ApiLimits(query_per_hour=2, max_wait=1.0))
    client.engage_page({"page_size": 5})
    client.query("engage", {"page_size": 5})
    with pytest.raises(RateLimitError, match=r"budget .*is used up"):
        client.engage_page({"page_size": 5})
    assert [r.status for r in mp.requests.filter(family="query")] == [200, 200]


def test_legacy_secret_reaches_export(mp: Any, connect: Callable[..., MixpanelClient]):
    legacy = Credentials(secret=SPEC.api_secret)
    with pytest.warns(DeprecationWarning):
        client = connect(credentials=legacy)
    assert exported(client, DAY, DAY) == mp.project.raw_events(DAY)
    assert mp.requests.filter(family="export")[0].auth == "legacy"


def test_no_secret_in_logs_during_faulted_export(
    mp: Any, connect: Callable[..., MixpanelClient], caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    mp.add_fault("drop_connection", family="export")
    exported(connect(), DAY, DAY)
    assert caplog.records
    assert not [r for r in caplog.records if SECRET in r.getMessage()]
