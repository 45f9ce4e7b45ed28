"""``GET /api/2.0/export``: JSONL per export day (README §6.1, §7.4).

Unfiltered requests stream cached, pre-compressed day segments (one gzip member joined from
them, or inflated on the fly). Filtered ones (``event``, ``where``, ``limit``) are generated
and streamed with chunked transfer. Either way only rows processed by the request's "now" are
sent, and each request picks its serializer variant once.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator
from datetime import date
from typing import Any

from mixpanel_data.standin.bodycache import Stored
from mixpanel_data.standin.encoding import GZIP_MIN
from mixpanel_data.standin.expr import MISSING, ExprError
from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.faults import BODY_FAULTS
from mixpanel_data.standin.generator import Event
from mixpanel_data.standin.gzipjoin import FINAL_BLOCK, GZIP_HEADER, gzip_trailer
from mixpanel_data.standin.serialize import encoder
from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError, Request

CONTENT_TYPE = "text/plain; charset=utf-8"
MAX_LIMIT = 100_000
CHUNK = 1 << 20


def date_range(req: Request, state: ServerState) -> tuple[date, date]:
    """Validated inclusive (from_date, to_date) (README §7.3)."""
    first, last = req.get_date("from_date"), req.get_date("to_date")
    assert first is not None and last is not None
    if first > last:
        raise HttpError(400, "from_date cannot be later than to_date")
    if last > state.project.today:
        raise HttpError(400, "to_date cannot be later than today")
    return first, last


def event_getter(ev: Event) -> Any:
    """A ``where`` getter over one exported row."""
    props = ev["properties"]

    def get(source: str, key: str) -> Any:
        if key in ("$time", "time"):
            t = props["time"]
            return t // 1000 if t > 10**11 else t
        if key in ("$event_name", "$name", "name") and source == "event":
            return ev["event"]
        if key == "$distinct_id":
            return props.get("distinct_id", MISSING)
        return props.get(key, MISSING)

    return get


def handle_export(state: ServerState, ex: Exchange) -> None:
    """Serve one export request."""
    req = ex.request
    first, last = date_range(req, state)
    names = req.get_json("event")
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        raise HttpError(400, "event must be a JSON array of event names")
    where = req.params.get("where") or None
    limit = req.get_int("limit")
    if limit is not None and not 0 < limit <= MAX_LIMIT:
        raise HttpError(400, f"limit must be between 1 and {MAX_LIMIT}")
    time_in_ms = req.get_bool("time_in_ms")
    now_ms = state.project.now_ms()
    variant = state.next_variant()
    days = state.project.data_days(first, last)  # multi-year windows stay cheap
    body_fault = ex.fault is not None and ex.fault.kind in BODY_FAULTS
    if names is None and where is None and limit is None and not body_fault:
        _send_cached(state, ex, days, time_in_ms, now_ms, variant)
        return
    try:
        predicate = compile_expr(where) if where else None
    except ExprError as exc:
        raise HttpError(400, f"invalid where expression: {exc}") from None
    lines = _filtered_lines(state, days, names, predicate, limit, time_in_ms, now_ms, variant)
    if body_fault:
        ex.send(200, b"".join(lines), CONTENT_TYPE)
    else:
        _send_stream(ex, lines)


def _send_cached(
    state: ServerState, ex: Exchange, days: list[date], time_in_ms: bool, now_ms: int, variant: int
) -> None:
    """Stream pre-compressed day segments: gzip joined, or inflated to plain text."""
    stored = [state.cache.get(day, time_in_ms, now_ms, variant) for day in days]
    plain_len = sum(s.segment.size for s in stored)
    if ex.request.accepts_gzip and plain_len > GZIP_MIN:
        length = len(GZIP_HEADER) + sum(s.deflate_len for s in stored) + len(FINAL_BLOCK) + 8
        ex.start(
            200,
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(length)),
                ("Content-Encoding", "gzip"),
            ],
        )
        ex.write(GZIP_HEADER)
        for item in stored:
            for chunk in item.iter_deflate():
                ex.write(chunk)
        ex.write(FINAL_BLOCK + gzip_trailer([s.segment for s in stored]))
        return
    ex.start(200, [("Content-Type", CONTENT_TYPE), ("Content-Length", str(plain_len))])
    for item in stored:
        for piece in _inflate(item):
            ex.write(piece)


def _inflate(item: Stored) -> Iterator[bytes]:
    dec = zlib.decompressobj(-15)
    for chunk in item.iter_deflate():
        yield dec.decompress(chunk)
    yield dec.flush()


def _filtered_lines(
    state: ServerState,
    days: list[date],
    names: list[str] | None,
    predicate: Any,
    limit: int | None,
    time_in_ms: bool,
    now_ms: int,
    variant: int,
) -> Iterator[bytes]:
    """Matching rows processed by ``now_ms`` as ~1 MB blocks of JSONL."""
    wanted = set(names) if names is not None else None
    left = limit if limit is not None else -1
    dumps = encoder(variant)
    block: list[bytes] = []
    size = 0
    for day in days:
        batch = state.project.batch(day, now_ms=now_ms)
        for ev, utc_ms in zip(batch.events, batch.utc_ms, strict=True):
            if wanted is not None and ev["event"] not in wanted:
                continue
            if predicate is not None and not predicate(event_getter(ev)):
                continue
            if time_in_ms:
                props = dict(ev["properties"])
                props["time"] = props["time"] * 1000 + utc_ms % 1000
                ev = {"event": ev["event"], "properties": props}
            line = dumps(ev) + b"\n"
            block.append(line)
            size += len(line)
            left -= 1
            if size >= CHUNK:
                yield b"".join(block)
                block, size = [], 0
            if left == 0:
                yield b"".join(block)
                return
    yield b"".join(block)


def _send_stream(ex: Exchange, blocks: Iterator[bytes]) -> None:
    """Small results as one body; large ones chunked (gzip-compressed when asked)."""
    head: list[bytes] = []
    size = 0
    for block in blocks:
        head.append(block)
        size += len(block)
        if size > CHUNK:
            break
    else:
        ex.send(200, b"".join(head), CONTENT_TYPE)
        return
    gz = zlib.compressobj(5, zlib.DEFLATED, 31) if ex.request.accepts_gzip else None
    headers = [("Content-Type", CONTENT_TYPE), ("Transfer-Encoding", "chunked")]
    if gz is not None:
        headers.append(("Content-Encoding", "gzip"))
    ex.start(200, headers)
    for block in itertools.chain(head, blocks):
        data = gz.compress(block) if gz is not None else block
        if data:
            ex.write(b"%x\r\n%s\r\n" % (len(data), data))
    if gz is not None:
        tail = gz.flush()
        if tail:
            ex.write(b"%x\r\n%s\r\n" % (len(tail), tail))
    ex.write(b"0\r\n\r\n")
