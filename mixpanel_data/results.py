"""Result types of the local side (fetching, SQL, introspection): frozen, printable, JSON-ready.

Each has ``to_dict()`` giving plain JSON values, which is what the CLI prints, so the library
and ``mp`` always agree on field names. Live-query results live in ``mixpanel_data.live``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FetchResult:
    """What one ``fetch_events``/``fetch_profiles`` did.

    ``rows`` counts rows read from Mixpanel (duplicates included); ``rows_new`` is how much the
    table grew after dlt's merge, ``table_rows`` its size afterwards.
    """

    table: str
    rows: int
    type: str
    duration_seconds: float
    date_range: tuple[str, str] | None
    fetched_at: datetime
    rows_new: int = 0
    duplicates_dropped: int = 0
    table_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "type": self.type,
            "duration_seconds": round(self.duration_seconds, 3),
            "date_range": list(self.date_range) if self.date_range else None,
            "fetched_at": self.fetched_at.isoformat(),
            "rows_new": self.rows_new,
            "duplicates_dropped": self.duplicates_dropped,
            "table_rows": self.table_rows,
        }


@dataclass(frozen=True)
class SqlResult:
    """Column names and rows of one SQL statement (no pandas needed)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Rows as ``{column: value}`` dicts."""
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def scalar(self) -> Any:
        """The first value of the first row (None when there is no row)."""
        return self.rows[0][0] if self.rows and self.rows[0] else None


@dataclass(frozen=True)
class TableInfo:
    """One local table: ``name`` as SQL finds it (``dataset.table`` when shadowed)."""

    name: str
    dataset: str
    table: str
    type: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "dataset": self.dataset,
            "type": self.type,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a local table."""

    name: str
    type: str
    nullable: bool

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.name, "type": self.type, "nullable": self.nullable}


@dataclass(frozen=True)
class TableSchema:
    """The columns of one local table."""

    table: str
    dataset: str
    type: str
    columns: tuple[ColumnInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "dataset": self.dataset,
            "type": self.type,
            "columns": [c.to_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class DateRange:
    """Days loaded in an events table: project-local ``event_date`` and ``export_date``."""

    table: str
    first_day: str | None
    last_day: str | None
    days: int
    first_export_date: str | None
    last_export_date: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "days": self.days,
            "first_export_date": self.first_export_date,
            "last_export_date": self.last_export_date,
        }


@dataclass(frozen=True)
class PipelineStatus:
    """A named pipeline's last load, read from dlt's load records and state in the database."""

    name: str
    dataset: str
    resources: tuple[str, ...]
    destination: str
    schedule: str | None
    last_loaded_at: str | None
    loads: int
    cursors: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    """The events load's state: export days loaded, a backfill in progress, the zone of
    ``event_date`` and how export ``time`` was read (with its evidence)."""
    dlt_pipeline: str = ""
    """The dlt pipeline behind it (``mp_mixpanel``), for ``dlt pipeline NAME info``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.name,
            "dlt_pipeline": self.dlt_pipeline,
            "dataset": self.dataset,
            "resources": list(self.resources),
            "destination": self.destination,
            "schedule": self.schedule,
            "last_loaded_at": self.last_loaded_at,
            "loads": self.loads,
            "cursors": dict(self.cursors),
            "events": dict(self.events),
        }


@dataclass(frozen=True)
class DatabaseInfo:
    """``mp info`` / ``Workspace.info()``: where the data is and what it holds."""

    database: str
    data_dir: str
    exists: bool
    size_bytes: int
    tables: tuple[TableInfo, ...] = ()
    date_ranges: tuple[DateRange, ...] = ()
    pipelines: tuple[PipelineStatus, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "data_dir": self.data_dir,
            "exists": self.exists,
            "size_bytes": self.size_bytes,
            "tables": [t.to_dict() for t in self.tables],
            "date_ranges": [d.to_dict() for d in self.date_ranges],
            "pipelines": [p.to_dict() for p in self.pipelines],
        }
