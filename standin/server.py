"""``StandIn``: a real HTTP server on 127.0.0.1 that behaves like Mixpanel's APIs.

    with StandIn(ProjectSpec(days=3)) as mp:
        httpx.get(f"{mp.base_url}/api/2.0/export", params=..., auth=mp.auth)

Runs ``ThreadingHTTPServer`` (daemon threads) in a background thread; see README.md.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from mixpanel_data.standin.clock import FakeClock
from mixpanel_data.standin.control import handle_control
from mixpanel_data.standin.endpoints import build_router
from mixpanel_data.standin.faults import Fault
from mixpanel_data.standin.generator import Event
from mixpanel_data.standin.limits import RateLimits
from mixpanel_data.standin.pipeline import run
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.reqlog import RequestLog, RequestRecord
from mixpanel_data.standin.routes import guess_family
from mixpanel_data.standin.spec import ProjectSpec
from mixpanel_data.standin.state import Options, ServerState
from mixpanel_data.standin.wire import Exchange, HttpError, Request

ROUTER = build_router()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: ServerState) -> None:
        super().__init__(address, _Handler)
        self.state = state


def _log_exchange(ex: Exchange) -> None:
    """Append the request log record when the response starts (before any byte is sent)."""
    req = ex.request
    log = cast(_Server, ex.handler.server).state.log
    log.append(
        RequestRecord(
            req.method,
            req.path,
            dict(req.params),
            ex.status,
            ex.family,
            ex.endpoint,
            ex.fault.kind if ex.fault else None,
            ex.auth,
            ex.started,
            time.time() - ex.started,
        )
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log replaces stderr access lines."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request.parse(self.command, self.path, headers, body)
        state = self.server.state
        route = ROUTER.match(req.path)
        ex = Exchange(self, req, route.family if route else guess_family(req.path))
        if route is not None and route.family == "control":
            self._guard(ex, lambda: handle_control(state, ex, route.endpoint))
            return
        ex.on_start = _log_exchange
        if route is not None:
            ex.endpoint = route.endpoint
            req.path_args = route.args
            self._guard(ex, lambda: run(state, ex, route))
        else:
            self._guard(ex, lambda: ex.error(404, f"unknown endpoint {req.path}"))

    def _guard(self, ex: Exchange, action: Any) -> None:
        """Run a handler; map HttpError to the family's error body; survive dead sockets."""
        try:
            action()
        except HttpError as err:
            if ex.status == 0:
                ex.error(err.status, err.message, err.headers)
        except (ConnectionError, TimeoutError):  # the client went away mid-response
            self.close_connection = True
        except Exception as exc:  # a bug in the stand-in: say so loudly, answer 500
            traceback.print_exc(file=sys.stderr)
            if ex.status == 0:
                ex.error(500, f"stand-in internal error: {exc!r}")
            else:
                ex.abort()


class StandIn:
    """A local Mixpanel: generated project + HTTP server + faults + rate limits.

    Keyword options are ``Options`` fields (e.g. ``free_plan=True``); ``rate_limits`` takes a
    ``RateLimits`` (off by default); ``port=0`` picks a free port. With ``clock`` (a
    ``FakeClock``, also handed to the client under test) the project's wall time and the
    rate-limit windows follow it; without one the wall time is frozen at ``spec.now`` (default:
    the real time now) until moved, and rate-limit windows use real ``time.monotonic``.
    """

    def __init__(
        self,
        spec: ProjectSpec | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        clock: FakeClock | None = None,
        **options: Any,
    ) -> None:
        self.host, self.port = host, port
        project = Project(spec or ProjectSpec(), clock)
        monotonic = clock.monotonic if clock is not None else time.monotonic
        self.state = ServerState(
            project, Options(**options), rate_limits or RateLimits(), monotonic
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        """Bind and serve in a background thread; returns the base URL."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self.state)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                args=(0.05,),
                name="mixpanel-standin",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, close the socket and delete spilled cache files."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.state.cache.clear()

    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("StandIn is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ----- data and credentials ------------------------------------------------------------
    @property
    def project(self) -> Project:
        """The generated project (ground truth for tests)."""
        return self.state.project

    @property
    def spec(self) -> ProjectSpec:
        """The project's spec."""
        return self.state.project.spec

    @property
    def auth(self) -> tuple[str, str]:
        """Service-account (username, secret) for HTTP Basic auth; send ``project_id`` too."""
        return (self.spec.sa_username, self.spec.sa_secret)

    @property
    def legacy_auth(self) -> tuple[str, str]:
        """Legacy project API secret as Basic (secret, "")."""
        return (self.spec.api_secret, "")

    @property
    def project_id(self) -> int:
        """The numeric project id."""
        return self.spec.project_id

    @property
    def clock(self) -> FakeClock:
        """The clock behind ``project.now`` (the one given, or the private frozen one)."""
        return self.state.project.clock

    @property
    def now(self) -> datetime:
        """The project's wall time (aware UTC)."""
        return self.state.project.now

    @property
    def requests(self) -> RequestLog:
        """Thread-safe log of handled API requests (never headers)."""
        return self.state.log

    # ----- switches ----------------------------------------------------------------------------
    def add_fault(
        self,
        kind: str,
        family: str = "export",
        times: int = 1,
        retry_after: float | str | None = None,
        delay: float | None = None,
        status: int | None = None,
        after_bytes: int | None = None,
        path: str | None = None,
        chunked: bool = False,
    ) -> Fault:
        """Queue a fault for the next ``times`` matching requests (see faults.FAULT_KINDS)."""
        return self.state.faults.add(
            Fault(kind, family, times, retry_after, delay, status, after_bytes, path, chunked)
        )

    def clear_faults(self) -> None:
        """Drop queued faults."""
        self.state.faults.clear()

    def set_rate_limits(self, limits: RateLimits) -> None:
        """Turn on (or change) rate-limit emulation; ``RateLimits()`` turns it off."""
        self.state.set_limits(limits)

    def set_today(self, today: date) -> None:
        """Move the clock to 23:59:59 project-local time on ``today``; later ``to_date``
        values get a 400."""
        self.state.project.set_today(today)

    def set_now(self, moment: datetime) -> datetime:
        """Move the clock to ``moment`` (naive means UTC); rows processed by then appear."""
        return self.state.project.set_now(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta``; returns the new instant."""
        return self.state.project.advance(delta)

    def spend(self, family: str, n: int) -> None:
        """Count ``n`` requests of ``family`` (``query``/``export``) as started now, as another
        process would; call it after ``set_rate_limits`` (which restarts the counters)."""
        self.state.limiter.spend(family, n)

    def add_late_events(self, day: date, n: int) -> list[Event]:
        """Land ``n`` late rows in ``day``; the next export of that day includes them."""
        return self.state.project.add_late_events(day, n)

    def touch_profiles(self, count: int, when: datetime | None = None) -> list[str]:
        """Bump ``$last_seen`` of ``count`` profiles; returns their distinct ids."""
        return self.state.project.touch_profiles(count, when)

    def prepare(self, time_in_ms: bool = False, workers: int = 1) -> int:
        """Pre-build every day's compressed export body at the current clock (stable form);
        returns the rows cached (those processed by now)."""
        return self.state.cache.prepare(self.state.project.days, time_in_ms, workers)

    def reset(self) -> None:
        """Clear faults, the request log, engage sessions, rate-limit counters and the
        serializer cycle (the clock stays where it is)."""
        self.state.reset()
