"""A 5-field cron line as systemd ``OnCalendar=`` expressions, with cron's meaning kept.

Each field is expanded by croniter (the parser behind ``mp schedule run`` and the validator), so
names (``mon-fri``, ``jan``), ranges, steps, lists, ``7`` for Sunday and ``L`` (last day of the
month) mean exactly what they mean to the scheduler; the values are then written in systemd's
syntax. When both day-of-month and day-of-week are restricted, cron runs on either (OR) while
one systemd expression requires both (AND), so that case becomes two expressions (a timer may
have several ``OnCalendar=`` lines and elapses on each). ``1#2`` (the second Monday) is a
weekday on days 8..14, ``L5`` (the last Friday) a Friday in the last seven. A day field
written as ``*/N`` next to a restricted other day field is refused: Vixie cron and cronie read
it as AND, croniter (``mp schedule run``) as OR.

systemd differs from cron in one respect no translation fixes: a wall-clock time skipped by a
spring-forward change (02:30 on that night) does not elapse at all, where cron and
``mp schedule run`` run it when the gap ends. The next run's lookback covers the day.
"""

from __future__ import annotations

from collections.abc import Sequence

from mixpanel_data.exceptions import InvalidArgumentError

_WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
_SYSTEMD_WEEK = [1, 2, 3, 4, 5, 6, 0]  # systemd's week starts on Monday: ranges run Mon..Sun


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Sorted values grouped into runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _numbers(values: Sequence[int | str], top: int, width: int = 2) -> str:
    """Integers as systemd writes them: ``*``, ``start/step``, or a list of values and ranges."""
    if values == ["*"]:
        return "*"
    numbers = sorted({int(v) for v in values})
    step = numbers[1] - numbers[0] if len(numbers) > 2 else 0
    if step > 1 and numbers == list(range(numbers[0], top + 1, step)):
        return f"{numbers[0]:0{width}d}/{step}"
    parts = []
    for low, high in _runs(numbers):
        parts.append(f"{low:0{width}d}" if low == high else f"{low:0{width}d}..{high:0{width}d}")
    return ",".join(parts)


def _weekdays(days: list[int]) -> str:
    """Weekday numbers (0 = Sunday) as systemd names, Monday first: ``Mon..Fri,Sun``."""
    order = [_SYSTEMD_WEEK.index(d) for d in set(days)]
    parts = []
    for low, high in _runs(order):
        first, last = _WEEKDAYS[_SYSTEMD_WEEK[low]], _WEEKDAYS[_SYSTEMD_WEEK[high]]
        parts.append(first if low == high else f"{first}..{last}")
    return ",".join(parts)


def _nth_days(n: int | str) -> str:
    """The days of the month holding the n-th (``'l'``: the last) of a weekday."""
    if str(n).lower() == "l":
        return "~07/1"  # one of the month's last seven days
    first = 7 * (int(n) - 1) + 1
    return f"-{first:02d}..{min(first + 6, 31):02d}"


def _expand(cron: str) -> tuple[list[list[int | str]], dict[int, set[int | str]]]:
    from croniter import croniter
    from croniter.croniter import CroniterError

    try:
        fields, nth = croniter.expand(cron)
    except (CroniterError, ValueError) as exc:
        raise InvalidArgumentError(f"Cron line {cron!r} cannot be read: {exc}.") from None
    return [list(f) for f in fields], {day: set(ns) for day, ns in nth.items()}


def on_calendar(cron: str, timezone: str) -> list[str]:
    """``cron`` (5 fields, wall-clock times in ``timezone``) as systemd calendar expressions.

    The timer elapses at the union of the returned expressions, which is cron's set of times.
    """
    (minute, hour, dom, month, dow), nth = _expand(cron)
    raw_dom, raw_dow = cron.split()[2], cron.split()[4]
    dom_set, dow_set = dom != ["*"] and raw_dom != "?", dow != ["*"] and raw_dow != "?"
    if dom_set and dow_set and (raw_dom.startswith("*") or raw_dow.startswith("*")):
        raise InvalidArgumentError(
            f"Cron line {cron!r}: cron implementations disagree on a '*/N' day field next to a "
            "restricted one (cronie: both must match; mp schedule run: either): list the days "
            "explicitly, e.g. '1,15' instead of '*/14'."
        )
    if nth and dom_set:
        raise InvalidArgumentError(
            f"Cron line {cron!r} combines a day of the month with '#' (the n-th weekday): "
            "systemd cannot express it; use one of the two."
        )
    time = f"{_numbers(hour, 23)}:{_numbers(minute, 59)}:00 {timezone}"
    months = _numbers(month, 12)
    if nth:  # the n-th weekday of the month falls on days 7n-6 .. 7n
        return [  # croniter refuses plain weekdays mixed with '#' or 'L'
            f"{_WEEKDAYS[day]} *-{months}{_nth_days(n)} {time}"
            for day, ns in sorted(nth.items())
            for n in sorted(ns, key=str)
        ]
    numeric_days = [int(d) for d in dom if d not in ("*", "l", "L")]
    last_day = any(str(d).lower() == "l" for d in dom)
    dates = []
    if numeric_days or not dom_set:
        dates.append(f"*-{months}-{_numbers(numeric_days, 31) if dom_set else '*'}")
    if last_day:
        dates.append(f"*-{months}~01")
    if not dow_set:
        return [f"{date} {time}" for date in dates]
    weekday = f"{_weekdays([int(d) for d in dow])} *-{months}-* {time}"
    if not dom_set:
        return [weekday]
    return [weekday] + [f"{date} {time}" for date in dates]  # cron: either day field matches
