"""systemd export: every ``OnCalendar=`` is checked by ``systemd-analyze calendar`` itself.

For each cron line of the table, systemd's own next elapse times (``--base-time``, real
subprocess) for the exported expressions must be the times ``mp schedule run`` computes for
the cron line, so a translation that drops cron's day-of-month OR day-of-week, crashes on a
name or misreads a step fails here.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from mixpanel_data.config.cron import next_fire
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.schedule.calendar import on_calendar

from .sysbin import tool

ITERATIONS = 8
BASE = datetime(2025, 1, 15, 0, 0, 30, tzinfo=UTC)
_ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")

TABLE = [
    ("0 2 1 * 1", "UTC", BASE),  # the case: the 1st OR a Monday
    ("0 2 * * mon-fri", "UTC", BASE),  # a name range the validator accepts
    ("30 2 * * 1-5", "Europe/Berlin", BASE),
    ("*/15 * * * *", "UTC", BASE),
    ("5 */6 * * *", "UTC", BASE),
    ("0 9-17/2 * * *", "UTC", BASE),
    ("7,37 8,20 * * *", "UTC", BASE),
    ("0 0 1,15 * *", "UTC", BASE),
    ("0 6 1,15 * sat,sun", "UTC", BASE),
    ("0 8 13 * 5", "UTC", BASE),  # Friday or the 13th
    ("0 0 * jan,jul *", "UTC", BASE),
    ("0 3 */3 feb-apr *", "UTC", BASE),
    ("0 12 * * SUN-TUE", "UTC", BASE),
    ("0 0 * * 7", "UTC", BASE),
    ("0 0 L * *", "UTC", BASE),
    ("0 0 1,L * *", "UTC", BASE),
    ("0 0 * * 1#2", "UTC", BASE),
    ("0 0 * * 5#5", "UTC", BASE),
    ("0 0 * * L5", "UTC", BASE),
    ("0 2 29 2 *", "UTC", BASE),
    ("0 6 * * 1-5", "America/New_York", datetime(2025, 3, 5, tzinfo=UTC)),  # across DST
    ("30 1 * * *", "America/New_York", datetime(2025, 11, 1, tzinfo=UTC)),  # repeated hour
]


def _systemd_times(expressions: list[str], base: datetime, n: int) -> list[datetime]:
    """The first ``n`` elapse times of a timer with these ``OnCalendar=`` lines, per systemd."""
    done = subprocess.run(
        [
            tool("systemd-analyze"),
            "calendar",
            f"--iterations={n}",
            f"--base-time={base:%Y-%m-%d %H:%M:%S} UTC",
            *expressions,
        ],
        capture_output=True,
        text=True,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin", "SYSTEMD_COLORS": "0"},
        check=False,
    )
    assert done.returncode == 0, (expressions, done.stderr)
    times = {datetime.fromisoformat(t).replace(tzinfo=UTC) for t in _ELAPSE.findall(done.stdout)}
    return sorted(times)[:n]


def _cron_times(cron: str, zone: str, base: datetime, n: int) -> list[datetime]:
    times, after = [], base
    for _ in range(n):
        after = next_fire(cron, zone, after)
        times.append(after)
    return times


@pytest.mark.parametrize(("cron", "zone", "base"), TABLE, ids=[f"{c} {z}" for c, z, _ in TABLE])
def test_systemd_elapses_when_cron_runs(cron: str, zone: str, base: datetime) -> None:
    expressions = on_calendar(cron, zone)
    assert _systemd_times(expressions, base, ITERATIONS) == _cron_times(cron, zone, base, 8)


def test_day_of_month_or_day_of_week_is_two_calendars() -> None:
    assert on_calendar("0 2 1 * 1", "UTC") == ["Mon *-*-* 02:00:00 UTC", "*-*-01 02:00:00 UTC"]


def test_a_time_in_the_spring_gap_is_skipped_by_systemd() -> None:
    """Documented difference: cron runs 02:30 at 03:30 on the spring-forward night, systemd
    not at all; every other day is the same."""
    base = datetime(2025, 3, 7, 12, tzinfo=UTC)
    cron_times = _cron_times("30 2 * * *", "America/New_York", base, 5)
    gap = datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # 03:30 EDT, the end of the gap
    assert gap in cron_times
    expressions = on_calendar("30 2 * * *", "America/New_York")
    assert _systemd_times(expressions, base, 4) == [t for t in cron_times if t != gap]


@pytest.mark.parametrize(
    ("cron", "says"),
    [
        ("0 0 */2 * 1", "cron implementations disagree"),
        ("0 0 1 * 1#2", "systemd cannot express it"),
    ],
    ids=["star-step-day-or", "day-and-nth"],
)
def test_ambiguous_lines_are_refused(cron: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        on_calendar(cron, "UTC")
