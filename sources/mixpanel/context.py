"""``LoadRun``: one run of the events and profiles resources, loaded as a sequence of dlt loads.

A long range (or a big profile set) is committed in chunks: the runner calls ``pipeline.run``
again while ``more`` is True, handing the same ``LoadRun`` to each new source, so the plan made
in the first chunk, the window sizes measured so far and the windows done carry over. Each
chunk's resource state is committed with its rows, so a kill loses at most the chunk in flight.

Used as a plain dlt source (``pipeline.run(mixpanel_source())``), a default ``LoadRun`` without
chunk limits loads everything in that one ``run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mixpanel_data.sources.mixpanel.cursor import RunPlan
from mixpanel_data.sources.mixpanel.events_fetch import FetchObserver, FetchStats
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner


@dataclass
class LoadRun:
    """What one run asked for, and what its chunks share."""

    from_date: date | None = None
    to_date: date | None = None
    chunk_bytes: int | None = None
    """Export bytes per committed chunk (None: the whole range in one load)."""
    chunk_profiles: int | None = None
    """Profiles per committed chunk (None: every part in one load)."""
    stats: FetchStats = field(default_factory=FetchStats)
    observer: FetchObserver | None = None
    plan: RunPlan | None = None
    planner: WindowPlanner | None = None
    done: list[Window] = field(default_factory=list)
    events_more: bool = False
    profiles_more: bool = False
    chunks: int = 0

    @property
    def more(self) -> bool:
        """Whether another chunk is due (never after a budget stop)."""
        return self.stats.stopped is None and (self.events_more or self.profiles_more)
