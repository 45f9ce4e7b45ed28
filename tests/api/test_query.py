"""Query, engage and App API calls against the wire server: encoding, retries, error mapping."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from mixpanel_data.api import MixpanelClient
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import (
    AuthenticationError,
    ConfigError,
    MixpanelDataError,
    NotFoundError,
    PlanRestrictedError,
    QueryError,
    RateLimitError,
    TransientError,
)

from .conftest import PROJECT_ID, SECRET, USERNAME
from .wire import WireServer, hang_up, reply

SEG = "/api/query/segmentation"
SEG_BODY = {
    "data": {"series": ["2024-03-01"], "values": {"Signed up": {"2024-03-01": 3}}},
    "legend_size": 1,
}


def test_get_query_sends_auth_project_and_json_params(wire: WireServer, client: MixpanelClient):
    wire.script(SEG, reply(200, SEG_BODY))
    params = {"event": "Signed up", "from_date": date(2024, 3, 1), "to_date": "2024-03-01"}
    params |= {"on": None, "values": ["a", "b"], "filter_by_cohort": {"id": 7}, "flag": True}
    snapshot = dict(params)
    assert client.query("segmentation", params) == SEG_BODY
    assert params == snapshot  # the caller's mapping is never mutated
    seen = wire.seen[0]
    assert seen.basic_auth == (USERNAME, SECRET)
    assert seen.params == {
        "event": "Signed up",
        "from_date": "2024-03-01",
        "to_date": "2024-03-01",
        "values": '["a","b"]',
        "filter_by_cohort": '{"id":7}',
        "flag": "true",
        "project_id": PROJECT_ID,
    }


def test_post_query_is_form_encoded_with_project_in_query_string(
    wire: WireServer, client: MixpanelClient
):
    wire.script("/api/query/jql", reply(200, [{"key": ["a"], "value": 2}]))
    result = client.query(
        "/jql/", {"script": "function main(){}", "params": {"x": 1}}, method="post"
    )
    assert result == [{"key": ["a"], "value": 2}]
    seen = wire.seen[0]
    assert seen.method == "POST"
    assert seen.params == {"project_id": PROJECT_ID}
    assert seen.form == {"script": "function main(){}", "params": '{"x":1}'}


def test_engage_page_posts_form(wire: WireServer, client: MixpanelClient):
    page = {"page": 1, "page_size": 2, "session_id": "s-1", "status": "ok", "results": []}
    wire.script("/api/query/engage", reply(200, page))
    assert client.engage_page({"session_id": "s-1", "page": 1, "page_size": 2}) == page
    assert wire.seen[0].form == {"session_id": "s-1", "page": "1", "page_size": "2"}


def test_engage_page_that_is_not_an_object_is_rejected(wire: WireServer, client: MixpanelClient):
    wire.script("/api/query/engage", reply(200, [1, 2]))
    with pytest.raises(QueryError, match="not an object"):
        client.engage_page({})


def test_app_api_path_json_and_empty_body(wire: WireServer, client: MixpanelClient):
    base = f"/api/app/projects/{PROJECT_ID}/annotations"
    wire.script(base, reply(201, {"status": "ok", "results": {"id": 5}}))
    wire.script(base + "/5", reply(204))
    created = client.app("annotations", method="POST", json={"description": "launch"})
    assert created == {"status": "ok", "results": {"id": 5}}
    assert client.app("annotations/5", method="DELETE") is None
    assert wire.seen[0].body == b'{"description":"launch"}'
    assert wire.seen[0].params == {"project_id": PROJECT_ID}


def test_app_api_needs_a_project(make_client: Callable[..., MixpanelClient]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = make_client(credentials=Credentials(secret=SECRET))
    with pytest.raises(ConfigError, match="project id"):
        legacy.app("annotations")


def test_app_write_is_not_retried_after_5xx(wire: WireServer, client: MixpanelClient):
    path = f"/api/app/projects/{PROJECT_ID}/annotations"
    wire.script(path, reply(502, "bad gateway"), reply(201, {"status": "ok"}))
    with pytest.raises(TransientError, match="502"):
        client.app("annotations", method="POST", json={})
    assert wire.count(path) == 1


def test_legacy_secret_warns_once_and_sends_no_project(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    wire.script(SEG, reply(200, SEG_BODY))
    with pytest.warns(DeprecationWarning, match="2027-03-03") as record:
        legacy = make_client(credentials=Credentials(secret=SECRET))
    legacy.query("segmentation")
    assert len(record) == 1
    assert wire.seen[0].basic_auth == (SECRET, "")
    assert "project_id" not in wire.seen[0].params


@pytest.mark.parametrize(
    ("first", "sleep"),
    [
        (reply(500, "oops"), 0.5),
        (reply(503, "<html>Service Unavailable</html>", content_type="text/html"), 0.5),
        (reply(429, {"error": "Query rate limit exceeded"}), 0.5),
        (reply(429, {"error": "slow down"}, {"Retry-After": "3"}), 3.0),
        (hang_up(), 0.5),
    ],
    ids=["500", "503_html", "429", "429_retry_after_seconds", "connection_reset"],
)
def test_retried_once_then_success(
    wire: WireServer, client: MixpanelClient, sleeps: list[float], first: object, sleep: float
):
    wire.script(SEG, first, reply(200, SEG_BODY))  # type: ignore[arg-type]
    assert client.query("segmentation") == SEG_BODY
    assert wire.count(SEG) == 2
    assert sleeps == [sleep]


def test_retry_after_http_date(wire: WireServer, client: MixpanelClient, sleeps: list[float]):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    wire.script(SEG, reply(429, {"error": "x"}, {"Retry-After": when}), reply(200, SEG_BODY))
    client.query("segmentation")
    assert 17 <= sleeps[0] <= 20


def test_backoff_grows_exponentially(wire: WireServer, client: MixpanelClient, sleeps: list[float]):
    wire.script(SEG, reply(500, "x"))
    with pytest.raises(TransientError, match=r"server error 500 on GET /api/query/segmentation"):
        client.query("segmentation")
    assert sleeps == [0.5, 1.0]
    assert wire.count(SEG) == 3


def test_retry_after_beyond_cap_stops_at_once(
    wire: WireServer, client: MixpanelClient, sleeps: list[float]
):
    wire.script(SEG, reply(429, {"error": "hourly limit"}, {"Retry-After": "3000"}))
    with pytest.raises(RateLimitError, match="room again in about 50 min") as caught:
        client.query("segmentation")
    assert caught.value.retry_after == 3000.0
    assert wire.count(SEG) == 1
    assert sleeps == []


ERRORS = [
    (401, {"error": "bad"}, AuthenticationError, r"rejected the credentials \(401\).*mp auth test"),
    (403, {"error": "no access", "status": "error"}, AuthenticationError, f"project {PROJECT_ID}"),
    (400, {"error": "Unable to authenticate request"}, AuthenticationError, "mp auth test"),
    (400, {"request": "/x", "error": "to_date cannot be later than today"}, QueryError, "today"),
    (400, "plain text failure, not json", QueryError, "plain text failure, not json"),
    (402, {"error": "Your plan does not allow API calls"}, PlanRestrictedError, "upgrade"),
    (404, {"error": "no such funnel"}, NotFoundError, "no such funnel"),
    (418, "teapot", QueryError, "418: teapot"),
]


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    ERRORS,
    ids=["401", "403", "400_auth", "400_future", "400_plain", "402", "404", "418"],
)
def test_client_errors_are_mapped_and_not_retried(
    wire: WireServer,
    client: MixpanelClient,
    status: int,
    body: object,
    error: type[MixpanelDataError],
    message: str,
):
    wire.script(SEG, reply(status, body))
    with pytest.raises(error, match=message) as caught:
        client.query("segmentation")
    assert type(caught.value) is error
    assert "\n" not in caught.value.message
    assert wire.count(SEG) == 1


def test_long_plain_text_error_is_truncated(wire: WireServer, client: MixpanelClient):
    wire.script(SEG, reply(400, "E" * 5000))
    with pytest.raises(QueryError) as caught:
        client.query("segmentation")
    assert len(caught.value.message) < 400
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"error": "Invalid where expression"}, QueryError),
        ({"error": "Unable to authenticate request"}, AuthenticationError),
    ],
    ids=["query_error", "auth_error"],
)
def test_200_with_error_key_raises(
    wire: WireServer, client: MixpanelClient, body: dict[str, str], error: type[Exception]
):
    wire.script(SEG, reply(200, body))
    with pytest.raises(error, match=body["error"]):
        client.query("segmentation")


def test_200_with_a_property_named_error_is_data(wire: WireServer, client: MixpanelClient):
    body = {"error": {"count": 3}, "$os": {"count": 9}}
    wire.script("/api/query/events/properties/top", reply(200, body))
    assert client.query("events/properties/top") == body


def test_200_that_is_not_json_is_a_query_error(wire: WireServer, client: MixpanelClient):
    wire.script(SEG, reply(200, "<html>login</html>", content_type="text/html"))
    with pytest.raises(QueryError, match="not JSON"):
        client.query("segmentation")


def test_context_manager_closes(wire: WireServer, credentials: Credentials):
    with MixpanelClient(credentials, base_url=wire.base_url) as client:
        assert "424242" in repr(client)
    with pytest.raises(RuntimeError):
        client.query("segmentation")
