"""Pure answers for funnels, retention and addiction (README §6.4, §6.5).

Conversions are searched past ``to_date`` (up to the window and today), so recent buckets
change as late data lands, as on Mixpanel.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.querydata import Row, bucket_start, grouped, next_bucket, rows

LENGTH_UNITS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}


def _bucket_of(day: date, first: date, unit: str, interval: int | None) -> date:
    if interval:
        return first + timedelta(days=(day - first).days // interval * interval)
    return bucket_start(day, unit)


def _by_user(items: list[Row]) -> dict[str, list[Row]]:
    return grouped((r for r in items if r.distinct_id is not None), lambda r: r.distinct_id)


def funnel(
    project: Project,
    funnel_id: int,
    first: date,
    last: date,
    length: int | None = None,
    length_unit: str = "day",
    unit: str = "day",
    interval: int | None = None,
    where: str | None = None,
) -> dict[str, Any]:
    """``/funnels``: ``{"meta":{"dates"},"data":{date:{"steps","analysis"}}}`` (unique users)."""
    definition = project.funnel(funnel_id)
    window = (length if length is not None else definition.length_days) * LENGTH_UNITS[length_unit]
    horizon = min(last + timedelta(seconds=window) + timedelta(days=1), project.today)
    pred = compile_expr(where) if where else None
    items = [r for r in rows(project, first, max(horizon, last)) if pred is None or pred(r.get)]
    steps = definition.steps
    results: dict[str, list[list[int]]] = {}  # bucket -> per step: list of durations
    for user_rows in _by_user(items).values():
        seen_buckets: set[date] = set()
        for row in user_rows:
            if row.name != steps[0] or not first <= row.local.date() <= last:
                continue
            bucket = _bucket_of(row.local.date(), first, unit, interval)
            if bucket in seen_buckets:
                continue
            seen_buckets.add(bucket)
            times = _walk(user_rows, row, steps, window)
            slot = results.setdefault(bucket.isoformat(), [[] for _ in steps])
            for i, t in enumerate(times):
                slot[i].append(t)
    dates = _dates(first, last, unit, interval)
    data = {d: _steps_block(steps, results.get(d, [[] for _ in steps])) for d in dates}
    return {"meta": {"dates": dates}, "data": data}


def _walk(user_rows: list[Row], start: Row, steps: tuple[str, ...], window: int) -> list[int]:
    """Times (utc seconds) each step was reached in order within the window."""
    reached = [start.utc]
    deadline = start.utc + window
    step = 1
    for row in user_rows:
        if step == len(steps) or row.utc > deadline:
            break
        if row.utc >= reached[-1] and row is not start and row.name == steps[step]:
            reached.append(row.utc)
            step += 1
    return reached


def _dates(first: date, last: date, unit: str, interval: int | None) -> list[str]:
    out: list[str] = []
    day = _bucket_of(first, first, unit, interval)
    while day <= last:
        out.append(day.isoformat())
        day = day + timedelta(days=interval) if interval else next_bucket(day, unit)
    return out


def _steps_block(steps: tuple[str, ...], reached: list[list[int]]) -> dict[str, Any]:
    """One date's ``steps`` list and ``analysis``, ratios rounded to 4 places."""
    counts = [len(times) for times in reached]
    out: list[dict[str, Any]] = []
    for i, name in enumerate(steps):
        prev = counts[i - 1] if i else counts[0]
        gaps = [reached[i][k] - reached[i - 1][k] for k in range(counts[i])] if i else []
        from_start = [reached[i][k] - reached[0][k] for k in range(counts[i])] if i else []
        out.append(
            {
                "count": counts[i],
                "avg_time": round(sum(gaps) / len(gaps)) if gaps else None,
                "avg_time_from_start": round(sum(from_start) / len(from_start))
                if from_start
                else None,
                "step_conv_ratio": 1 if i == 0 else (round(counts[i] / prev, 4) if prev else 0),
                "overall_conv_ratio": 1
                if i == 0
                else (round(counts[i] / counts[0], 4) if counts[0] else 0),
                "goal": name,
                "event": name,
            }
        )
    ratios = [s["step_conv_ratio"] for s in out[1:]]
    worst = 1 + ratios.index(min(ratios)) if ratios else 0
    return {
        "steps": out,
        "analysis": {
            "completion": counts[-1],
            "starting_amount": counts[0],
            "steps": len(steps),
            "worst": worst,
        },
    }


def retention(
    project: Project,
    first: date,
    last: date,
    born_event: str | None = None,
    event: str | None = None,
    unit: str = "day",
    interval_count: int = 1,
    retention_type: str = "birth",
) -> dict[str, Any]:
    """``/retention``: ``{date: {"counts":[...], "first": n}}``, no wrapper.

    ``counts[i]``: cohort users doing ``event`` (any event when None) in the i-th bucket after
    the birth bucket, at or after their birth; only buckets that started by today are listed.
    ``birth`` uses each user's first ``born_event`` in range; ``compounded`` any occurrence.
    """
    end = last
    for _ in range(interval_count):
        end = next_bucket(end, unit)
    items = rows(project, first, min(end, project.today))
    births: dict[date, dict[str, datetime]] = {}
    for uid, user_rows in _by_user(items).items():
        seen: set[date] = set()
        for row in user_rows:
            day = row.local.date()
            if (born_event and row.name != born_event) or not first <= day <= last:
                continue
            bucket = bucket_start(day, unit)
            if bucket in seen or (retention_type == "birth" and seen):
                continue
            seen.add(bucket)
            births.setdefault(bucket, {})[uid] = row.local
    returns = _by_user([r for r in items if event is None or r.name == event])
    out: dict[str, Any] = {}
    bucket = bucket_start(first, unit)
    while bucket <= last:
        cohort = births.get(bucket, {})
        out[bucket.isoformat()] = {
            "counts": _counts(project, bucket, unit, interval_count, cohort, returns),
            "first": len(cohort),
        }
        bucket = next_bucket(bucket, unit)
    return out


def _counts(
    project: Project,
    bucket: date,
    unit: str,
    intervals: int,
    cohort: dict[str, datetime],
    returns: dict[str, list[Row]],
) -> list[int]:
    counts, start = [], bucket
    for _ in range(intervals + 1):
        if start > project.today:
            break
        stop = next_bucket(start, unit)
        counts.append(
            sum(
                1
                for uid, born in cohort.items()
                if any(
                    start <= r.local.date() < stop and r.local >= born for r in returns.get(uid, [])
                )
            )
        )
        start = stop
    return counts


def addiction(
    project: Project,
    first: date,
    last: date,
    unit: str = "day",
    addiction_unit: str = "hour",
    event: str | None = None,
    where: str | None = None,
) -> dict[str, Any]:
    """``/retention/addiction``: ``{"data": {date: [n_users doing it in >= k+1 units]}}``."""
    pred = compile_expr(where) if where else None
    items = [
        r
        for r in rows(project, first, last)
        if (event is None or r.name == event) and (pred is None or pred(r.get))
    ]
    data: dict[str, list[int]] = {}
    bucket = bucket_start(first, unit)
    while bucket <= last:
        stop = next_bucket(bucket, unit)
        slots = 24 * (stop - bucket).days if addiction_unit == "hour" else (stop - bucket).days
        per_user = _by_user([r for r in items if bucket <= r.local.date() < stop])
        spread = [
            len(
                {
                    (r.local.date(), r.local.hour if addiction_unit == "hour" else 0)
                    for r in user_rows
                }
            )
            for user_rows in per_user.values()
        ]
        data[bucket.isoformat()] = [sum(1 for s in spread if s >= k + 1) for k in range(slots)]
        bucket = stop
    return {"data": data}
