"""Event keys under a PII policy: nothing stored may rebuild a hashed or dropped value.

Without a policy an event's key is ``md5`` of Mixpanel's dedupe 4-tuple (event, distinct_id,
time, ``$insert_id``), or of the row's canonical content when it has no ``$insert_id``
(``events_arrow``). Both are unkeyed: with ``hash: [distinct_id]`` anyone holding the table
could md5 a list of candidate emails with the stored event, time and insert id and find the
true one, and a content key hashes the raw row, dropped properties included. So with a policy:

- given the PII salt, every key is ``HMAC-SHA256(salt, key)`` (hex). The same rows still give
  the same keys, so duplicates collapse exactly as before; without the salt no guess can be
  checked. The per-day fingerprints (``daysums``) sum these keys, so they inherit it.
- without a salt (a policy that only drops or masks), a content key leaves out every dropped
  or masked property, so it is made of stored values only. Identical rows are still numbered
  (``events_arrow._with_content_keys``), so two rows that differ only in a dropped property are
  both kept. The 4-tuple key needs no change: ``distinct_id`` can only be hashed, which needs
  the salt, and naming ``$insert_id`` needs the salt too (``pii.pii_policy``).

The HMAC runs in DuckDB with the key's pads passed as query parameters, never pasted into the
SQL text, so no error message can carry them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

__all__ = ["KeyProtection"]


@dataclass(frozen=True)
class KeyProtection:
    """How the events parser keys rows under a policy: ``key`` (the salt) or ``hidden`` names."""

    key: bytes = field(default=b"", repr=False)
    hidden: frozenset[str] = frozenset()
    """Properties left out of content keys when there is no key (dropped and masked ones)."""

    def sql(self, expression: str) -> str:
        """``expression`` (a hex key in SQL) keyed: HMAC-SHA256 in DuckDB, or as it is."""
        if not self.key:
            return expression
        return f"sha256($pii_outer || unhex(sha256($pii_inner || encode(({expression})::VARCHAR))))"

    def params(self) -> dict[str, bytes]:
        """The query parameters ``sql`` refers to (none without a key)."""
        if not self.key:
            return {}
        inner, outer = _pads(self.key)
        return {"pii_inner": inner, "pii_outer": outer}

    def finish(self, key: str) -> str:
        """A content key (``events_arrow.content_key``) keyed like ``sql`` keys the others."""
        if not self.key:
            return key
        return hmac.digest(self.key, key.encode(), "sha256").hex()

    @property
    def without(self) -> frozenset[str]:
        """Properties a content key must leave out (only when there is no key)."""
        return frozenset() if self.key else self.hidden


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104), for HMAC written as two SHA-256 calls."""
    block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
