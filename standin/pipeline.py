"""What every API request goes through: auth, queued faults, the 402 switch, rate limits."""

from __future__ import annotations

import time

from mixpanel_data.standin.auth import authenticate
from mixpanel_data.standin.engage import drop_session
from mixpanel_data.standin.faults import Fault
from mixpanel_data.standin.limits import EXPORT_LIMIT_MESSAGE, QUERY_LIMIT_MESSAGE
from mixpanel_data.standin.routes import Route
from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError

PAYMENT_MESSAGE = (
    "Your plan does not include API access. Upgrade to a Growth or Enterprise "
    "plan to use the Query API."
)
PLAIN_TEXT_BODY = b"Bad Gateway: the upstream server returned an invalid response. Try again.\n"
DEFAULT_SLOW_SECONDS = 2.0
RESPONSE_FAULTS = ("429", "5xx", "402", "401", "auth_400", "plain_text_error", "expired_session")
PLAIN_TEXT_400 = b"Bad Request: could not process the query (upstream timeout)\n"


def run(state: ServerState, ex: Exchange, route: Route) -> None:
    """Authenticate, apply a queued fault, enforce limits, then call the handler."""
    req = ex.request
    path_project = route.args[0] if route.family == "app" and route.args else None
    ex.auth = authenticate(
        req, state.project.spec, route.family, path_project, needs_project=route.endpoint != "me"
    )
    fault = state.faults.take(route.family, route.endpoint, req.path)
    ex.fault = fault
    if fault is not None and fault.kind in RESPONSE_FAULTS:
        if fault.delay:
            time.sleep(fault.delay)
        _apply_fault(state, ex, fault)
        return
    if state.options.free_plan and route.family == "query":
        raise HttpError(402, PAYMENT_MESSAGE)
    message = state.limiter.acquire(route.family)
    if message is not None:
        retry = state.limits.retry_after
        headers = {"Retry-After": _retry_text(retry)} if retry is not None else {}
        _send_429(ex, message, headers)
        return
    try:
        if fault is not None:  # slow and body faults: the request counts as running
            time.sleep(
                fault.delay
                if fault.delay
                else DEFAULT_SLOW_SECONDS
                if fault.kind == "slow_first_byte"
                else 0
            )
        route.handler(state, ex)
    finally:
        state.limiter.release(route.family)


def _retry_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _send_429(ex: Exchange, message: str, headers: dict[str, str]) -> None:
    """Export's 429 body is ``{"error": ...}`` only; others follow their family."""
    if ex.family == "export":
        ex.send_json(429, {"error": message}, headers)
    else:
        ex.error(429, message, headers)


def _apply_fault(state: ServerState, ex: Exchange, fault: Fault) -> None:
    """Send the response of a fault that replaces the handler."""
    kind = fault.kind
    if kind == "429":
        headers = (
            {} if fault.retry_after is None else {"Retry-After": _retry_text(fault.retry_after)}
        )
        message = (
            EXPORT_LIMIT_MESSAGE
            if ex.family == "export"
            else QUERY_LIMIT_MESSAGE.format(
                project_id=state.project.spec.project_id,
                running=6,
                max_running=5,
                hour=61,
                max_hour=60,
            )
        )
        _send_429(ex, message, headers)
    elif kind == "5xx":
        status = fault.status or 503
        ex.error(
            status,
            {500: "Internal server error", 502: "Bad gateway"}.get(
                status, "Service temporarily unavailable"
            ),
        )
    elif kind == "402":
        ex.error(402, PAYMENT_MESSAGE)
    elif kind == "401":
        ex.error(401, "Invalid credentials")
    elif kind == "auth_400":
        ex.error(400, "Unable to authenticate request")
    elif kind == "plain_text_error":
        status = fault.status or 502
        ex.send(
            status,
            PLAIN_TEXT_400 if status < 500 else PLAIN_TEXT_BODY,
            "text/plain; charset=utf-8",
            gzip_ok=False,
        )
    elif kind == "expired_session":
        drop_session(state, ex.request.params.get("session_id"))
        ex.error(400, "session_id is unknown or has expired; start again from page 0")
