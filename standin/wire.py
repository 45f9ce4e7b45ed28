"""Request parsing and response writing shared by every handler, body faults included.

Responses are written as raw bytes on the socket (large chunks), HTTP/1.1 with keep-alive.
"""

from __future__ import annotations

import gzip
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from mixpanel_data.standin.encoding import GZIP_MIN
from mixpanel_data.standin.faults import BODY_FAULTS, Fault

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class HttpError(Exception):
    """Raised by handlers; the server turns it into the family's error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Request:
    """One parsed request: params merge the query string and a form-urlencoded body."""

    method: str
    target: str  # path?query as sent (echoed in error bodies)
    path: str  # without query and trailing slash
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    path_args: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
        """Build from the raw request line, headers (lower-cased keys) and body."""
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        ctype = headers.get("content-type", "")
        if body and "application/x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        path = parts.path.rstrip("/") or "/"
        return cls(method, target, path, params, headers, body)

    def json(self) -> Any:
        """The body parsed as JSON (400 when it is not)."""
        try:
            return orjson.loads(self.body or b"null")
        except orjson.JSONDecodeError as exc:
            raise HttpError(400, f"body is not valid JSON: {exc}") from None

    @property
    def accepts_gzip(self) -> bool:
        """Whether the client sent ``Accept-Encoding: gzip``."""
        return "gzip" in self.headers.get("accept-encoding", "").lower()

    def get_date(self, name: str, required: bool = True) -> date | None:
        """A ``YYYY-MM-DD`` parameter (400 when missing or malformed)."""
        raw = self.params.get(name)
        if raw is None or raw == "":
            if required:
                raise HttpError(400, f"{name} is a required parameter")
            return None
        try:
            if len(raw) != 10:
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise HttpError(400, f"{name} must be in YYYY-MM-DD format, got {raw!r}") from None

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter (400 when malformed)."""
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise HttpError(400, f"{name} must be an integer, got {raw!r}") from None

    def get_json(self, name: str, default: Any = None) -> Any:
        """A parameter holding JSON text (400 when it does not parse)."""
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise HttpError(400, f"{name} must be valid JSON, got {raw!r}") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter: true/1/yes."""
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        return raw.strip().lower() in ("true", "1", "yes")


class Exchange:
    """Writes one response on a handler's socket and remembers what happened, for the log."""

    def __init__(self, handler: BaseHTTPRequestHandler, request: Request, family: str) -> None:
        self.handler = handler
        self.request = request
        self.family = family
        self.endpoint = ""
        self.status = 0
        self.fault: Fault | None = None
        self.auth: str | None = None
        self.started = time.time()
        self.on_start: Callable[[Exchange], None] | None = None

    # ----- low level -----------------------------------------------------------------------
    def start(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        """Write the status line and headers (logging first, so tests see it at once)."""
        self.status = status
        if self.on_start is not None:
            self.on_start(self)
        lines = [
            f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
            "Server: mixpanel-standin",
            f"Date: {self.handler.date_time_string()}",
        ]
        lines.extend(f"{k}: {v}" for k, v in headers)
        self.handler.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def write(self, data: bytes) -> None:
        """Write body bytes."""
        if data:
            self.handler.wfile.write(data)

    def abort(self) -> None:
        """Cut the connection now (mid-body), as a dropped export stream does."""
        self.handler.close_connection = True
        try:
            self.handler.wfile.flush()
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ----- whole bodies ----------------------------------------------------------------------
    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        gzip_ok: bool = True,
        apply_fault: bool = True,
    ) -> None:
        """Send a whole body; gzip when asked and large; body faults apply to 200s."""
        fault = self.fault
        if apply_fault and status == 200 and fault is not None and fault.kind in BODY_FAULTS:
            # imported here, where a body fault is due: most exchanges never need it
            from mixpanel_data.standin.bodyfaults import send_with_body_fault

            send_with_body_fault(self, fault, body, content_type, headers or {})
            return
        extra = dict(headers or {})
        if gzip_ok and self.request.accepts_gzip and len(body) > GZIP_MIN:
            body = gzip.compress(body, 5)
            extra["Content-Encoding"] = "gzip"
        head = [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra.items()]
        self.start(status, head)
        if self.request.method != "HEAD":
            self.write(body)

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        """Send a JSON body."""
        self.send(status, orjson.dumps(obj), "application/json", headers)

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        """An error in the shape this API family uses (README §4.1)."""
        if self.family == "app":
            obj: dict[str, Any] = {"error": message, "status": "error"}
        elif self.family in ("export", "query"):
            obj = {"request": self.request.target, "error": message}
        else:
            obj = {"error": message}
        self.send(status, orjson.dumps(obj), "application/json", headers, gzip_ok=False)
