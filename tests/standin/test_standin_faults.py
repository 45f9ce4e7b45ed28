"""Each fault kind, as a client sees it on the wire, and as the request log records it."""

from __future__ import annotations

import socket
import time
import zlib

import httpx
import pytest

from mixpanel_data.standin import StandIn

from .standin_helpers import lines_of, params

EXPORT = "/api/2.0/export"


def _day(mp: StandIn) -> dict[str, object]:
    day = mp.spec.start.isoformat()
    return params(mp, from_date=day, to_date=day)


def _raw_get(mp: StandIn, path: str, query: str, gzip_ok: bool = False) -> bytes:
    """Read a response with a plain socket, until the server closes or goes quiet."""
    auth = httpx.BasicAuth(*mp.auth)._auth_header
    host, port = mp.base_url.removeprefix("http://").split(":")
    enc = "Accept-Encoding: gzip\r\n" if gzip_ok else ""
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"GET {path}?{query} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n"
            f"{enc}Connection: close\r\n\r\n".encode()
        )
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize("retry_after", [None, 3], ids=["no-header", "retry-after"])
def test_429_then_success(client: httpx.Client, mp: StandIn, retry_after: int | None) -> None:
    mp.add_fault("429", family="export", retry_after=retry_after)
    first = client.get(EXPORT, params=_day(mp))
    assert first.status_code == 429
    assert first.json() == {"error": "too many export requests in progress for this project"}
    assert first.headers.get("retry-after") == (None if retry_after is None else "3")
    assert client.get(EXPORT, params=_day(mp)).status_code == 200
    assert [r.fault for r in mp.requests.filter(family="export")] == ["429", None]


def test_query_429_body_names_the_limits(client: httpx.Client, mp: StandIn) -> None:
    mp.add_fault("429", family="query")
    body = client.get("/api/2.0/engage", params=params(mp)).json()
    assert body["request"].startswith("/api/2.0/engage")
    assert body["error"].startswith(f"Query rate limit exceeded for project_id: {mp.project_id}")


@pytest.mark.parametrize("status", [500, 502, 503], ids=["500", "502", "503"])
def test_5xx(client: httpx.Client, mp: StandIn, status: int) -> None:
    mp.add_fault("5xx", status=status, times=2)
    assert [client.get(EXPORT, params=_day(mp)).status_code for _ in range(3)] == [
        status,
        status,
        200,
    ]


def test_terminated_early(client: httpx.Client, mp: StandIn) -> None:
    mp.add_fault("terminated_early")
    resp = client.get(EXPORT, params=_day(mp))
    lines = lines_of(resp.content)
    assert resp.status_code == 200 and lines[-1] == b"terminated early"
    assert 0 < len(lines) - 1 < mp.project.count(mp.spec.start)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("gzip_ok", [False, True], ids=["plain", "gzip"])
def test_drop_connection(client: httpx.Client, mp: StandIn, chunked: bool, gzip_ok: bool) -> None:
    mp.add_fault("drop_connection", chunked=chunked)
    headers = {} if gzip_ok else {"Accept-Encoding": "identity"}
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(EXPORT, params=_day(mp), headers=headers)
    assert client.get(EXPORT, params=_day(mp)).status_code == 200  # the server lives on


def test_drop_connection_cuts_mid_line(mp: StandIn) -> None:
    mp.add_fault("drop_connection", after_bytes=5000)
    raw = _raw_get(
        mp, EXPORT, f"from_date={mp.spec.start}&to_date={mp.spec.start}&project_id={mp.project_id}"
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"200 OK" in head and len(body) == 5000 and not body.endswith(b"\n")


def test_truncated_gzip(mp: StandIn) -> None:
    mp.add_fault("truncated_gzip")
    raw = _raw_get(
        mp,
        EXPORT,
        f"from_date={mp.spec.start}&to_date={mp.spec.start}&project_id={mp.project_id}",
        gzip_ok=True,
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"content-encoding: gzip" in head.lower()
    assert f"content-length: {len(body)}".encode() in head.lower()  # framing complete
    dec = zlib.decompressobj(31)
    dec.decompress(body)
    assert not dec.eof  # the gzip stream never finished: no trailer


def test_slow_first_byte(client: httpx.Client, mp: StandIn) -> None:
    mp.add_fault("slow_first_byte", delay=0.4)
    began = time.perf_counter()
    assert client.get(EXPORT, params=_day(mp)).status_code == 200
    assert time.perf_counter() - began >= 0.4


@pytest.mark.parametrize(
    ("kind", "status"),
    [("402", 402), ("401", 401), ("auth_400", 400)],
    ids=["402", "401", "auth-400"],
)
def test_status_faults_use_json_bodies(
    client: httpx.Client, mp: StandIn, kind: str, status: int
) -> None:
    mp.add_fault(kind, family="query", path="/funnels/list")
    resp = client.get("/api/2.0/funnels/list", params=params(mp))
    assert resp.status_code == status and "error" in resp.json()
    assert client.get("/api/2.0/funnels/list", params=params(mp)).status_code == 200


@pytest.mark.parametrize("status", [400, 502], ids=["400", "502"])
def test_plain_text_error(client: httpx.Client, mp: StandIn, status: int) -> None:
    mp.add_fault("plain_text_error", family="any", status=status)
    resp = client.get(EXPORT, params=_day(mp))
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/plain")
    with pytest.raises(ValueError):
        resp.json()


def test_expired_session(client: httpx.Client, mp: StandIn) -> None:
    first = client.get("/api/2.0/engage", params=params(mp, page_size=10)).json()
    mp.add_fault("expired_session", family="engage")
    query = params(mp, page=1, page_size=10, session_id=first["session_id"])
    assert client.get("/api/2.0/engage", params=query).status_code == 400
    assert client.get("/api/2.0/engage", params=query).status_code == 400  # really gone
    assert mp.requests.filter(fault="expired_session")[0].endpoint == "engage"


def test_times_minus_one_and_path_filter(client: httpx.Client, mp: StandIn) -> None:
    mp.add_fault("5xx", family="any", times=-1, path="/engage")
    assert client.get(EXPORT, params=_day(mp)).status_code == 200
    assert client.get("/api/2.0/engage", params=params(mp)).status_code == 503
    assert client.get("/api/query/engage", params=params(mp)).status_code == 503
    mp.clear_faults()
    assert client.get("/api/query/engage", params=params(mp)).status_code == 200


def test_unknown_fault_kind_is_rejected(mp: StandIn) -> None:
    with pytest.raises(ValueError):
        mp.add_fault("gremlins")
