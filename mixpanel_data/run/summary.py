"""What a run was asked and what it did, shared by the events runner and the report runner.

``RunSummary`` is what ``mp run`` prints; ``RunRequest`` is a run's checked request;
``dlt_step`` runs one dlt step and raises the one-line library error dlt wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from mixpanel_data.exceptions import library_error

if TYPE_CHECKING:
    from mixpanel_data.sources.mixpanel.events_fetch import FetchObserver

_T = TypeVar("_T")


@dataclass(frozen=True)
class RunSummary:
    """What one run did, as the CLI prints it."""

    pipeline: str
    resources: tuple[str, ...]
    rows_fetched: int
    rows_new: int
    duplicates_dropped: int
    days_covered: int
    date_range: tuple[str, str] | None
    duration_seconds: float
    table_rows: dict[str, int] = field(default_factory=dict)
    events_fetched: int = 0
    profiles_fetched: int = 0
    chunks: int = 0
    timezone: str | None = None
    timezone_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "resources": list(self.resources),
            "rows_fetched": self.rows_fetched,
            "events_fetched": self.events_fetched,
            "profiles_fetched": self.profiles_fetched,
            "rows_new": self.rows_new,
            "duplicates_dropped": self.duplicates_dropped,
            "days_covered": self.days_covered,
            "date_range": list(self.date_range) if self.date_range else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "table_rows": self.table_rows,
            "chunks": self.chunks,
            "timezone": self.timezone,
            "timezone_source": self.timezone_source,
        }


@dataclass(frozen=True)
class RunRequest:
    """What ``run_pipeline`` was asked, once checked."""

    first: date | None
    last: date | None
    full_refresh: bool
    observer: FetchObserver | None
    started: float


def dlt_step(call: Callable[..., _T], *args: object, **kwargs: object) -> _T:
    """A dlt step; the one-line library error dlt wrapped is raised instead of dlt's wrapper.

    The arguments are not checked against the step's signature: dlt's defaults are ``None``
    where its hints do not say ``Optional``."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        return call(*args, **kwargs)
    except PipelineStepFailed as exc:
        inner = library_error(exc)
        if inner is exc:
            raise
        raise inner from exc
