"""Faults that corrupt a 200 body: ``terminated early``, a dropped socket, a cut gzip stream."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from mixpanel_data.standin.encoding import GZIP_MIN
from mixpanel_data.standin.faults import Fault

if TYPE_CHECKING:
    from mixpanel_data.standin.wire import Exchange

TERMINATED_LINE = b"terminated early\n"


def send_with_body_fault(
    ex: Exchange, fault: Fault, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    """Send ``body`` damaged the way ``fault.kind`` says."""
    if fault.kind == "terminated_early":
        _terminated_early(ex, fault, body, content_type, headers)
    elif fault.kind == "drop_connection":
        _drop_connection(ex, fault, body, content_type, headers)
    else:
        _truncated_gzip(ex, fault, body, content_type, headers)


def _terminated_early(
    ex: Exchange, fault: Fault, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    """Some whole lines, then the bare line ``terminated early``; status stays 200."""
    cut = len(body) // 2 if fault.after_bytes is None else min(fault.after_bytes, len(body))
    cut = body.rfind(b"\n", 0, cut) + 1
    ex.send(200, body[:cut] + TERMINATED_LINE, content_type, headers, apply_fault=False)


def _drop_connection(
    ex: Exchange, fault: Fault, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    """Promise the whole body (Content-Length or chunked), send part, then close the socket."""
    extra = dict(headers)
    wire = body
    if ex.request.accepts_gzip and len(body) > GZIP_MIN:
        wire = gzip.compress(body, 5)
        extra["Content-Encoding"] = "gzip"
    cut = len(wire) // 2 if fault.after_bytes is None else min(fault.after_bytes, len(wire))
    if wire is body and cut > 1 and body[cut - 1 : cut] == b"\n":
        cut -= 1  # end mid-line, never on a clean line boundary
    head = [("Content-Type", content_type), *extra.items()]
    if fault.chunked:
        ex.start(200, [*head, ("Transfer-Encoding", "chunked")])
        ex.write(f"{len(wire):x}\r\n".encode() + wire[:cut])
    else:
        ex.start(200, [*head, ("Content-Length", str(len(wire)))])
        ex.write(wire[:cut])
    ex.abort()


def _truncated_gzip(
    ex: Exchange, fault: Fault, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    """A complete HTTP body holding a gzip stream cut short: no trailer, data missing."""
    wire = gzip.compress(body, 5)
    limit = len(wire) - 8  # never includes the CRC/length trailer
    cut = max(10, limit * 2 // 3) if fault.after_bytes is None else fault.after_bytes
    cut = max(0, min(cut, limit))
    head = [
        ("Content-Type", content_type),
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(cut)),
        *headers.items(),
    ]
    ex.start(200, head)
    ex.write(wire[:cut])
