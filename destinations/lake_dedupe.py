"""One row per key in each load to the filesystem (Delta) destination, in bounded memory.

Why: delta-rs upsert (a MERGE on the primary key) fails on a key repeated within one load, and
Delta must keep the copy the SQL destinations keep. They dedupe their staging table with
``ROW_NUMBER() OVER (PARTITION BY key ORDER BY <dedup_sort>)`` (dlt's ``delete-insert``); for
events that is the highest ``mp_processing_time_ms``, the latest copy, the one Mixpanel's
queries show (docs.mixpanel.com/troubleshooting/errors/duplicate-events). The copies of a key
can sit in any of a load's Arrow tables, so nothing is yielded before the resource is done.

How: the resource's tables are spooled to an Arrow IPC file (exact types, lz4), and just
(key, sort value, arrival number) to a DuckDB file with a memory limit, beside it. One query
finds the copies that lose, every row of a repeated key but the one ROW_NUMBER ranks first with
the destination's order: ``dedup_sort``, NULLs last as DuckDB sorts them, ties (and no
``dedup_sort``) to the later arrival. The spooled tables are then yielded again, one at a time,
without those rows (a numpy mask per table). Memory: one table, DuckDB's limit (it spills to
the spool folder), 8 bytes per dropped copy.

Across loads: one run's loads (``MP_LOAD_CHUNK_MB`` chunks) hold whole export days (windows are
whole days, fetched whole before any row goes out; a chunk ends between windows), and
duplicates share their ``time``, hence their export day, so no event key spans two loads of one
run. Across runs, upsert replaces the stored row with the newer load's copy, as the SQL
merge's delete-insert does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from dlt.extract.items_transform import BaseItemTransform, ItemTransform

SPOOL_MEMORY_LIMIT = "64MB"
"""DuckDB's limit for the key spool: past it, DuckDB spills to the spool folder."""


class LakeDedupe(ItemTransform[Any, dict[str, Any]]):
    """A resource step: the resource yields one row per ``key`` (``unique_rows``).

    dlt binds steps to the pipe when extraction starts; this one then wraps the resource's
    generator, as dlt's own ``add_limit`` step does, because it must see the end of the data.
    """

    def __init__(
        self, key: str, order: tuple[str, str] | None, spool_dir: Path | None = None
    ) -> None:
        """``order``: (column, "asc"|"desc"), the resource's ``dedup_sort``."""
        BaseItemTransform.__init__(self)
        self.key, self.order, self.spool_dir = key, order, spool_dir

    def bind(self, pipe: Any) -> LakeDedupe:
        if isinstance(pipe.gen, Iterator):  # a transformer's gen is a function: left alone
            pipe.replace_gen(unique_rows(pipe.gen, self.key, self.order, spool_dir=self.spool_dir))
        return self

    def __call__(self, item: Any, meta: Any = None) -> Any:
        return item


def unique_rows(
    items: Iterator[Any],
    key: str,
    order: tuple[str, str] | None,
    *,
    spool_dir: Path | None = None,
) -> Iterator[Any]:
    """``items`` (Arrow tables or batches) once exhausted, as tables holding one row per ``key``.

    Row dicts (no resource of ours yields them to a merge) are kept by key in memory instead.
    Items without the key column pass through. The spool goes to a temporary folder in
    ``spool_dir`` (default: the system's temp dir) and is removed at the end.
    """
    if spool_dir is not None:
        spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mp-lake-dedupe-", dir=spool_dir) as folder:
        spool = _Spool(Path(folder), key, order)
        try:
            try:
                for item in items:
                    spool.add(item)
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
            yield from spool.unique()
        finally:
            spool.close()


class _Spool:
    """A load's rows on disk, and their keys in DuckDB, until the load's data is complete."""

    def __init__(self, folder: Path, key: str, order: tuple[str, str] | None) -> None:
        self.folder, self.key, self.order = folder, key, order
        self.segments: list[Path] = []  # IPC files in arrival order, one per schema
        self.writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.sink: pa.NativeFile | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0
        self.db: duckdb.DuckDBPyConnection | None = None
        self.rows_by_key: dict[Any, dict[str, Any]] = {}
        self.other: list[Any] = []

    def add(self, item: Any) -> None:
        if isinstance(item, pa.RecordBatch):
            item = pa.Table.from_batches([item])
        if isinstance(item, pa.Table) and self.key in item.schema.names:
            self._add_table(item)
        elif isinstance(item, dict) and self.key in item:
            self._add_row(item)
        elif isinstance(item, list) and all(isinstance(row, dict) for row in item):
            for row in item:
                self.add(row)
        else:
            self.other.append(item)

    def _add_table(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self.writer is None or table.schema != self.schema:
            self._open_segment(table.schema)
        assert self.writer is not None
        self.writer.write_table(table)
        numbers = pa.array(np.arange(self.rows, self.rows + table.num_rows, dtype=np.int64))
        column = self.order[0] if self.order else None
        sort = (
            table.column(column)
            if column in table.schema.names
            else pa.nulls(table.num_rows, pa.int64())
        )
        keys = pa.table({"k": table.column(self.key), "s": sort, "r": numbers})
        db = self._keys_db(keys)
        db.register("incoming", keys)
        db.execute("INSERT INTO keys SELECT k, s, r FROM incoming")
        db.unregister("incoming")
        self.rows += table.num_rows

    def _keys_db(self, first: pa.Table) -> duckdb.DuckDBPyConnection:
        if self.db is None:
            self.db = duckdb.connect(
                str(self.folder / "keys.duckdb"),
                config={
                    "memory_limit": SPOOL_MEMORY_LIMIT,
                    "temp_directory": str(self.folder / "spill"),
                    "preserve_insertion_order": False,
                },
            )
            self.db.register("first", first)
            self.db.execute("CREATE TABLE keys AS SELECT k, s, r FROM first LIMIT 0")
            self.db.unregister("first")
        return self.db

    def _open_segment(self, schema: pa.Schema) -> None:
        self._close_writer()
        path = self.folder / f"rows-{len(self.segments)}.arrows"
        compression = "lz4" if pa.Codec.is_available("lz4") else None
        self.sink = pa.OSFile(str(path), "wb")
        options = pa.ipc.IpcWriteOptions(compression=compression)
        self.writer = pa.ipc.new_stream(self.sink, schema, options=options)
        self.segments.append(path)
        self.schema = schema

    def _add_row(self, row: dict[str, Any]) -> None:
        value = row[self.key]
        held = self.rows_by_key.get(value)
        if held is None or _later_wins(row, held, self.order):
            self.rows_by_key.pop(value, None)  # re-inserted: the dict keeps arrival order
            self.rows_by_key[value] = row

    def unique(self) -> Iterator[Any]:
        """The spooled tables without the losing copies, then held rows and other items."""
        self._close_writer()
        losers = self._losers()
        start = 0
        for path in self.segments:
            with pa.OSFile(str(path), "rb") as source:
                for batch in pa.ipc.open_stream(source):
                    end = start + batch.num_rows
                    lo, hi = np.searchsorted(losers, [start, end])
                    if lo == hi:
                        yield pa.Table.from_batches([batch])
                    else:
                        keep = np.ones(batch.num_rows, dtype=bool)
                        keep[losers[lo:hi] - start] = False
                        yield pa.Table.from_batches([batch.filter(pa.array(keep))])
                    start = end
        if self.rows_by_key:
            yield list(self.rows_by_key.values())
        yield from self.other

    def _losers(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Sorted arrival numbers of the copies ROW_NUMBER does not rank first."""
        if self.db is None:
            return np.empty(0, dtype=np.int64)
        direction = "ASC" if self.order and self.order[1] == "asc" else "DESC"
        ranked = f"s {direction} NULLS LAST, r DESC" if self.order else "r DESC"
        found = self.db.execute(
            f"""
            WITH repeated AS (SELECT k FROM keys GROUP BY k HAVING count(*) > 1)
            SELECT r FROM (
              SELECT r, row_number() OVER (PARTITION BY k ORDER BY {ranked}) AS n
              FROM keys SEMI JOIN repeated USING (k)
            ) WHERE n > 1 ORDER BY r"""
        ).fetchnumpy()["r"]
        return np.asarray(found, dtype=np.int64)

    def _close_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.sink is not None:
            self.sink.close()
            self.sink = None

    def close(self) -> None:
        self._close_writer()
        if self.db is not None:
            self.db.close()
            self.db = None


def _later_wins(new: dict[str, Any], held: dict[str, Any], order: tuple[str, str] | None) -> bool:
    """Whether row ``new``, arriving after ``held``, is the copy to keep (the SQL order)."""
    if order is None:
        return True
    column, direction = order
    a, b = new.get(column), held.get(column)
    if a is None or b is None:
        return b is None  # NULLs rank last; between two NULLs the later arrival
    return bool(a >= b) if direction == "desc" else bool(a <= b)
