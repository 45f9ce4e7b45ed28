"""How the stand-in encodes bodies: one threshold shared by the exchange and the body faults."""

from __future__ import annotations

GZIP_MIN = 1400
"""Bodies larger than this are gzipped for a client that accepts it (export spec)."""
