"""Pure answers for funnels, retention and addiction (README §6.4, §6.5).

Conversions are searched past ``to_date`` (up to the window and today), so recent buckets
change as late data lands, as on Mixpanel.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from mixpanel_data.standin.expr import MISSING
from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.querydata import (
    Row,
    bucket_start,
    grouped,
    next_bucket,
    rows,
    segment_label,
)

LENGTH_UNITS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}
OVERALL = "$overall"


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
    on: str | None = None,
    limit: int = 255,
) -> dict[str, Any]:
    """``/funnels``: ``{"meta":{"dates"},"data":{date:{"steps","analysis"}}}`` (unique users).

    With ``on``, each date holds ``$overall`` and the top ``limit`` values of ``on`` (taken on
    the first step's event, ranked by users entering), each a list of steps (Mixpanel's Data
    Export docs of ``/funnels``); a funnel saved with a breakdown nests one level more.
    """
    definition = project.funnel(funnel_id)
    window = (length if length is not None else definition.length_days) * LENGTH_UNITS[length_unit]
    horizon = min(last + timedelta(seconds=window) + timedelta(days=1), project.today)
    pred = compile_expr(where) if where else None
    items = [r for r in rows(project, first, max(horizon, last)) if pred is None or pred(r.get)]
    steps = definition.steps
    on_fn = compile_expr(on) if on else None
    # (bucket, segment path) -> one journey (times each step was reached) per user entering
    journeys: dict[tuple[str, tuple[str, ...]], list[list[int]]] = {}
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
            for path in _paths(row, on_fn, definition.breakdown):
                journeys.setdefault((bucket.isoformat(), path), []).append(times)
    dates = _dates(first, last, unit, interval)
    if on_fn is None:
        data = {d: _steps_block(steps, journeys.get((d, ()), [])) for d in dates}
        return {"meta": {"dates": dates}, "data": data}
    return {"meta": {"dates": dates}, "data": _segmented(steps, dates, journeys, limit)}


def _paths(row: Row, on_fn: Any, inner: str | None) -> list[tuple[str, ...]]:
    """The segment paths a journey counts under: overall, its ``on`` value, then nested."""
    if on_fn is None:
        return [()]
    outer = segment_label(on_fn(row.get))
    paths: list[tuple[str, ...]] = [(), (outer,)]
    if inner:
        paths.append((outer, segment_label(row.props.get(inner, MISSING))))
    return paths


def _segmented(
    steps: tuple[str, ...],
    dates: list[str],
    journeys: dict[tuple[str, tuple[str, ...]], list[list[int]]],
    limit: int,
) -> dict[str, Any]:
    """Per date: ``$overall`` and the top ``limit`` values (nested ones under theirs)."""
    entered: Counter[str] = Counter()
    inner: dict[str, list[str]] = {}
    for (_, path), users in journeys.items():
        if len(path) == 1:
            entered[path[0]] += len(users)
        elif len(path) == 2 and path[1] not in inner.setdefault(path[0], []):
            inner[path[0]].append(path[1])
    top = [seg for seg, _ in sorted(entered.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
    data: dict[str, Any] = {}
    for d in dates:
        entry: dict[str, Any] = {OVERALL: _steps_block(steps, journeys.get((d, ()), []))["steps"]}
        for seg in top:
            own = _steps_block(steps, journeys.get((d, (seg,)), []))["steps"]
            if seg not in inner:
                entry[seg] = own
                continue
            entry[seg] = {OVERALL: own} | {
                sub: _steps_block(steps, journeys.get((d, (seg, sub)), []))["steps"]
                for sub in sorted(inner[seg])
            }
        data[d] = entry
    return data


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


def _steps_block(steps: tuple[str, ...], journeys: list[list[int]]) -> dict[str, Any]:
    """One date's ``steps`` list and ``analysis``, ratios rounded to 4 places.

    ``avg_time`` of step i is the mean, over the users who reached it, of *their own* time
    from step i-1 (each journey is one user's; pairing times of different users across steps
    once gave negative averages).
    """
    counts = [sum(1 for j in journeys if len(j) > i) for i in range(len(steps))]
    out: list[dict[str, Any]] = []
    for i, name in enumerate(steps):
        prev = counts[i - 1] if i else counts[0]
        done = [j for j in journeys if len(j) > i]
        gaps = [j[i] - j[i - 1] for j in done] if i else []
        from_start = [j[i] - j[0] for j in done] if i else []
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
    born_where: str | None = None,
    where: str | None = None,
    interval: int = 1,
    unbounded: bool = False,
) -> dict[str, Any]:
    """``/retention``: ``{date: {"counts":[...], "first": n}}``, no wrapper.

    Cohorts are ``unit`` buckets of birth. ``counts[i]``: cohort users doing ``event`` (any
    event when None) in the i-th period of ``interval`` units after their birth bucket's start,
    at or after their birth; only periods that started by today are listed. ``birth`` uses
    each user's first ``born_event`` in range (that matches ``born_where``); ``compounded`` any
    occurrence. ``where`` filters the returning events (the spec's text for ``where`` repeats
    ``born_where``'s "filter born_events by"; Mixpanel's Data Export docs said return events
    [INF]). ``unbounded``: ``counts[i]`` also counts users who came back only later (the
    spec's "retention values accumulate from right to left").
    """
    end = last
    for _ in range(interval_count * interval):
        end = next_bucket(end, unit)
    items = rows(project, first, min(end, project.today))
    born_ok = compile_expr(born_where) if born_where else None
    back_ok = compile_expr(where) if where else None
    births: dict[date, dict[str, datetime]] = {}
    for uid, user_rows in _by_user(items).items():
        seen: set[date] = set()
        for row in user_rows:
            day = row.local.date()
            if (born_event and row.name != born_event) or not first <= day <= last:
                continue
            if born_ok is not None and not born_ok(row.get):
                continue
            bucket = bucket_start(day, unit)
            if bucket in seen or (retention_type == "birth" and seen):
                continue
            seen.add(bucket)
            births.setdefault(bucket, {})[uid] = row.local
    returns = _by_user(
        [
            r
            for r in items
            if (event is None or r.name == event) and (back_ok is None or back_ok(r.get))
        ]
    )
    out: dict[str, Any] = {}
    bucket = bucket_start(first, unit)
    while bucket <= last:
        cohort = births.get(bucket, {})
        periods = _periods(project, bucket, unit, interval, interval_count)
        out[bucket.isoformat()] = {
            "counts": _counts(periods, cohort, returns, unbounded),
            "first": len(cohort),
        }
        bucket = next_bucket(bucket, unit)
    return out


def _periods(
    project: Project, bucket: date, unit: str, interval: int, count: int
) -> list[tuple[date, date]]:
    """The 0th..``count``-th periods of ``interval`` units from ``bucket`` begun by today."""
    out, start = [], bucket
    for _ in range(count + 1):
        if start > project.today:
            break
        stop = start
        for _ in range(interval):
            stop = next_bucket(stop, unit)
        out.append((start, stop))
        start = stop
    return out


def _counts(
    periods: list[tuple[date, date]],
    cohort: dict[str, datetime],
    returns: dict[str, list[Row]],
    unbounded: bool,
) -> list[int]:
    """Per period, cohort users who came back in it (``unbounded``: in it or any later one)."""
    came_back: list[set[int]] = []
    for uid, born in cohort.items():
        came_back.append(
            {
                i
                for r in returns.get(uid, [])
                if r.local >= born
                for i, (start, stop) in enumerate(periods)
                if start <= r.local.date() < stop
            }
        )
    if unbounded:
        return [sum(1 for hit in came_back if hit and max(hit) >= i) for i in range(len(periods))]
    return [sum(1 for hit in came_back if i in hit) for i in range(len(periods))]


def addiction(
    project: Project,
    first: date,
    last: date,
    unit: str = "day",
    addiction_unit: str = "hour",
    event: str | None = None,
    where: str | None = None,
    on: str | None = None,
    limit: int = 255,
) -> dict[str, Any]:
    """``/retention/addiction``: ``{"data": {date: [n_users doing it in >= k+1 units]}}``.

    With ``on`` each date holds ``{value: [...]}`` for the top ``limit`` values of ``on``
    (ranked by events), each counting only the events with that value [INF: the spec documents
    ``on``/``limit`` for this endpoint but shows no segmented body].
    """
    pred = compile_expr(where) if where else None
    items = [
        r
        for r in rows(project, first, last)
        if (event is None or r.name == event) and (pred is None or pred(r.get))
    ]
    if on:
        on_fn = compile_expr(on)
        by_value = grouped(items, lambda r: segment_label(on_fn(r.get)))
        top = sorted(by_value, key=lambda v: (-len(by_value[v]), v))[:limit]
        parts = {v: _frequency(by_value[v], first, last, unit, addiction_unit) for v in top}
        dates = next(iter(parts.values()), _frequency([], first, last, unit, addiction_unit))
        return {"data": {d: {v: parts[v][d] for v in top} for d in dates}}
    return {"data": _frequency(items, first, last, unit, addiction_unit)}


def _frequency(
    items: list[Row], first: date, last: date, unit: str, addiction_unit: str
) -> dict[str, list[int]]:
    """Per ``unit`` bucket: users active in at least 1, 2, ... ``addiction_unit`` slots."""
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
    return data
