"""A tiny real HTTP server on 127.0.0.1 that misbehaves exactly as scripted, byte for byte.

Each path gets a queue of actions; every request pops the next one (the last one repeats).
Actions write raw bytes to the socket, so a test can drop the connection mid-line, cut a gzip
stream short, stall before the first byte, or answer any status and body.
"""

from __future__ import annotations

import base64
import gzip as gzip_module
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

Action = Callable[["_Handler"], None]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return user, password


class WireServer:
    """Scripted HTTP/1.1 server; ``base_url`` is what ``MixpanelClient(base_url=...)`` takes."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._routes: dict[str, list[Action]] = {}
        self._lock = threading.Lock()
        self.stop = threading.Event()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.wire = self  # type: ignore[attr-defined]
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> WireServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()

    def script(self, path: str, *actions: Action) -> None:
        """Answer requests to ``path`` with ``actions`` in order; the last one repeats."""
        with self._lock:
            self._routes[path.rstrip("/")] = list(actions)

    def count(self, path: str) -> int:
        """How many requests reached ``path``."""
        return sum(1 for seen in self.seen if seen.path == path.rstrip("/"))

    def _next(self, path: str) -> Action:
        with self._lock:
            queue = self._routes.get(path)
            if not queue:
                return reply(404, {"error": f"no script for {path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    @property
    def wire(self) -> WireServer:
        return self.server.wire  # type: ignore[attr-defined,no-any-return]

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form = {}
        if "form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        path = url.path.rstrip("/")
        self.wire.seen.append(
            Seen(
                method=self.command,
                path=path,
                params={k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                form=form,
                body=body,
            )
        )
        try:
            self.wire._next(path)(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def drop(self) -> None:
        """Close the TCP connection abruptly, mid-message."""
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _as_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return orjson.dumps(body)


def reply(
    status: int,
    body: Any = b"",
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> Action:
    """A complete response with Content-Length; dicts and lists become JSON."""
    raw = _as_bytes(body)
    kind = content_type or ("text/plain" if isinstance(body, bytes | str) else "application/json")

    def act(h: _Handler) -> None:
        h.head(status, {"Content-Type": kind, "Content-Length": str(len(raw)), **(headers or {})})
        h.wfile.write(raw)

    return act


def export(
    body: bytes,
    *,
    gzip: bool = False,
    cut_gzip: int = 0,
    drop_after: int | None = None,
    chunk: int = 4096,
) -> Action:
    """A chunked 200 ``text/plain`` export body, optionally gzipped, cut or dropped.

    ``cut_gzip`` removes that many bytes from the end of the gzip stream but still ends the HTTP
    message cleanly (only the decompressor can tell); ``drop_after`` closes the connection after
    that many body bytes without the final chunk (the HTTP layer can tell).
    """
    wire = gzip_module.compress(body) if gzip else body
    if cut_gzip:
        wire = wire[:-cut_gzip]

    def act(h: _Handler) -> None:
        if gzip and "gzip" not in h.headers.get("Accept-Encoding", ""):
            raise AssertionError("client did not ask for gzip")
        headers = {"Content-Type": "text/plain; charset=utf-8", "Transfer-Encoding": "chunked"}
        if gzip:
            headers["Content-Encoding"] = "gzip"
        h.head(200, headers)
        payload = wire if drop_after is None else wire[:drop_after]
        for start in range(0, len(payload), chunk):
            part = payload[start : start + chunk]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        if drop_after is not None:
            h.drop()
            return
        h.wfile.write(b"0\r\n\r\n")

    return act


def slow(seconds: float, then: Action) -> Action:
    """Stall before the first byte (the test's read timeout should fire first)."""

    def act(h: _Handler) -> None:
        if h.wire.stop.wait(seconds):
            return
        then(h)

    return act


def hang_up() -> Action:
    """Close the connection without sending any response."""
    return lambda h: h.drop()


def jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    """Rows as JSON Lines, each ending in ``\\n``."""
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)
