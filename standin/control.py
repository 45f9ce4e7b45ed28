"""``/_standin/*``: drive a stand-in running in another process (faults, clock, late data).

No auth, never logged in the request log. Bodies are JSON; see README.md for each endpoint.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from mixpanel_data.standin.faults import Fault
from mixpanel_data.standin.limits import RateLimits
from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError


def _faults(state: ServerState, ex: Exchange) -> Any:
    if ex.request.method == "GET":
        return {"faults": [f.to_dict() for f in state.faults.pending()]}
    if ex.request.method == "DELETE":
        state.faults.clear()
        return {"faults": []}
    body = ex.request.json()
    items = body.get("faults", [body]) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise HttpError(400, 'send a fault object, a list, or {"faults": [...]}')
    try:
        queued = [state.faults.add(Fault.from_dict(item)) for item in items]
    except (TypeError, ValueError) as exc:
        raise HttpError(400, str(exc)) from None
    return {"queued": [f.to_dict() for f in queued]}


def _reset(state: ServerState, ex: Exchange) -> Any:
    state.reset()
    return {"reset": True}


def _requests(state: ServerState, ex: Exchange) -> Any:
    if ex.request.method == "DELETE":
        state.log.clear()
    return {"requests": [r.to_dict() for r in state.log.snapshot()]}


def _today(state: ServerState, ex: Exchange) -> Any:
    if ex.request.method != "GET":
        raw = (ex.request.json() or {}).get("today")
        try:
            state.project.today = date.fromisoformat(str(raw))
        except (TypeError, ValueError):
            raise HttpError(400, 'send {"today": "YYYY-MM-DD"}') from None
    return {"today": state.project.today.isoformat()}


def _now(state: ServerState, ex: Exchange) -> Any:
    if ex.request.method != "GET":
        body = ex.request.json() or {}
        try:
            if "advance_seconds" in body:
                state.project.advance(timedelta(seconds=float(body["advance_seconds"])))
            else:
                state.project.set_now(datetime.fromisoformat(str(body["now"])))
        except (KeyError, TypeError, ValueError):
            raise HttpError(400, 'send {"now": "<ISO 8601>"} or {"advance_seconds": n}') from None
    return {"now": state.project.now.isoformat(), "today": state.project.today.isoformat()}


def _spend(state: ServerState, ex: Exchange) -> Any:
    body = ex.request.json() or {}
    try:
        family, n = str(body.get("family", "query")), int(body["n"])
        state.limiter.spend(family, n)
    except (KeyError, TypeError, ValueError) as exc:
        raise HttpError(400, f'send {{"family": "query"|"export", "n": 55}} ({exc})') from None
    return {"family": family, "spent": n}


def _late(state: ServerState, ex: Exchange) -> Any:
    body = ex.request.json() or {}
    try:
        day, n = date.fromisoformat(body["day"]), int(body.get("n", 10))
    except (KeyError, TypeError, ValueError):
        raise HttpError(400, 'send {"day": "YYYY-MM-DD", "n": 10}') from None
    added = state.project.add_late_events(day, n)
    return {"day": day.isoformat(), "added": len(added), "count": state.project.count(day)}


def _limits(state: ServerState, ex: Exchange) -> Any:
    if ex.request.method != "GET":
        try:
            state.set_limits(RateLimits(**(ex.request.json() or {})))
        except TypeError as exc:
            raise HttpError(400, str(exc)) from None
    return {"limits": dataclasses.asdict(state.limits)}


def _touch(state: ServerState, ex: Exchange) -> Any:
    body = ex.request.json() or {}
    when = datetime.fromisoformat(body["when"]) if body.get("when") else None
    return {"distinct_ids": state.project.touch_profiles(int(body.get("count", 10)), when)}


def _info(state: ServerState, ex: Exchange) -> Any:
    spec = state.project.spec
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    fields = {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}
    return {
        "spec": fields,
        "now": state.project.now.isoformat(),
        "today": state.project.today.isoformat(),
        "days": [d.isoformat() for d in state.project.days],
    }


CONTROL = {
    "faults": _faults,
    "reset": _reset,
    "requests": _requests,
    "today": _today,
    "now": _now,
    "spend": _spend,
    "late": _late,
    "limits": _limits,
    "touch_profiles": _touch,
    "info": _info,
}


def handle_control(state: ServerState, ex: Exchange, name: str) -> None:
    """Dispatch one control request."""
    ex.send_json(200, CONTROL[name](state, ex))
