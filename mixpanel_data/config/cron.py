"""Cron times in an IANA zone, stepped in wall-clock time so DST changes behave like cron.

A cron line means wall-clock times in its zone. Stepping is done on naive local times (croniter),
each then placed in the zone: a time in a spring-forward gap (02:30 on the night clocks jump
from 02:00 to 03:00) runs when the gap ends, shifted by the gap (03:30), as Vixie cron does; a
time the fall-back repeats (01:30) runs once, at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time placed in ``zone`` (gap: shifted forward; fold: first), in UTC."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_fire(cron: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after`` (aware), as aware UTC."""
    from croniter import croniter

    zone = ZoneInfo(timezone)
    # Start an hour early in wall-clock terms: a repeated hour maps back onto itself.
    start = after.astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    it = croniter(cron, start)
    while True:
        fire = _aware(it.get_next(datetime), zone)
        if fire > after:
            return fire


def previous_fire(cron: str, timezone: str, at: datetime) -> datetime:
    """The last fire time at or before ``at`` (aware), as aware UTC."""
    from croniter import croniter

    zone = ZoneInfo(timezone)
    start = at.astimezone(zone).replace(tzinfo=None) + timedelta(hours=1, seconds=1)
    it = croniter(cron, start)
    while True:
        fire = _aware(it.get_prev(datetime), zone)
        if fire <= at:
            return fire
