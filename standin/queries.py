"""Query API handlers: validate parameters, call the pure answer functions, send the shape.

Dates are project-timezone days; ``to_date`` after today -> 400 (README §3, §7.3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from mixpanel_data.standin import answers, discovery, funnels
from mixpanel_data.standin.export import date_range
from mixpanel_data.standin.expr import ExprError
from mixpanel_data.standin.jql import JqlError, run_jql
from mixpanel_data.standin.routes import Router
from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError, Request

Answer = Callable[[ServerState, Request], Any]
KINDS = ("general", "unique", "average")
UNITS = ("minute", "hour", "day", "week", "month")
#: ``/segmentation``'s own enum has no week (``openapi/query.openapi.yaml``).
SEGMENTATION_UNITS = ("minute", "hour", "day", "month")


def _choice(req: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = req.params.get(name) or default
    if value not in allowed:
        raise HttpError(400, f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _required(req: Request, name: str) -> str:
    value = req.params.get(name)
    if not value:
        raise HttpError(400, f"{name} is a required parameter")
    return value


def _dates_or_interval(state: ServerState, req: Request, unit: str) -> tuple[date, date]:
    interval = req.get_int("interval")
    if interval is not None and "from_date" not in req.params:
        if interval < 1:
            raise HttpError(400, "interval must be >= 1")
        return discovery.interval_range(state.project.today, unit, interval)
    return date_range(req, state)


def _segmentation(state: ServerState, req: Request) -> Any:
    """``unit`` per the spec's enum (minute, hour, day, month: no week); ``interval`` (days per
    bucket) only when ``type`` is not general, with or without dates (without: the last
    ``interval`` days up to today) (``openapi/query.openapi.yaml`` ``/segmentation``)."""
    kind = _choice(req, "type", KINDS, "general")
    interval = req.get_int("interval")
    if interval is not None:
        if interval < 1:
            raise HttpError(400, "interval must be >= 1")
        if kind == "general":
            raise HttpError(400, "interval is in lieu of unit only when type is not general")
    if interval is not None and "from_date" not in req.params:
        today = state.project.today
        first, last = today - timedelta(days=interval - 1), today
    else:
        first, last = date_range(req, state)
    return answers.segmentation(
        state.project,
        _required(req, "event"),
        first,
        last,
        _choice(req, "unit", SEGMENTATION_UNITS, "day"),
        kind,
        req.params.get("on") or None,
        req.params.get("where") or None,
        _limit(req, 60),
        interval,
    )


def _numeric(state: ServerState, req: Request) -> Any:
    first, last = date_range(req, state)
    return answers.segmentation_numeric(
        state.project,
        _required(req, "event"),
        first,
        last,
        _required(req, "on"),
        _choice(req, "unit", ("hour", "day"), "day"),
        _choice(req, "type", KINDS, "general"),
        req.params.get("where") or None,
    )


def _sum_or_average(average: bool) -> Answer:
    def answer(state: ServerState, req: Request) -> Any:
        first, last = date_range(req, state)
        return answers.segmentation_sum(
            state.project,
            _required(req, "event"),
            first,
            last,
            _required(req, "on"),
            _choice(req, "unit", ("hour", "day"), "day"),
            req.params.get("where") or None,
            average=average,
        )

    return answer


def _funnels(state: ServerState, req: Request) -> Any:
    funnel_id = req.get_int("funnel_id")
    if funnel_id is None:
        raise HttpError(400, "funnel_id is a required parameter")
    first, last = date_range(req, state)
    try:
        state.project.funnel(funnel_id)
    except KeyError:
        raise HttpError(400, f"unknown funnel_id {funnel_id}") from None
    return funnels.funnel(
        state.project,
        funnel_id,
        first,
        last,
        req.get_int("length"),
        _choice(req, "length_unit", tuple(funnels.LENGTH_UNITS), "day"),
        _choice(req, "unit", ("day", "week", "month"), "day"),
        req.get_int("interval"),
        req.params.get("where") or None,
        req.params.get("on") or None,
        _limit(req, 255),
    )


def _limit(req: Request, default: int) -> int:
    """``limit`` (1..10000, the spec's maximum), else ``default``."""
    value = req.get_int("limit", default)
    if value is None or not 1 <= value <= 10_000:
        raise HttpError(400, f"limit must be between 1 and 10000; got {value}")
    return value


def _retention(state: ServerState, req: Request) -> Any:
    """Every documented parameter is honoured (``openapi/query.openapi.yaml`` ``/retention``):
    ``born_where``, ``where``, ``interval`` (at most 90 days when the unit is day) and
    ``unbounded_retention`` (a JSON boolean)."""
    first, last = date_range(req, state)
    unit = _choice(req, "unit", ("day", "week", "month"), "day")
    interval = req.get_int("interval", 1) or 0
    if interval < 1 or (unit == "day" and interval > 90):
        raise HttpError(400, "interval must be between 1 and 90 days")
    return funnels.retention(
        state.project,
        first,
        last,
        req.params.get("born_event") or None,
        req.params.get("event") or None,
        unit,
        req.get_int("interval_count", 1) or 1,
        _choice(req, "retention_type", ("birth", "compounded"), "birth"),
        req.params.get("born_where") or None,
        req.params.get("where") or None,
        interval,
        _choice(req, "unbounded_retention", ("true", "false"), "false") == "true",
    )


def _addiction(state: ServerState, req: Request) -> Any:
    first, last = date_range(req, state)
    return funnels.addiction(
        state.project,
        first,
        last,
        _choice(req, "unit", ("day", "week", "month"), "day"),
        _choice(req, "addiction_unit", ("hour", "day"), "hour"),
        req.params.get("event") or None,
        req.params.get("where") or None,
        req.params.get("on") or None,
        _limit(req, 255),
    )


def _insights(state: ServerState, req: Request) -> Any:
    bookmark_id = req.get_int("bookmark_id")
    try:
        return answers.insights(state.project, bookmark_id if bookmark_id is not None else -1)
    except KeyError:
        raise HttpError(400, f"unknown bookmark_id {bookmark_id}") from None


def _events(state: ServerState, req: Request) -> Any:
    names = req.get_json("event")
    if not isinstance(names, list) or not names:
        raise HttpError(400, "event must be a JSON array of event names")
    unit = _choice(req, "unit", UNITS, "day")
    first, last = _dates_or_interval(state, req, unit)
    return discovery.events(
        state.project,
        [str(n) for n in names],
        first,
        last,
        _choice(req, "type", KINDS, "general"),
        unit,
    )


def _event_properties(state: ServerState, req: Request) -> Any:
    unit = _choice(req, "unit", UNITS, "day")
    first, last = _dates_or_interval(state, req, unit)
    values = req.get_json("values")
    return discovery.event_properties(
        state.project,
        _required(req, "event"),
        _required(req, "name"),
        first,
        last,
        _choice(req, "type", KINDS, "general"),
        unit,
        [str(v) for v in values] if isinstance(values, list) else None,
        req.get_int("limit", 255) or 255,
    )


def _stream(state: ServerState, req: Request) -> Any:
    ids = req.get_json("distinct_ids")
    if not isinstance(ids, list):
        raise HttpError(400, "distinct_ids must be a JSON array")
    first, last = date_range(req, state)
    return discovery.stream(state.project, [str(i) for i in ids], first, last)


def _jql(state: ServerState, req: Request) -> Any:
    params = req.get_json("params", {})
    try:
        return run_jql(
            state.project, _required(req, "script"), params if isinstance(params, dict) else {}
        )
    except JqlError as exc:
        raise HttpError(400, str(exc)) from None


ENDPOINTS: dict[str, Answer] = {
    "segmentation": _segmentation,
    "segmentation/numeric": _numeric,
    "segmentation/sum": _sum_or_average(False),
    "segmentation/average": _sum_or_average(True),
    "funnels": _funnels,
    "funnels/list": lambda s, r: discovery.funnels_list(),
    "retention": _retention,
    "retention/addiction": _addiction,
    "insights": _insights,
    "events": _events,
    "events/top": lambda s, r: discovery.events_top(
        s.project, _choice(r, "type", KINDS, "general"), r.get_int("limit", 100) or 100
    ),
    "events/names": lambda s, r: discovery.event_names(s.project, r.get_int("limit", 255) or 255),
    "events/properties": _event_properties,
    "events/properties/top": lambda s, r: discovery.event_properties_top(
        s.project, _required(r, "event"), r.get_int("limit", 10) or 10
    ),
    "events/properties/values": lambda s, r: discovery.event_property_values(
        s.project, _required(r, "event"), _required(r, "name"), r.get_int("limit", 255) or 255
    ),
    "cohorts/list": lambda s, r: discovery.cohorts_list(s.project),
    "stream/query": _stream,
    "jql": _jql,
}


def _handler(answer: Answer) -> Callable[[ServerState, Exchange], None]:
    def handle(state: ServerState, ex: Exchange) -> None:
        try:
            body = answer(state, ex.request)
        except ExprError as exc:
            raise HttpError(400, f"invalid expression: {exc}") from None
        ex.send_json(200, body)

    return handle


def register_queries(router: Router) -> None:
    """Add every Query endpoint (both prefixes) to the router."""
    for endpoint, answer in ENDPOINTS.items():
        router.add_query(endpoint, _handler(answer))
