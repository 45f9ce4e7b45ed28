"""``MixpanelClient``: one authenticated httpx client for the Query, App and Export APIs.

Every request goes through the same path: take a slot from the shared rate budget of its family
(``limiter``), send it, map a failure to the library's exceptions (``errors``), and retry what is
worth retrying (``retry``). Credentials only ever travel through httpx ``auth=``: never as a raw
header, never in a log line (logs carry method, path, status, attempt and duration only).

    MixpanelDataError
    ├── AuthenticationError     401, 403, 400 "Unable to authenticate request"
    ├── NotFoundError           404
    ├── RateLimitError          429 after every retry, or the local budget is used up
    ├── QueryError              400 / other 4xx, 200 with {"error": ...}
    │   └── PlanRestrictedError 402
    └── TransientError          5xx, resets, timeouts after every retry
        └── IncompleteExportError  export ended early, dropped or truncated
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx
import orjson

from mixpanel_data.api.errors import body_error, error_for_response, read_error_body
from mixpanel_data.api.export import FD_DIR, ExportStats, iter_line_batches, spool_body
from mixpanel_data.api.hosts import Family, resolve_hosts
from mixpanel_data.api.limiter import (
    ApiLimits,
    Budget,
    WaitHook,
    budget_key,
    budget_label,
    shared_budget,
)
from mixpanel_data.api.retry import RateLimited, RetryPolicy, call_with_retries
from mixpanel_data.config.clock import SYSTEM_CLOCK, Clock
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.limits import HOUR
from mixpanel_data.exceptions import (
    ConfigError,
    InvalidArgumentError,
    QueryError,
    register_secret,
)

if TYPE_CHECKING:
    from mixpanel_data.api.payloads import MeBody

__all__ = ["DEFAULT_TIMEOUT", "MixpanelClient"]

logger = logging.getLogger("mixpanel_data.api")
#: Export can take minutes before its first byte (API reference §6.1, item 5).
DEFAULT_TIMEOUT = 300.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class MixpanelClient:
    """Authenticated access to one Mixpanel project; use as a context manager or ``close()``.

    Thread-safe: the dlt source shares one client between worker threads.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limits: ApiLimits | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        on_wait: WaitHook | None = None,
    ) -> None:
        """``clock`` drives budget waits (and their sleeps); ``on_wait(label, seconds)`` hears
        of each wait for a budget, ours or Mixpanel's 429, before it starts."""
        credentials.warn_if_legacy()
        self.credentials = credentials
        self.hosts = resolve_hosts(credentials.region, base_url)
        self.clock = clock
        self.retry = retry or RetryPolicy(sleep=clock.sleep)
        self.limits = limits or ApiLimits()
        self.on_wait = on_wait
        user, password = credentials.basic_auth()
        # The encoded header value is a secret too: make sure no message can ever echo it.
        register_secret(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
        self._http = httpx.Client(
            auth=httpx.BasicAuth(user, password),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": "mixpanel-data"},
        )

    def __enter__(self) -> MixpanelClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        project, workspace = self.credentials.project_id, self.credentials.workspace_id
        return (
            f"MixpanelClient(project_id={project!r}, workspace_id={workspace!r}, "
            f"query={self.hosts.query!r})"
        )

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    # -- Query API -------------------------------------------------------------------------------

    def query(
        self,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        method: str = "GET",
    ) -> Any:
        """The JSON body of Query API endpoint ``path`` ("segmentation", "funnels/list", "jql").

        List and dict values are sent as JSON text, as Mixpanel expects (``event=["a","b"]``);
        POST sends them form-urlencoded. A 200 body carrying ``{"error": ...}`` raises.
        """
        method = method.upper()
        fields = encode_params(params)
        query, form = (fields, None) if method == "GET" else ({}, fields)
        url = f"{self.hosts.query}/{path.strip('/')}"
        response = self._send("query", method, url, params=query, data=form)
        payload = _json_body(response, what=f"{method} {response.request.url.path}")
        error = body_error(payload, what=f"{method} {response.request.url.path}")
        if error is not None:
            raise error
        return payload

    def engage_page(self, params: Mapping[str, object]) -> dict[str, Any]:
        """One page of ``/engage`` (profiles), POSTed form-encoded; pass ``session_id``/``page``.

        Checked to be an object only; ``payloads.EngagePage`` says what it holds (the live
        queries' ``QueryClient`` protocol fixes this return type).
        """
        payload = self.query("engage", params, method="POST")
        if not isinstance(payload, dict):
            raise QueryError(
                f"Mixpanel /engage answered a {type(payload).__name__}, not an object: "
                "check MP_BASE_URL points at Mixpanel."
            )
        return payload

    # -- App API ---------------------------------------------------------------------------------

    def app(
        self,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        method: str = "GET",
        json: Any = None,
    ) -> Any:
        """The JSON body of App API ``/api/app/projects/{project_id}/{path}`` (None if empty).

        Writes (POST, PATCH, DELETE) are only retried when they surely did not reach Mixpanel.
        """
        if not self.credentials.project_id:
            raise ConfigError(
                "The App API needs a service account with a project id: run `mp auth add`."
            )
        method = method.upper()
        url = f"{self.hosts.app}/projects/{self.credentials.project_id}/{path.strip('/')}"
        response = self._send(
            "app",
            method,
            url,
            params=encode_params(params),
            json=json,
            idempotent=method in _IDEMPOTENT,
        )
        if not response.content.strip():
            return None
        return _json_body(response, what=f"{method} {response.request.url.path}")

    def reserve(self, family: Family, count: int) -> None:
        """Wait until ``family``'s hourly budget has room for ``count`` requests in a row.

        For runs of requests a long wait must not split (engage pages of one session). Raises
        ``RateLimitError`` when that wait would exceed ``limits.max_wait``.
        """
        budget = self._budget(family)
        if budget is not None:
            budget.reserve(count, max_wait=self.limits.max_wait, on_wait=self.on_wait)

    def me(self) -> MeBody:
        """``GET /api/app/me``: the service account, its organizations and projects (zones).

        Not project-scoped (no ``project_id``); a legacy project secret cannot call it.
        """
        if self.credentials.is_legacy:
            raise ConfigError("Mixpanel's /me needs a service account, not a project secret.")
        response = self._send("app", "GET", f"{self.hosts.app}/me", params={}, project=False)
        return _json_body(response, what="GET /api/app/me")

    # -- Raw export ------------------------------------------------------------------------------

    def export_batches(
        self,
        from_date: date,
        to_date: date,
        *,
        events: Sequence[str] | None = None,
        where: str | None = None,
        batch_bytes: int = 16 * 2**20,
        spool_dir: str | os.PathLike[str] | None = None,
        stats: ExportStats | None = None,
        max_bytes: int | None = None,
        probe: Callable[[Iterator[bytearray]], bool] | None = None,
    ) -> Iterator[bytearray]:
        """Raw events of ``from_date``..``to_date`` (inclusive) as batches of whole JSON lines.

        Nothing is yielded until the WHOLE window downloaded and verified; a window that failed
        (``terminated early``, dropped, truncated) is retried from scratch, so a batch is never
        followed by a retry. Each batch is a ``bytearray`` of complete ``\\n``-terminated lines
        (read straight from the spool, no extra copy), about ``batch_bytes`` long. The body is
        spooled to an unnamed temporary file in ``spool_dir`` (it has no name on disk, so even a
        SIGKILL leaves nothing behind), so memory does not grow with the export. An empty window
        yields nothing. Pass ``stats`` to read attempts, bytes and lines afterwards. A window
        whose export exceeds ``max_bytes`` stops downloading and raises ``ExportTooLarge``.
        ``probe`` first reads the verified batches once (a re-read checking whether anything
        changed); when it returns False nothing is yielded, without downloading again.
        """
        params = _export_params(from_date, to_date, events, where)
        if batch_bytes < 1:
            raise InvalidArgumentError(f"batch_bytes must be positive, not {batch_bytes}.")
        stats = stats or ExportStats()
        return self._export(params, batch_bytes, spool_dir, stats, max_bytes, probe)

    def export_files(
        self,
        from_date: date,
        to_date: date,
        *,
        events: Sequence[str] | None = None,
        where: str | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
        stats: ExportStats | None = None,
        max_bytes: int | None = None,
        probe: Callable[[str], bool] | None = None,
    ) -> Iterator[str]:
        """Like ``export_batches``, but hands out the verified spool itself: one path a reader
        such as DuckDB's ``read_json_objects`` can open (``/proc/self/fd/N`` of the unnamed
        file), valid until the generator is resumed. Nothing for an empty window; an
        ``UnsupportedOperation`` where the platform cannot name an open file (use batches).
        """
        if FD_DIR is None:
            raise io.UnsupportedOperation("no /proc/self/fd here: use export_batches")
        params = _export_params(from_date, to_date, events, where)
        stats = stats or ExportStats()
        with self._spooled(params, spool_dir, stats, max_bytes) as spool:
            if stats.bytes == 0:
                return
            path = f"{FD_DIR}/{spool.fileno()}"
            if probe is not None and not probe(path):
                return
            yield path

    @contextlib.contextmanager
    def _spooled(
        self,
        params: dict[str, str],
        spool_dir: str | os.PathLike[str] | None,
        stats: ExportStats,
        max_bytes: int | None,
    ) -> Iterator[BinaryIO]:
        """The window downloaded and verified into an unnamed spool file (retried whole)."""
        with tempfile.TemporaryFile(prefix="mixpanel-export-", dir=spool_dir) as spool:
            call_with_retries(
                self.retry,
                lambda attempt: self._download_export(params, spool, stats, attempt, max_bytes),
                what=f"GET {httpx.URL(self.hosts.export).path}/export",
                max_rate_wait=self.limits.max_wait,
                on_rate_limited=lambda exc, wait: self._refused("export", exc, wait),
            )
            yield spool

    def _export(
        self,
        params: dict[str, str],
        batch_bytes: int,
        spool_dir: str | os.PathLike[str] | None,
        stats: ExportStats,
        max_bytes: int | None,
        probe: Callable[[Iterator[bytearray]], bool] | None = None,
    ) -> Iterator[bytearray]:
        with self._spooled(params, spool_dir, stats, max_bytes) as spool:
            if probe is not None:
                spool.seek(0)
                if not probe(iter_line_batches(spool, batch_bytes)):
                    return
            spool.seek(0)
            for batch in iter_line_batches(spool, batch_bytes):
                stats.batches += 1
                yield batch

    def _download_export(
        self,
        params: dict[str, str],
        spool: BinaryIO,
        stats: ExportStats,
        attempt: int,
        max_bytes: int | None = None,
    ) -> None:
        """One attempt at the whole window: stream, decode and verify into ``spool``."""
        spool.seek(0)
        spool.truncate()
        stats.start_attempt()
        url = f"{self.hosts.export}/export"
        headers = {"Accept-Encoding": "gzip"}
        with self._attempt("export", "GET", url, attempt) as log:
            request = self._http.build_request(
                "GET", url, params=self._with_project(params, workspace=False), headers=headers
            )
            response = self._http.send(request, stream=True)
            try:
                log["status"] = response.status_code
                if response.status_code != 200:
                    raise self._error(response, read_error_body(response))
                spool_body(response, spool, stats, max_bytes)
            finally:
                response.close()

    # -- shared request path ---------------------------------------------------------------------

    def _send(
        self,
        family: Family,
        method: str,
        url: str,
        *,
        params: Mapping[str, str],
        data: Mapping[str, str] | None = None,
        json: Any = None,
        idempotent: bool = True,
        project: bool = True,
    ) -> httpx.Response:
        """Send one buffered request with budget, retries and error mapping; 2xx response.

        ``project=False`` leaves ``project_id`` and ``workspace_id`` out (``/me`` is about the
        account, not one project: it lists every project and Data View the account can see)."""

        def attempt_once(attempt: int) -> httpx.Response:
            query = self._with_project(params) if project else dict(params)
            with self._attempt(family, method, url, attempt) as log:
                response = self._http.request(method, url, params=query, data=data, json=json)
                log["status"] = response.status_code
            if not response.is_success:
                raise self._error(response, response.content)
            return response

        what = f"{method} {httpx.URL(url).path}"
        return call_with_retries(
            self.retry,
            attempt_once,
            what=what,
            idempotent=idempotent,
            max_rate_wait=self.limits.max_wait,
            on_rate_limited=lambda exc, wait: self._refused(family, exc, wait),
        )

    def _refused(self, family: Family, exc: RateLimited, wait: float) -> None:
        """Mixpanel answered 429: when its hourly budget is spent (and it did not say when it
        has room again), count ours as spent too; tell ``on_wait`` what is being waited for."""
        hourly = _hour_full(exc.detail)
        budget = self._budget(family)
        if hourly and exc.retry_after is None and budget is not None:
            budget.fill(HOUR)
        if self.on_wait is not None:
            label = budget_label(family, HOUR if hourly else 0.0)
            self.on_wait(f"{label} (Mixpanel answered 429)", wait)

    @contextlib.contextmanager
    def _attempt(
        self, family: Family, method: str, url: str, attempt: int
    ) -> Iterator[dict[str, int | None]]:
        """Hold a budget slot around one HTTP attempt and log it (never headers or bodies)."""
        budget = self._budget(family)
        path = httpx.URL(url).path
        log: dict[str, int | None] = {"status": None}
        started = time.monotonic()
        slot = budget.slot(max_wait=self.limits.max_wait, on_wait=self.on_wait) if budget else None
        with slot or contextlib.nullcontext():
            try:
                yield log
            finally:
                logger.debug(
                    "%s %s -> %s (attempt %d, %.3fs)",
                    method,
                    path,
                    log["status"] or "no response",
                    attempt,
                    time.monotonic() - started,
                )

    def _budget(self, family: Family) -> Budget | None:
        project = budget_key(self.credentials)
        return shared_budget(family, self.hosts.origin(family), project, self.limits, self.clock)

    def _with_project(self, params: Mapping[str, str], *, workspace: bool = True) -> dict[str, str]:
        """A copy of ``params`` with ``project_id`` and, for a Data View, ``workspace_id``.

        Every Query endpoint takes an optional ``workspace_id`` (query.openapi.yaml, parameter
        ``workspaceId`` on all 19 paths; API reference §2: "Projects with Data Views also send
        workspace_id"); the App API calls get it beside ``project_id`` too. The raw export
        does not (``workspace=False``): export.openapi.yaml has no such parameter, and
        mixpanel-headless keeps export project-scoped ("data view filters never apply to raw
        export streaming", ``_internal/api_client.py`` ``_request``). Never mutates ``params``.
        """
        merged = dict(params)
        if self.credentials.project_id:
            merged["project_id"] = str(self.credentials.project_id)
        if workspace and self.credentials.workspace_id:
            merged["workspace_id"] = str(self.credentials.workspace_id)
        return merged

    def _error(self, response: httpx.Response, body: bytes) -> Exception:
        return error_for_response(
            response.status_code,
            body,
            what=f"{response.request.method} {response.request.url.path}",
            project_id=self.credentials.project_id,
            headers=response.headers,
        )


def encode_params(params: Mapping[str, object] | None) -> dict[str, str]:
    """Query/form values as Mixpanel wants them: JSON text for lists, dicts and booleans.

    ``None`` values are dropped and dates become ``YYYY-MM-DD``; the caller's mapping is left
    untouched.
    """
    encoded: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, date):
            encoded[key] = value.isoformat()
        elif isinstance(value, list | tuple | dict | bool):
            encoded[key] = orjson.dumps(value).decode("utf-8")
        else:
            encoded[key] = str(value)
    return encoded


def _hour_full(detail: str) -> bool:
    """Whether a Query 429 says the hourly count is at its limit ("61/60 ... in the last hour").

    The documented message carries both counters (API reference §4.2); an export 429 ("too
    many export requests in progress") or another text says nothing about the hour.
    """
    import re

    match = re.search(r"(\d+)/(\d+) queries running in the last hour", detail)
    return match is not None and int(match.group(1)) >= int(match.group(2))


def _json_body(response: httpx.Response, *, what: str) -> Any:
    """The decoded JSON body; a 200 that is not JSON is a rejected query, not a crash."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        snippet = " ".join(response.text[:120].split())
        raise QueryError(
            f"Mixpanel answered {what} with a body that is not JSON ({snippet!r}): check "
            "MP_BASE_URL and the endpoint name.",
            status_code=response.status_code,
        ) from None


def _export_params(
    from_date: date, to_date: date, events: Sequence[str] | None, where: str | None
) -> dict[str, str]:
    """One export window's query parameters; a reversed range is refused before any request."""
    if from_date > to_date:
        raise InvalidArgumentError(
            f"from_date {from_date} is after to_date {to_date}: swap them (both inclusive)."
        )
    params: dict[str, object] = {"from_date": from_date, "to_date": to_date}
    if events:
        params["event"] = list(events)
    if where:
        params["where"] = where
    return encode_params(params)
