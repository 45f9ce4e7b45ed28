"""The knobs of one generated stand-in project: frozen, so a seed always means one dataset."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from mixpanel_data.standin.clock import as_utc

LAG_PROFILES = ("realtime", "mixed", "batch")


@dataclass(frozen=True)
class ProjectSpec:
    """Everything that decides the generated data and the credentials the server accepts.

    ``legacy_timezone`` mimics a project created before 2023-01-01: export ``time`` is the
    "project-local epoch" (true UTC epoch + the zone's UTC offset at that instant) and export
    days are project-local days. Otherwise ``time`` is true UTC and export days are UTC days.

    ``now``: the frozen wall time when the ``StandIn`` gets no clock (None: the real time at
    creation). ``lag``: the processing-lag profile (see ``lag.py``); ``very_late_rate``: the
    share of rows processed 6-30 days late. ``active_day_rate``: the share of days that have
    events at all (decided per (seed, day)). ``duplicate_rate``: rows with ``$insert_id`` sent
    again later (a retry or a re-import that may change other properties: the copy carries
    ``"$import": true``); ``resend_rate``: rows WITHOUT ``$insert_id`` sent twice, identical
    but for their processing time, which Mixpanel never deduplicates.
    """

    seed: int = 1
    start: date = date(2024, 3, 1)
    days: int = 14
    events_per_day: int = 500
    profiles: int = 200
    timezone: str = "America/Los_Angeles"
    legacy_timezone: bool = False
    duplicate_rate: float = 0.02
    missing_insert_id_rate: float = 0.01
    missing_distinct_id_rate: float = 0.01
    resend_rate: float = 0.3
    fat_properties: bool = False
    project_id: int = 2526451
    sa_username: str = "standin-sa.3f2a1c.mp-service-account"
    sa_secret: str = field(default="standin-sa-secret-0123456789abcdef", repr=False)
    api_secret: str = field(default="standinlegacyapisecret0123456789", repr=False)
    created: date | None = None
    now: datetime | None = None
    lag: str = "mixed"
    very_late_rate: float = 0.0
    active_day_rate: float = 1.0

    def __post_init__(self) -> None:
        if self.days < 0 or self.events_per_day < 0 or self.profiles < 0:
            raise ValueError("days, events_per_day and profiles must be >= 0")
        rates = (self.duplicate_rate, self.missing_insert_id_rate, self.resend_rate)
        if not all(0 <= rate < 1 for rate in rates):
            raise ValueError("rates must be in [0, 1)")
        if self.lag not in LAG_PROFILES:
            raise ValueError(f"lag must be one of {', '.join(LAG_PROFILES)}; got {self.lag!r}")
        if not 0 <= self.very_late_rate <= 1 or not 0 <= self.active_day_rate <= 1:
            raise ValueError("very_late_rate and active_day_rate must be in [0, 1]")
        if self.now is not None:
            object.__setattr__(self, "now", as_utc(self.now))

    @property
    def created_date(self) -> date:
        """When the project was created: before 2023 for legacy-timezone projects."""
        if self.created is not None:
            return self.created
        return date(2019, 6, 1) if self.legacy_timezone else date(2023, 6, 1)

    @property
    def end(self) -> date:
        """The last generated day (inclusive); equals ``start - 1 day`` when ``days == 0``."""
        return date.fromordinal(self.start.toordinal() + self.days - 1)

    def with_(self, **changes: Any) -> ProjectSpec:
        """A copy with some fields changed (``dataclasses.replace`` under a readable name)."""
        return replace(self, **changes)
