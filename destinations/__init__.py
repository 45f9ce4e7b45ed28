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
    config still applies on top); its connections hold the database's lock while open
    (``duckdb_lock``). Any other name is left to dlt, which reads that
    destination's credentials from its own config.
    """
    from mixpanel_data.destinations.duckdb_lock import LockingDuckDbCredentials, locking_duckdb

    if name == "duckdb":
        credentials = LockingDuckDbCredentials(
            str(database_path(settings)), global_config=settings.duckdb_config()
        )
        return locking_duckdb(credentials=credentials)
    return name


def adapt_source(
    source: DltSource, destination: str, *, spool_dir: Path | None = None
) -> DltSource:
    """The source with the merge strategy ``destination`` supports (events/profiles merges).

    SQL destinations run dlt's default ``delete-insert`` merge (staging table deduped on the
    primary key with ``dedup_sort``). Delta tables on the filesystem destination only support
    ``upsert`` (a delta-rs MERGE on the primary key), which fails on a key repeated within one
    load, so there each merge resource with one key also yields one row per key per load, the
    copy ``dedup_sort`` prefers as the SQL staging dedupe does (``lake_dedupe``: spooled to
    ``spool_dir``, default the system temp dir, in bounded memory). Across loads and runs,
    upsert replaces the stored row, as the SQL merge does.
    """
    if destination != "filesystem":
        return source
    from mixpanel_data.destinations.lake_dedupe import LakeDedupe

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
                resource.add_step(LakeDedupe(primary[0], order, spool_dir))
    return source
