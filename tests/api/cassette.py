"""vcrpy set-up for the recorded wire interactions under ``tests/api/cassettes/``.

Replay is the default (record mode ``none``: a request that is not in the cassette fails).
To re-record against the server of Mixpanel's documented bodies (``tests/live/live_documented``:
the official spec examples and the variants real Mixpanel sends), run::

    MP_RECORD_CASSETTES=1 .venv/bin/pytest tests/api/test_cassettes.py

(add ``-k`` to re-record only some cassettes). Cassettes are never recorded from the stand-in:
that would only echo it back.

Cassettes live at ``cassettes/<test_module>/<test>.yaml``. The ``authorization`` header is
filtered, compressed bodies are stored decoded, and JSON bodies are stored as YAML structures so
a reviewer can read them. Requests match on method, path and query string minus ``project_id``
(so recordings made with another project's credentials still replay).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import vcr
from vcr.request import Request
from vcr.serializers import yamlserializer

from mixpanel_data.api import MixpanelClient, RetryPolicy

if TYPE_CHECKING:
    from mixpanel_data.config.credentials import Credentials

#: Set: record against the documented-bodies server; unset: replay.
RECORD_MODE = os.environ.get("MP_RECORD_CASSETTES") or None
RECORDING = RECORD_MODE is not None
CASSETTES = Path(__file__).parent / "cassettes"
#: Any URL works for replay: record mode "none" never lets a request out.
REPLAY_BASE_URL = "http://127.0.0.1:9"
SENSITIVE_HEADERS = ["authorization", "cookie", "set-cookie"]


def _content_type(response: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
    return " ".join(headers.get("content-type", []))


def _readable(response: dict[str, Any]) -> dict[str, Any]:
    """``body.json`` for JSON, ``body.lines`` for JSON Lines (byte-exact), else unchanged."""
    body = response["body"].get("string")
    if not isinstance(body, str) or not body:
        return response["body"]
    kind = _content_type(response)
    if "json" in kind:
        try:
            return {"json": orjson.loads(body)}
        except orjson.JSONDecodeError:
            return response["body"]
    if "text/plain" in kind and body.endswith("\n"):
        return {"lines": body[:-1].split("\n")}
    return response["body"]


def _restored(response: dict[str, Any]) -> dict[str, Any]:
    body = response["body"]
    if "json" in body:
        text = orjson.dumps(body["json"]).decode()
    elif "lines" in body:
        text = "".join(line + "\n" for line in body["lines"])
    else:
        return body
    for name in list(response.get("headers", {})):
        if name.lower() == "content-length":
            response["headers"][name] = [str(len(text.encode()))]
    return {"string": text}


class ReadableJsonYaml:
    """YAML cassettes a reviewer can read: JSON bodies parsed, export bodies one line each."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        cassette = copy.deepcopy(cassette)
        for interaction in cassette["interactions"]:
            interaction["response"]["body"] = _readable(interaction["response"])
        return str(yamlserializer.serialize(cassette))

    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        cassette: dict[str, Any] = yamlserializer.deserialize(text)
        for interaction in cassette["interactions"]:
            interaction["response"]["body"] = _restored(interaction["response"])
        return cassette


def query_without_project(left: Request, right: Request) -> None:
    """vcrpy matcher: the same query parameters, ignoring ``project_id``."""

    def params(request: Request) -> list[tuple[str, str]]:
        pairs = parse_qsl(urlsplit(request.uri).query, keep_blank_values=True)
        return sorted((k, v) for k, v in pairs if k != "project_id")

    assert params(left) == params(right), f"{params(left)} != {params(right)}"


def recorder(module: str, root: Path = CASSETTES) -> vcr.VCR:
    """A VCR for one test module's cassette folder (``root/module``)."""
    my_vcr = vcr.VCR(
        cassette_library_dir=str(root / module),
        record_mode="all" if RECORDING else "none",
        filter_headers=SENSITIVE_HEADERS,
        decode_compressed_response=True,
        match_on=["method", "path", "query_without_project"],
        serializer="readable_yaml",
    )
    my_vcr.register_serializer("readable_yaml", ReadableJsonYaml)
    my_vcr.register_matcher("query_without_project", query_without_project)
    return my_vcr


@contextmanager
def cassette_client(
    my_vcr: vcr.VCR, test: str, credentials: Credentials
) -> Iterator[MixpanelClient]:
    """A client (no retries) replaying ``<my_vcr's folder>/<test>.yaml``; when recording, the
    cassette is started afresh (never appended to) from the documented-bodies server."""
    from ..live.live_documented import documented_server

    name = f"{test}.yaml"
    if RECORDING:
        (Path(my_vcr.cassette_library_dir) / name).unlink(missing_ok=True)
    with (
        documented_server() if RECORDING else nullcontext(REPLAY_BASE_URL) as base_url,
        my_vcr.use_cassette(name),
        MixpanelClient(credentials, base_url=base_url, retry=RetryPolicy(max_attempts=1)) as c,
    ):
        yield c
