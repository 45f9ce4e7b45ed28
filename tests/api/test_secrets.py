"""The secret never shows: not in exception messages or reprs, log records, or cassettes."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from mixpanel_data.api import ApiLimits, MixpanelClient
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import MixpanelDataError

from .cassette import CASSETTES
from .conftest import SECRET, USERNAME
from .wire import WireServer, export, hang_up, reply

ENCODED = base64.b64encode(f"{USERNAME}:{SECRET}".encode()).decode()
FORBIDDEN = (SECRET, ENCODED)
SEG = "/api/query/segmentation"
EXPORT = "/api/2.0/export"


def _leaky(status: int) -> object:
    """A server that echoes the credentials back in its error text (it happens)."""
    return reply(status, {"error": f"bad Authorization: Basic {ENCODED} for {USERNAME}:{SECRET}"})


SCENARIOS: dict[str, tuple[str, list[object]]] = {
    "401": (SEG, [_leaky(401)]),
    "403": (SEG, [_leaky(403)]),
    "400_echo": (SEG, [_leaky(400)]),
    "402_echo": (SEG, [_leaky(402)]),
    "404_echo": (SEG, [_leaky(404)]),
    "429_echo": (SEG, [_leaky(429)]),
    "500_echo": (SEG, [_leaky(500)]),
    "200_error_echo": (SEG, [_leaky(200)]),
    "plain_text_echo": (SEG, [reply(400, f"denied {SECRET} / Basic {ENCODED}")]),
    "reset": (SEG, [hang_up()]),
    "export_terminated": (EXPORT, [export(b'{"a":1}\nterminated early\n')]),
    "export_echo": (EXPORT, [reply(400, f"Authorization: Basic {ENCODED}")]),
}


def _assert_clean(text: str) -> None:
    for secret in FORBIDDEN:
        assert secret not in text


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_secret_absent_from_errors_and_logs(
    wire: WireServer,
    make_client: Callable[..., MixpanelClient],
    caplog: pytest.LogCaptureFixture,
    scenario: str,
):
    path, actions = SCENARIOS[scenario]
    wire.script(path, *actions)  # type: ignore[arg-type]
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore
    client = make_client()
    with pytest.raises(MixpanelDataError) as caught:
        if path == EXPORT:
            list(client.export_batches(date(2024, 3, 1), date(2024, 3, 1)))
        else:
            client.query("segmentation")
    assert wire.seen[0].basic_auth == (USERNAME, SECRET)  # it was sent, through auth=
    error = caught.value
    for text in (str(error), repr(error), error.message, repr(client), repr(client.credentials)):
        _assert_clean(text)
    assert caplog.records, "expected DEBUG log records"
    for record in caplog.records:
        _assert_clean(record.getMessage())
        _assert_clean(repr(record.args))


def test_successful_calls_log_no_secret_and_no_headers(
    wire: WireServer, client: MixpanelClient, caplog: pytest.LogCaptureFixture
):
    wire.script(SEG, reply(200, {"data": {}, "legend_size": 0}))
    caplog.set_level(logging.DEBUG)
    client.query("segmentation", {"event": "x"})
    ours = [r for r in caplog.records if r.name == "mixpanel_data.api"]
    assert [r.getMessage().split(" (")[0] for r in ours] == ["GET /api/query/segmentation -> 200"]
    for record in caplog.records:
        _assert_clean(record.getMessage())
        assert "authorization" not in record.getMessage().lower()


def test_local_rate_limit_message_has_no_legacy_secret(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    wire.script(SEG, reply(200, {}))
    with pytest.warns(DeprecationWarning):
        legacy = make_client(
            credentials=Credentials(secret=SECRET),
            limits=ApiLimits(query_per_hour=1, max_wait=0),
        )
    legacy.query("segmentation")
    with pytest.raises(MixpanelDataError) as caught:
        legacy.query("segmentation")
    assert "legacy project" in caught.value.message
    _assert_clean(repr(caught.value))


def test_cassettes_hold_no_credentials():
    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes recorded"
    for path in files:
        text = Path(path).read_text()
        _assert_clean(text)
        assert "authorization" not in text.lower()
        assert "Basic " not in text


def test_retry_logs_name_the_status_not_the_body(
    wire: WireServer, client: MixpanelClient, caplog: pytest.LogCaptureFixture
):
    wire.script(SEG, reply(503, "BODY-TEXT-user@example.com"), reply(200, {}))
    caplog.set_level(logging.DEBUG, logger="mixpanel_data.api")
    client.query("segmentation")
    messages = [r.getMessage() for r in caplog.records if r.name == "mixpanel_data.api"]
    assert any("after HTTP 503 (attempt 2 of 3)" in m for m in messages), messages
    assert not any("BODY-TEXT" in m for m in messages)
