"""Retry with exponential backoff and jitter, honouring ``Retry-After`` on 429.

Mixpanel has no cursor on export and documents no ``Retry-After``, but real deployments send one
on 429 (API reference §4.2). On 5xx, resets, timeouts and incomplete exports: back off
exponentially with jitter, ``max_attempts`` in all. A 429 is different: the project's budget is
spent (often by someone else: another process, a dashboard), and it has room again within the
hour. So a 429 waits what the server asked, or backs off from 30 s to 5 min, for as long as
``max_rate_wait`` allows in total, and does not use up attempts.

What is retried, and what is raised when it gives up:

    RateLimited (429, internal)        -> RateLimitError, message says how long to wait
    TransientError / IncompleteExport  -> the last TransientError
    httpx timeouts / network / protocol errors -> TransientError naming the failure

A ``Retry-After`` beyond what is left of ``max_rate_wait`` is not slept through: the loop stops at
once with a ``RateLimitError`` saying how long to wait, so a process never hangs past its cap.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from mixpanel_data.exceptions import IncompleteExportError, RateLimitError, TransientError

__all__ = ["RateLimited", "RetryPolicy", "call_with_retries", "parse_retry_after"]

T = TypeVar("T")
logger = logging.getLogger("mixpanel_data.api")

#: httpx failures after which the same request may succeed.
RETRYABLE_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
#: Failures that happen before the request reached the server: safe to retry even for writes.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)


class RateLimited(Exception):
    """A 429 answer; internal, turned into ``RateLimitError`` when attempts run out."""

    def __init__(self, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attempt ``n`` (1-based) that failed waits ``min(max_delay, base_delay * 2**(n-1))`` plus a
    uniform jitter in ``[0, jitter]`` seconds; a 429 with ``Retry-After`` waits that long plus
    jitter instead. ``sleep`` is injectable so tests never really wait.
    """

    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 60.0
    jitter: float = 1.0
    #: First and longest wait after a 429 that carries no ``Retry-After``.
    rate_limit_delay: float = 30.0
    rate_limit_max_delay: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        delays = (self.base_delay, self.max_delay, self.jitter, self.rate_limit_delay)
        if min(*delays, self.rate_limit_max_delay) < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` when the server gave no hint."""
        exponential = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return exponential + random.uniform(0, self.jitter)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before the next attempt; ``Retry-After`` wins over the backoff."""
        if retry_after is None:
            return self.backoff(attempt)
        return retry_after + random.uniform(0, self.jitter)

    def rate_limit_backoff(self, refusals: int) -> float:
        """Seconds to wait after the ``refusals``-th 429 in a row that gave no ``Retry-After``."""
        wait = min(self.rate_limit_max_delay, self.rate_limit_delay * 2 ** (refusals - 1))
        return wait + random.uniform(0, self.jitter)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from ``Retry-After`` given as delta-seconds or an HTTP-date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def call_with_retries(
    policy: RetryPolicy,
    attempt_fn: Callable[[int], T],
    *,
    what: str,
    idempotent: bool = True,
    max_rate_wait: float = 0.0,
    on_rate_limited: Callable[[RateLimited, float], None] | None = None,
) -> T:
    """Run ``attempt_fn(attempt)`` until it succeeds or the policy gives up.

    ``what`` ("GET /api/query/segmentation") names the call in logs and messages. A
    non-idempotent call is only retried when it certainly did not reach the server
    (connect failures) or was refused with 429. 429s are waited out for at most
    ``max_rate_wait`` seconds in total (0: raise at the first); ``on_rate_limited(exc, wait)``
    is told before each such wait.
    """
    attempt, refusals, waited = 1, 0, 0.0
    while True:
        last = attempt >= policy.max_attempts
        try:
            return attempt_fn(attempt)
        except RateLimited as exc:
            refusals += 1
            wait = (
                policy.rate_limit_backoff(refusals) if exc.retry_after is None else exc.retry_after
            )
            if waited + wait > max_rate_wait:
                raise _rate_limit_error(what, refusals, exc, wait) from None
            if on_rate_limited is not None:
                on_rate_limited(exc, wait)
            logger.info("%s answered 429: waiting %.0fs (refusal %d)", what, wait, refusals)
            waited += wait
            policy.sleep(wait)
            continue
        except TransientError as exc:
            if last or not idempotent:
                raise
            retry_after, reason = None, _reason(exc)
        except RETRYABLE_TRANSPORT_ERRORS as exc:
            if last or not (idempotent or isinstance(exc, NOT_SENT_ERRORS)):
                raise _transport_error(what, attempt, exc) from exc
            retry_after, reason = None, f"{type(exc).__name__}"
        wait = policy.delay(attempt, retry_after)
        logger.info(
            "retrying %s in %.2fs after %s (attempt %d of %d)",
            what,
            wait,
            reason,
            attempt + 1,
            policy.max_attempts,
        )
        policy.sleep(wait)
        attempt += 1


def _reason(exc: TransientError) -> str:
    """Why an attempt failed, for the log: a status or our own text, never a response body."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    if isinstance(exc, IncompleteExportError):
        return exc.message
    return type(exc).__name__


def _rate_limit_error(what: str, refusals: int, exc: RateLimited, wait: float) -> RateLimitError:
    """A one-line ``RateLimitError`` that says how long to wait before trying again."""
    from mixpanel_data.api.limiter import duration_text

    noun = "time" if refusals == 1 else "times"
    return RateLimitError(
        f"Mixpanel refused {what} {refusals} {noun} (429, rate limit): it has room again in "
        f"about {duration_text(wait)}; run again then, or allow longer waits with --max-wait / "
        f"MP_MAX_WAIT ({exc.detail}).",
        retry_after=wait,
    )


def _transport_error(what: str, attempts: int, exc: Exception) -> TransientError:
    """Name the network failure and the fix without echoing request headers."""
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    noun = "attempt" if attempts == 1 else "attempts"
    return TransientError(
        f"{what} {kind} after {attempts} {noun} ({type(exc).__name__}: {exc}): "
        "check the network or MP_BASE_URL and try again later."
    )
