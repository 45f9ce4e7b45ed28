"""Per-export-day fingerprints, so a re-read of days that did not change writes nothing.

An incremental run re-reads the last ``lookback_days`` for late data, and most of the time none
came: rewriting those days (staging, delete, insert, checkpoint) was most of a "nothing new"
run. A day's fingerprint is its number of raw export rows (duplicates included) and the sum of
a 64-bit hash of each row's ``(event_key, mp_processing_time_ms)``: another serialization of the
same rows (key order, escapes, row order) gives the same fingerprint, while any new, changed or
re-processed row changes it. Loads store the fingerprint of every day they commit; a later read
of a window whose every day has one first tallies the downloaded spool with the key columns only
(no ``properties``), and only the days whose tally differs are parsed and loaded.

The hash is DuckDB's ``hash()``, not promised stable across DuckDB versions, so the stored
fingerprints carry ``VERSION``: after an upgrade they simply stop matching once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from mixpanel_data.local.connection import ThreadConnections
from mixpanel_data.sources.mixpanel.windows import Window

VERSION = "1/duckdb-" + ".".join(duckdb.__version__.split(".")[:2])
_EPOCH = date(1970, 1, 1)
_CONNECTIONS = ThreadConnections(threads=1)
_SQL = "SELECT d, count(*), sum(hash(k, p))::HUGEINT FROM day_rows GROUP BY d"

Fingerprint = tuple[int, str]
"""(rows, hash sum as text: JSON numbers lose precision past 2**53)."""


class DayTally:
    """Rows and hash sums per export day, added batch by batch (thread-safe)."""

    def __init__(self) -> None:
        self._days: dict[int, list[int]] = {}
        self._lock = threading.Lock()

    def add(self, days: np.ndarray, keys: pa.ChunkedArray, processing: pa.ChunkedArray) -> None:
        """Count one parsed batch: its export day numbers, keys and processing times."""
        if len(days) == 0:
            return
        con = _CONNECTIONS.get()
        rows = pa.table({"d": pa.array(days, type=pa.int32()), "k": keys, "p": processing})
        con.register("day_rows", rows)
        try:
            found = con.execute(_SQL).fetchall()
        finally:
            con.unregister("day_rows")
        with self._lock:
            for day, count, total in found:
                entry = self._days.setdefault(int(day), [0, 0])
                entry[0] += int(count)
                entry[1] += int(total)

    def of(self, window: Window) -> dict[str, Fingerprint]:
        """Every day of ``window`` (days without rows included) -> its fingerprint."""
        out: dict[str, Fingerprint] = {}
        with self._lock:
            for offset in range(window.days):
                day = window.start + timedelta(days=offset)
                count, total = self._days.get((day - _EPOCH).days, (0, 0))
                out[day.isoformat()] = (count, str(total))
        return out


def known_days(window: Window, stored: Mapping[str, Fingerprint]) -> dict[str, Fingerprint] | None:
    """The stored fingerprints of every day of ``window``, or None if any day has none."""
    found: dict[str, Fingerprint] = {}
    for offset in range(window.days):
        key = (window.start + timedelta(days=offset)).isoformat()
        if key not in stored:
            return None
        count, total = stored[key]
        found[key] = (int(count), str(total))
    return found


def changed_days(tally: DayTally, window: Window, known: Mapping[str, Fingerprint]) -> set[date]:
    """The days of ``window`` whose tally differs from what was stored."""
    now = tally.of(window)
    return {date.fromisoformat(day) for day, fp in now.items() if known.get(day) != fp}
