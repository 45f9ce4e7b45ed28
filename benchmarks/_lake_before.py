"""The lake dedupe as it was before ``destinations.lake_dedupe`` (for ``bench_lake.py --before``).

Installed into a child process by a ``sitecustomize`` the benchmark writes: ``adapt_source``
then adds this map step instead of ``LakeDedupe``. It keeps every key of a load in a Python set
(a Python loop per row) and the FIRST copy seen across batches. Benchmark code only.
"""

from __future__ import annotations

from typing import Any


class FirstCopy:
    """The old map step: one row per key across a load's Arrow tables, first copy seen wins."""

    def __init__(self, key: str, order: tuple[str, str] | None) -> None:
        self.key, self.order = key, order
        self.seen: set[object] = set()

    def __call__(self, item: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not isinstance(item, pa.Table | pa.RecordBatch) or self.key not in item.schema.names:
            return item
        table = pa.Table.from_batches([item]) if isinstance(item, pa.RecordBatch) else item
        if self.order and self.order[0] in table.schema.names:
            column, direction = self.order
            table = table.sort_by([(column, "descending" if direction == "desc" else "ascending")])
        keep, seen = [], self.seen
        for index, value in enumerate(table.column(self.key).to_pylist()):
            if value not in seen:
                seen.add(value)
                keep.append(index)
        if len(keep) == table.num_rows:
            return table
        return table.take(pc.cast(pa.array(keep), pa.int64())) if keep else None


def install() -> None:
    """Make ``adapt_source`` add ``FirstCopy`` (as a dlt map step) instead of ``LakeDedupe``."""
    from dlt.extract.items_transform import MapItem

    from mixpanel_data.destinations import lake_dedupe

    def old_step(key: str, order: tuple[str, str] | None, spool_dir: Any = None) -> MapItem:
        return MapItem(FirstCopy(key, order))

    lake_dedupe.LakeDedupe = old_step
