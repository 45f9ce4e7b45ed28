"""Keep one row per ``event_key`` in an export window: the copy Mixpanel's queries show.

Duplicates share their ``time``, so they always fall in the same export day, and a window holds
whole days: deduplicating each window in extract leaves every load package with unique keys.
That lets a load append days it never loaded (no staging copy, no merge) and lets dlt skip its
own ROW_NUMBER pass when it merges (``deduplicated``). The copy kept is the one with the highest
``mp_processing_time_ms`` (Mixpanel shows the latest ingested copy:
docs.mixpanel.com/troubleshooting/errors/duplicate-events), the later one in export order on a
tie, as dlt's merge kept it with ``dedup_sort``.

A window's parsed tables are held until it ends (the keys of its last batch decide which copy of
a first-batch row survives). Past ``memory_bytes`` they go to an unnamed Arrow IPC file beside
the spool (nothing is left behind after a kill) and are read back a batch at a time, so one huge
day costs disk, not memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

KEY = "event_key"
ORDER = "mp_processing_time_ms"


class WindowDedupe:
    """Collects one window's tables (``add``), then yields them with duplicates dropped."""

    def __init__(self, memory_bytes: int, spill_dir: Path | None = None) -> None:
        self._limit = memory_bytes
        self._spill_dir = spill_dir
        self._held: list[pa.Table] = []
        self._held_bytes = 0
        self._keys: list[pa.ChunkedArray] = []
        self._order: list[np.ndarray] = []
        self._spill: IO[bytes] | None = None
        self._writer: ipc.RecordBatchFileWriter | None = None
        self.rows = 0
        self.dropped = 0

    def add(self, table: pa.Table) -> None:
        """Hold ``table`` (in memory up to the limit, then on disk)."""
        if not table.num_rows:
            return
        self.rows += table.num_rows
        self._keys.append(table.column(KEY))
        self._order.append(_order_values(table))
        if self._writer is None and self._held_bytes + table.nbytes <= self._limit:
            self._held.append(table)
            self._held_bytes += table.nbytes
            return
        if self._writer is None:
            self._spill = tempfile.TemporaryFile(prefix="mixpanel-window-", dir=self._spill_dir)  # noqa: SIM115 - closed by close()
            self._writer = ipc.new_file(pa.PythonFile(self._spill, mode="w"), table.schema)
        self._writer.write_table(table)

    def tables(self) -> Iterator[pa.Table]:
        """The held tables in export order, each without the copies that lost."""
        keep = self._winners()
        start = 0
        for table in self._all_tables():
            end = start + table.num_rows
            part = keep[start:end]
            start = end
            if part.all():
                yield table
            elif part.any():
                yield table.filter(pa.array(part))
        self.close()

    def close(self) -> None:
        """Drop what is held and the spill file (also on an abandoned window)."""
        self._held.clear()
        self._keys.clear()
        self._order.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def _all_tables(self) -> Iterator[pa.Table]:
        held, self._held = self._held, []
        yield from held
        del held
        if self._writer is None or self._spill is None:
            return
        self._writer.close()
        self._writer = None
        self._spill.seek(0)
        reader = ipc.open_file(pa.PythonFile(self._spill, mode="r"))
        for i in range(reader.num_record_batches):
            yield pa.Table.from_batches([reader.get_batch(i)])

    def _winners(self) -> np.ndarray:
        """A mask over every row held: True for the copy each key keeps."""
        n = self.rows
        keep = np.ones(n, dtype=bool)
        if n < 2:
            return keep
        keys = pa.chunked_array([c for k in self._keys for c in k.chunks], type=pa.string())
        if pc.count_distinct(keys).as_py() == n:
            return keep
        order = np.concatenate(self._order)
        position = np.arange(n, dtype=np.int64)
        ranked = pa.table({"k": keys, "o": order, "p": position})
        indices = pc.sort_indices(
            ranked, sort_keys=[("k", "ascending"), ("o", "descending"), ("p", "descending")]
        ).to_numpy()
        sorted_keys = keys.take(pa.array(indices)).combine_chunks()
        first = np.ones(n, dtype=bool)
        first[1:] = ~np.asarray(
            pc.equal(sorted_keys.slice(1), sorted_keys.slice(0, n - 1)).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
        keep[:] = False
        keep[indices[first]] = True
        self.dropped = int(n - keep.sum())
        return keep


def _order_values(table: pa.Table) -> np.ndarray:
    """``mp_processing_time_ms`` as int64, a missing value ranking below every real one."""
    if ORDER not in table.column_names:
        return np.full(table.num_rows, np.iinfo(np.int64).min, dtype=np.int64)
    column = pc.fill_null(pc.cast(table.column(ORDER), pa.int64()), np.iinfo(np.int64).min)
    return np.asarray(column.to_numpy(), dtype=np.int64)
