"""How export writes rows as JSON: one stable form, or a different form per request.

Real export does not promise byte-stable lines: key order, escaping and spacing change between
requests while the events and values stay the same. ``Options(serializer="varying")`` cycles
export requests through ``VARIANTS``; a client that hashes raw lines, or compares bytes to
detect changed rows, then sees every row as new.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import orjson

Encoder = Callable[[Any], bytes]
SERIALIZERS = ("stable", "varying")
# 0 as stable; 1 keys shuffled; 2 \uXXXX for non-ASCII and "\/"; 3 shuffled, escaped, spaced
VARIANTS = 4


def shuffled(obj: Any, salt: int) -> Any:
    """A copy with every dict's keys (nested ones too) in a salt-determined order."""
    if isinstance(obj, dict):
        order = sorted(obj, key=lambda k: (zlib.crc32(k.encode(), salt), k))
        return {k: shuffled(obj[k], salt) for k in order}
    if isinstance(obj, list):
        return [shuffled(v, salt) for v in obj]
    return obj


def _row_salt(row: Any, variant: int) -> int:
    """Per row and variant: the same row always shuffles the same way in one variant."""
    return zlib.crc32(orjson.dumps(row), variant * 0x9E3779B1 & 0xFFFFFFFF)


def _shuffle_dumps(row: Any, variant: int = 1) -> bytes:
    return orjson.dumps(shuffled(row, _row_salt(row, variant)))


def _escaped_dumps(row: Any) -> bytes:
    text = json.dumps(row, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")  # "/" only occurs inside strings


def _spaced_dumps(row: Any) -> bytes:
    text = json.dumps(shuffled(row, _row_salt(row, 3)), ensure_ascii=True, separators=(", ", ": "))
    return text.replace("/", "\\/").encode("ascii")


ENCODERS: tuple[Encoder, ...] = (orjson.dumps, _shuffle_dumps, _escaped_dumps, _spaced_dumps)


def encoder(variant: int) -> Encoder:
    """The row encoder of one variant (0 is the stable ``orjson`` form)."""
    return ENCODERS[variant % VARIANTS]
