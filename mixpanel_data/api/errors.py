"""Turn a Mixpanel error response into one exception from ``mixpanel_data.exceptions``.

Mixpanel error bodies are ``{"request": ..., "error": ...}`` (Query, Export) or
``{"error": ..., "status": "error"}`` (App API), but export sometimes answers plain text, so the
body is parsed as JSON and otherwise used as raw text, shortened (API reference §4.1).

    status                          raised
    400 "Unable to authenticate"    AuthenticationError   (expired or bad credentials)
    400 unknown funnel/report/...   NotFoundError         (an id that is not in the project)
    400, other 4xx                  QueryError            (Mixpanel's own error text)
    401                             AuthenticationError
    402                             PlanRestrictedError
    403                             AuthenticationError   (names the project id)
    404                             NotFoundError
    429                             RateLimited           (internal: retried, then RateLimitError)
    5xx                             TransientError        (retried)

Every message is one line that names the fix; ``MixpanelDataError`` redacts registered secrets.

Unknown ids: Mixpanel answers a funnel, saved report (bookmark) or cohort id the project does
not have with a 400, not a 404 (issue 12, seen from real projects; the digest's §9 says the exact
text is not documented). A 400 whose text says such an id is unknown, invalid or not found is
therefore a ``NotFoundError`` (exit 4) naming where the ids are listed; any other 400 stays a
rejected query. The stand-in answers ``unknown funnel_id N`` / ``unknown bookmark_id N`` /
``unknown cohort id N`` the same way.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping

import httpx
import orjson

from mixpanel_data.api.retry import RateLimited, parse_retry_after
from mixpanel_data.exceptions import (
    AuthenticationError,
    MixpanelDataError,
    NotFoundError,
    PlanRestrictedError,
    QueryError,
    TransientError,
    redact,
)

__all__ = [
    "ServerError",
    "body_error",
    "error_detail",
    "error_for_response",
    "read_error_body",
]

MAX_DETAIL_CHARS = 200
ERROR_BODY_LIMIT = 64 * 1024
_UNABLE_TO_AUTH = "unable to authenticate request"
#: Known 400 texts (lower-case substring) and the fix to name for each.
_HINTS_400: tuple[tuple[str, str], ...] = (
    ("to_date cannot be later than today", "use a to_date no later than today (project timezone)"),
    ("exceeds 365 days", "ask for a window that starts less than 365 days ago"),
    ("session", "restart paging from page 0 without a session_id"),
)
_MISSING_WORDS = re.compile(
    r"\b(unknown|invalid|not found|no such|does not exist|doesn't exist|not exist)\b"
)
_ID_WORD = re.compile(r"\b(funnel|bookmark|report|cohort)(?:[ _]?ids?)?\b")
#: (word in the 400 text, what it is, where the ids are listed)
_ID_KINDS: tuple[tuple[str, str, str], ...] = (
    ("funnel", "funnel", "`mp funnels` lists the saved funnels"),
    ("bookmark", "saved report", "use the number in the report's URL"),
    ("report", "saved report", "use the number in the report's URL"),
    ("cohort", "cohort", "`mp cohorts` lists the cohorts"),
)


class ServerError(TransientError):
    """A 5xx answer; ``status_code`` lets retry logs name it without echoing the body."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def error_detail(body: bytes | str) -> str:
    """Mixpanel's ``error`` text when the body is JSON, else the raw text, one line, shortened."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    text: str | None = None
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        text = payload["error"]
    if text is None:
        text = raw.decode("utf-8", "replace")
    text = redact(" ".join(text.split()))
    if not text:
        return "empty body"
    if len(text) > MAX_DETAIL_CHARS:
        return text[: MAX_DETAIL_CHARS - 1] + "…"
    return text


def error_for_response(
    status: int,
    body: bytes | str,
    *,
    what: str,
    project_id: str | None,
    headers: Mapping[str, str] | None = None,
) -> Exception:
    """The exception for a non-2xx answer to ``what`` ("GET /api/query/funnels")."""
    detail = error_detail(body)
    if status == 429:
        return RateLimited(detail, parse_retry_after((headers or {}).get("retry-after")))
    if status >= 500:
        return ServerError(
            f"Mixpanel server error {status} on {what} ({detail}): retried; try again later.",
            status,
        )
    if status == 401:
        return AuthenticationError(
            "Mixpanel rejected the credentials (401): check the service account username "
            "and secret (`mp auth test`).",
            status_code=401,
        )
    if status == 403:
        project = f"project {project_id}" if project_id else "this project"
        return AuthenticationError(
            f"Mixpanel denied access to {project} (403: {detail}): give the service account a "
            "role in that project or fix the project id (MP_PROJECT_ID / --project).",
            status_code=403,
        )
    if status == 402:
        return PlanRestrictedError(
            f"Mixpanel refused {what} (402: {detail}): this plan has no API access to it; "
            "upgrade the plan or skip this data.",
            status_code=402,
        )
    if status == 404:
        return NotFoundError(
            f"Mixpanel found nothing at {what} (404: {detail}): check the endpoint and the id."
        )
    return _rejected(status, detail, what)


def body_error(payload: object, *, what: str) -> MixpanelDataError | None:
    """The error carried by a 200 JSON body ``{"error": "..."}``, if any.

    Only a *string* ``error`` counts, so a property that happens to be named ``error`` in a
    result object is not mistaken for a failure.
    """
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        return _rejected(200, error_detail(payload["error"]), what)
    return None


def _rejected(status: int, detail: str, what: str) -> MixpanelDataError:
    """400-style rejections: bad credentials in disguise, or a query Mixpanel refused."""
    lowered = detail.lower()
    if _UNABLE_TO_AUTH in lowered:
        return AuthenticationError(
            f"Mixpanel could not authenticate {what} ({status}: {detail}): the credentials may "
            "be expired or wrong; check them with `mp auth test`."
        )
    missing = _unknown_id(status, lowered)
    if missing is not None:
        what, where = missing
        return NotFoundError(
            f"Mixpanel has no such {what} in this project ({status}: {detail}): {where}."
        )
    fix = next((hint for needle, hint in _HINTS_400 if needle in lowered), None)
    fix = fix or "fix the parameters and try again"
    return QueryError(f"Mixpanel rejected {what} ({status}: {detail}): {fix}.", status_code=status)


def _unknown_id(status: int, lowered: str) -> tuple[str, str] | None:
    """(what, where to find the ids) when a 400 says a funnel/report/cohort id is unknown."""
    if status != 400 or "expression" in lowered or not _MISSING_WORDS.search(lowered):
        return None  # an expression naming a property "cohort" is a bad query, not a bad id
    found = _ID_WORD.search(lowered)
    if found is None:
        return None
    return next((what, where) for word, what, where in _ID_KINDS if word == found[1])


def read_error_body(response: httpx.Response) -> bytes:
    """At most ``ERROR_BODY_LIMIT`` bytes of a (decoded) error body: enough for a message."""
    body = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= ERROR_BODY_LIMIT:
                break
    return bytes(body)
