"""Which project-local days ``mp verify`` can compare, and in which zone: pure functions.

Mixpanel's Query API counts per day in the project's time zone; the local ``event_date`` is a
day in the zone the events resource recorded (``zone`` in its state). Export days, which
``loaded`` lists, are UTC days for projects created from 2023 on and project-local days before.
A local day west of UTC spans two UTC days (Los Angeles: 08:00 UTC to 08:00 UTC the next day),
one east of it too (Tokyo: 15:00 UTC the day before to 15:00 UTC): its count is only whole when
every export day it overlaps was loaded. Days that are partly loaded, not loaded, or not over
yet are skipped with a reason rather than reported as differences that are not there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mixpanel_data.exceptions import ConfigError
from mixpanel_data.sources.mixpanel.windows import Window

__all__ = ["DayPlan", "ExportLayout", "Skipped", "check_zone", "plan_days"]

UNKNOWN_ZONE = "UTC"
"""What the events resource records as ``zone`` when the project's zone was unknown."""
RELOAD = "then run `mp run {name}` (it re-derives event_date) and verify again"


@dataclass(frozen=True)
class Skipped:
    """Local days ``first..last`` left out of the comparison, and why."""

    first: date
    last: date
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "reason": self.reason}

    def __str__(self) -> str:
        days = self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"
        return f"{days} ({self.reason})"


@dataclass(frozen=True)
class ExportLayout:
    """How local days map onto export days: the zone of ``event_date`` and the export clock."""

    zone: str
    legacy: bool

    @property
    def export_clock(self) -> str:
        return "project-local" if self.legacy else "UTC"

    def export_days(self, day: date) -> list[date]:
        """The export days holding the events of local day ``day``."""
        if self.legacy:
            return [day]
        tz = ZoneInfo(self.zone)
        start = datetime.combine(day, time(), tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
        last = (end - timedelta(microseconds=1)).date()
        return [start.date() + timedelta(days=i) for i in range((last - start.date()).days + 1)]

    def local_days(self, export_day: date) -> tuple[date, date]:
        """The first and last local day that export day ``export_day`` overlaps."""
        if self.legacy:
            return export_day, export_day
        tz = ZoneInfo(self.zone)
        start = datetime.combine(export_day, time(), UTC)
        end = start + timedelta(days=1) - timedelta(microseconds=1)
        return start.astimezone(tz).date(), end.astimezone(tz).date()


@dataclass(frozen=True)
class DayPlan:
    """The local days to compare and the ones skipped (consecutive days with one reason joined)."""

    days: tuple[date, ...]
    skipped: tuple[Skipped, ...]


def plan_days(
    layout: ExportLayout,
    loaded: list[Window],
    first: date | None,
    last: date | None,
    today: date,
) -> DayPlan:
    """Local days from ``first`` to ``last`` (default: every day the loads touch) to compare.

    A day is compared only when it is over (before ``today`` in the zone) and every export day
    it overlaps is in ``loaded``.
    """
    if not loaded and (first is None or last is None):
        return DayPlan((), ())
    first = first or layout.local_days(loaded[0].start)[0]
    last = last or layout.local_days(loaded[-1].end)[1]
    have = _covered(loaded)
    days: list[date] = []
    reasons: list[tuple[date, str]] = []
    for day in _each_day(first, last):
        reason = _skip_reason(layout, day, have, today)
        if reason is None:
            days.append(day)
        else:
            reasons.append((day, reason))
    return DayPlan(tuple(days), tuple(_joined(reasons)))


def _skip_reason(layout: ExportLayout, day: date, have: set[date], today: date) -> str | None:
    if day >= today:
        return "not over yet" if day == today else "in the future"
    needed = layout.export_days(day)
    missing = [d for d in needed if d not in have]
    if not missing:
        return None
    if len(missing) == len(needed):
        return "not loaded"
    days = ", ".join(d.isoformat() for d in missing)
    return f"partly loaded: {layout.export_clock} export day {days} not loaded"


def _covered(loaded: list[Window]) -> set[date]:
    return {day for window in loaded for day in _each_day(window.start, window.end)}


def _each_day(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=i) for i in range((last - first).days + 1))


def _joined(reasons: list[tuple[date, str]]) -> list[Skipped]:
    out: list[Skipped] = []
    for day, reason in reasons:
        if out and out[-1].reason == reason and out[-1].last + timedelta(days=1) == day:
            out[-1] = Skipped(out[-1].first, day, reason)
        else:
            out.append(Skipped(day, day, reason))
    return out


def check_zone(
    stored: str | None,
    mixpanel: str | None,
    configured: str | None,
    days: tuple[date, ...],
    pipeline: str = "events",
) -> str:
    """The zone to compare in: the stored ``event_date`` zone, when it is the project's.

    Mixpanel's own answer (``/api/app/me``) decides what the project's zone is, then the
    ``project_timezone`` setting; refuses (``ConfigError``, exit 3) when the stored days are in
    another zone on any compared day, or are UTC days of a project whose zone nobody knows.
    """
    reload = RELOAD.format(name=pipeline)
    if not stored:
        raise ConfigError(
            "The zone of the stored event_date is not recorded (loaded by an earlier version): "
            f"{reload}."
        )
    truth, source = (mixpanel, "Mixpanel") if mixpanel else (configured, "project_timezone")
    if truth is None:
        if stored == UNKNOWN_ZONE:
            raise ConfigError(
                "The project's time zone is unknown (Mixpanel's /me did not say and "
                "project_timezone is not set), so event_date holds UTC days while Mixpanel "
                f"counts project-local days: set project_timezone, {reload}."
            )
        return stored
    if same_zone(stored, truth, days):
        return stored
    if configured and mixpanel and not same_zone(configured, mixpanel, days):
        raise ConfigError(
            f"event_date holds {stored} days and project_timezone says {configured}, but "
            f"Mixpanel reports {mixpanel}, the zone its counts use: set project_timezone to "
            f"{mixpanel} (or remove it), {reload}."
        )
    raise ConfigError(
        f"event_date holds {stored} days but the project's time zone is {truth} ({source}), "
        f"the days Mixpanel counts: {reload.removeprefix('then ')}."
    )


def same_zone(first: str, second: str, days: tuple[date, ...]) -> bool:
    """Whether two zone names start every one of ``days`` at the same instant."""
    if first == second:
        return True
    try:
        a, b = ZoneInfo(first), ZoneInfo(second)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return all(
        datetime.combine(d, time(), a).astimezone(UTC)
        == datetime.combine(d, time(), b).astimezone(UTC)
        for d in {*days, *(d + timedelta(days=1) for d in days)}
    )
