"""Destinations: DuckDB embedded by default; any other dlt destination by name.

A pipeline names its destination in pipelines.yaml (``duckdb``, ``postgres``, ``motherduck``,
``bigquery``, ``snowflake``, ``clickhouse``, ``filesystem``, ...). Its credentials come from dlt's
own config (``.dlt/secrets.toml`` or ``DESTINATION__<NAME>__CREDENTIALS``), never from
pipelines.yaml. The filesystem destination writes Delta tables by default (``table_format``),
because dlt merges (events on ``event_key``, profiles on ``distinct_id``) need a table format
there; its ``bucket_url`` is dlt config (``DESTINATION__FILESYSTEM__BUCKET_URL``), a local folder
or object storage. ``destinations.query`` reads any of them back for ``mp sql`` / ``mp info``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mixpanel_data.config.settings import (
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    DUCKDB_COMPRESSIONS,
)

if TYPE_CHECKING:
    from dlt.common.destination.reference import AnyDestination_CO
    from dlt.extract import DltSource

    from mixpanel_data.config.settings import Settings

__all__ = [
    "DEFAULT_DUCKDB_MEMORY_LIMIT",
    "DUCKDB_COMPRESSIONS",
    "adapt_source",
    "database_path",
    "make_destination",
]


def database_path(settings: Settings) -> Path:
    """The embedded DuckDB file of ``settings``, its folder created."""
    path = settings.database_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def make_destination(name: str, settings: Settings) -> AnyDestination_CO | str:
    """A dlt destination object for ``name``; DuckDB points at the settings' embedded file.

    The embedded DuckDB gets a memory limit so a load's peak memory stays flat as data grows
    (``MP_DUCKDB_MEMORY_LIMIT``, default 512MB; dlt's ``DESTINATION__DUCKDB__CREDENTIALS__*``
    config still applies on top). Any other name is left to dlt, which reads that
    destination's credentials from its own config.
    """
    import dlt
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    if name == "duckdb":
        credentials = DuckDbCredentials(
            str(database_path(settings)), global_config=settings.duckdb_config()
        )
        return dlt.destinations.duckdb(credentials=credentials)
    return name


def adapt_source(source: DltSource, destination: str) -> DltSource:
    """The source with the merge strategy ``destination`` supports (events/profiles merges).

    SQL destinations run dlt's default ``delete-insert`` merge (staging table deduped on the
    primary key with ``dedup_sort``). Delta tables on the filesystem destination only support
    ``upsert`` (a delta-rs MERGE on the primary key), which fails on a key repeated within one
    load, so there each merge resource also drops repeats while extracting: inside a batch the
    copy ``dedup_sort`` prefers is kept (the latest processed event); across batches of one run
    the first one seen (its keys are held in memory for the run). Across runs, upsert replaces
    the stored row, as the SQL merge does.
    """
    if destination != "filesystem":
        return source
    for resource in source.resources.selected.values():
        disposition = resource.write_disposition
        if disposition == "merge" or (
            isinstance(disposition, dict) and disposition.get("disposition") == "merge"
        ):
            resource.apply_hints(write_disposition={"disposition": "merge", "strategy": "upsert"})
            keys = resource.compute_table_schema().get("columns", {})
            primary = [n for n, c in keys.items() if c.get("primary_key")]
            order = next(((n, by) for n, c in keys.items() if (by := c.get("dedup_sort"))), None)
            if len(primary) == 1:
                resource.add_map(_FirstCopy(primary[0], order))
    return source


class _FirstCopy:
    """A map step keeping one row per key across one run's Arrow tables (and row dicts)."""

    def __init__(self, key: str, order: tuple[str, str] | None) -> None:
        """``order``: (column, "asc"|"desc") whose first row wins among repeats of a key."""
        self.key, self.order = key, order
        self.seen: set[object] = set()

    def __call__(self, item: object) -> object:
        """``item`` without the rows whose key was seen (None: nothing left); a row dict or an
        Arrow table or batch, any other item passed on."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(item, dict):
            value = item.get(self.key)
            if value in self.seen:
                return None
            self.seen.add(value)
            return item
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
