"""Unit tests of the building blocks: expressions, gzip joining, the fault queue."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from mixpanel_data.standin.expr import MISSING, ExprError
from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.faults import Fault, FaultQueue
from mixpanel_data.standin.gzipjoin import (
    FINAL_BLOCK,
    GZIP_HEADER,
    compress_segment,
    crc32_combine,
    gzip_length,
    gzip_trailer,
)

PROPS = {
    "$os": "Linux",
    "amount": 5.5,
    "tags": ["a", "b"],
    "time": 1_704_067_300,
    "$last_seen": "2024-02-01T00:00:00",
    "flag": True,
    "nothing": None,
}


def _get(source: str, key: str) -> object:
    return PROPS.get("time" if key == "$time" else key, MISSING)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('properties["$os"] == "Linux"', True),
        ('properties["$os"] != "Linux"', False),
        ('properties["amount"] > 5 and properties["amount"] <= 5.5', True),
        ('not defined(properties["missing"])', True),
        ('defined(properties["nothing"])', True),
        ('"a" in properties["tags"]', True),
        ('properties["$os"] in ["Mac", "Linux"]', True),
        ('event["$time"] >= datetime("2024-01-01T00:00:00")', True),
        ('properties["$time"] >= datetime(1704067200)', True),
        ('properties["$last_seen"] >= "2024-01-01T00:00:00"', True),
        ('properties["$last_seen"] < datetime("2024-01-15")', False),
        ('number(properties["amount"]) * 2 + 1 == 12', True),
        ('properties["missing"] == "x" or properties["flag"]', True),
        ('string(properties["flag"]) == "true"', True),
        ("floor(5.7) == 5 and ceil(5.2) == 6 and round(5.5) == 6", True),
        ('properties["missing"] > 3', False),
    ],
    ids=[
        "eq",
        "ne",
        "range",
        "not-defined",
        "defined-null",
        "in-list-prop",
        "in-literal",
        "datetime-iso",
        "datetime-unix",
        "last-seen-text",
        "last-seen-datetime",
        "arith",
        "or",
        "string-bool",
        "rounding",
        "missing-compare",
    ],
)
def test_expressions(text: str, expected: bool) -> None:
    assert bool(compile_expr(text)(_get)) is expected


@pytest.mark.parametrize(
    "text",
    ["", "properties[", "foo(1)", "x == 1", "1 +", '"a" ==='],
    ids=["empty", "unclosed", "unknown-fn", "bare-name", "dangling", "bad-op"],
)
def test_bad_expressions(text: str) -> None:
    with pytest.raises(ExprError):
        compile_expr(text)


def test_joined_segments_form_one_gzip_member() -> None:
    parts = [os.urandom(3000) + b"abc" * 4000, b"", "é\u2028\r\n".encode() * 500]
    segments = [compress_segment(p, 0) for p in parts]
    blob = (
        GZIP_HEADER + b"".join(s.deflate for s in segments) + FINAL_BLOCK + gzip_trailer(segments)
    )
    assert len(blob) == gzip_length(segments)
    dec = zlib.decompressobj(31)
    assert dec.decompress(blob) == b"".join(parts) and dec.eof and not dec.unused_data
    assert gzip.decompress(blob) == b"".join(parts)


def test_crc32_combine_matches_zlib() -> None:
    a, b = os.urandom(777), os.urandom(12345)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_fault_queue_order_and_countdown() -> None:
    queue = FaultQueue()
    queue.add(Fault("5xx", family="query", times=2))
    queue.add(Fault("429", family="any"))
    assert queue.take("export", "export", "/api/2.0/export").kind == "429"
    assert queue.take("export", "export", "/api/2.0/export") is None
    assert queue.take("query", "engage", "/api/2.0/engage").kind == "5xx"
    assert queue.take("query", "funnels", "/api/2.0/funnels").kind == "5xx"
    assert queue.pending() == []
    with pytest.raises(ValueError):
        Fault.from_dict({"kind": "429", "colour": "red"})
