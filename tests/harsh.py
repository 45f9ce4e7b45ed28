"""``harsh``: a stand-in and the library sharing one fake clock, as hostile as real Mixpanel.

A fixture of every test folder (registered in ``tests/conftest.py``).

The stand-in's clock decides what is processed (late data), what "today" is in the project's
zone (a later ``to_date`` is a 400) and when hourly budgets have room; the library reads the
same clock through ``Settings.clock``, so a 40-day pause or an hour's wait for the budget takes
no real time. Everything else is real: HTTP on 127.0.0.1, dlt, the DuckDB file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.limits import ApiLimits
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.config.settings import Settings
from mixpanel_data.run.runner import RunSummary, run_pipeline
from mixpanel_data.standin import FakeClock, ProjectSpec, RateLimits, StandIn
from mixpanel_data.standin.querydata import rows as local_rows


@dataclass
class Recorder:
    """The run's observer: what it planned, waited for and warned about."""

    planned: list[tuple[date, date]] = field(default_factory=list)
    waits: list[tuple[str, float]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def days_planned(self, start: date, end: date) -> None:
        self.planned.append((start, end))

    def window_done(self, window: Any, rows: int) -> None:
        pass

    def waiting(self, label: str, seconds: float) -> None:
        self.waits.append((label, seconds))

    def notice(self, message: str) -> None:
        self.notices.append(message)


@dataclass
class Harsh:
    """A running stand-in, its clock, and settings that point the library at both."""

    server: StandIn
    clock: FakeClock
    settings: Settings
    credentials: Credentials
    observer: Recorder = field(default_factory=Recorder)

    @property
    def project(self) -> Any:
        return self.server.project

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def run(
        self, name: str = "events", *, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> RunSummary:
        """``run_pipeline`` as ``mp run NAME`` does it, with this env's settings and clock."""
        spec = get_pipeline(name, self.settings.pipelines_file)
        overrides = {"credentials": self.credentials, **(options or {})}
        kwargs.setdefault("observer", self.observer)
        return run_pipeline(spec, self.settings, source_overrides=overrides, **kwargs)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.settings.database_path), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def export_counts(self) -> dict[date, int]:
        """Stored events per export day."""
        return dict(self.rows("SELECT export_date, count(*) FROM mixpanel.events GROUP BY 1"))

    def export_truth(self, first: date | None = None, last: date | None = None) -> dict[date, int]:
        """What Mixpanel holds now per export day (deduped), days without rows left out."""
        days = [d for d in self.project.days if (first or d) <= d <= (last or d)]
        return {d: n for d in days if (n := self.project.unique_count(d))}

    def local_counts(self) -> dict[date, int]:
        """Stored events per ``event_date`` (project-local day)."""
        return dict(self.rows("SELECT event_date, count(*) FROM mixpanel.events GROUP BY 1"))

    def local_truth(self, first: date, last: date) -> dict[date, int]:
        """Events per project-local day as Mixpanel's Query API counts them now."""
        return dict(Counter(r.local.date() for r in local_rows(self.project, first, last)))

    def exports(self) -> list[tuple[str, str, int]]:
        """Every export request: (from_date, to_date, status)."""
        return [
            (r.params.get("from_date", ""), r.params.get("to_date", ""), r.status)
            for r in self.server.requests.filter(family="export")
        ]

    def events_state(self) -> dict[str, Any]:
        """The events resource's committed state (cursor, loaded ranges, export-time decision)."""
        import dlt

        from mixpanel_data.destinations.dates import events_state

        pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(self.settings.pipelines_dir))
        return events_state(pipeline)

    def queries(self, endpoint: str | None = None) -> list[Any]:
        found = self.server.requests.filter(family="query")
        return [r for r in found if endpoint is None or r.endpoint == endpoint]


@pytest.fixture
def harsh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Harsh]]:
    """``harsh(now=..., limits=..., server_limits=..., **spec_changes)`` starts a stand-in.

    ``now`` (aware) sets the shared clock; ``limits`` are the client's ``ApiLimits``,
    ``server_limits`` the stand-in's ``RateLimits`` (both off unless given); ``standin`` holds
    ``Options`` for the stand-in (``serializer``, ``me``, ``engage_session_ttl``, ...).
    """
    servers: list[StandIn] = []
    monkeypatch.chdir(tmp_path)  # no .dlt/ of the developer's
    for var in ("MP_BASE_URL", "MP_DATA_DIR", "MP_MAX_WAIT"):
        monkeypatch.delenv(var, raising=False)

    def start(
        *,
        now: datetime,
        limits: ApiLimits | None = None,
        server_limits: RateLimits | None = None,
        standin: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Harsh:
        clock = FakeClock(now)
        spec = ProjectSpec(**{"seed": 5, "events_per_day": 120, "profiles": 60, **changes})
        server = StandIn(spec, clock=clock, rate_limits=server_limits, **(standin or {}))
        server.start()
        servers.append(server)
        user, secret = server.auth
        data = tmp_path / f"data{len(servers)}"
        settings = Settings(
            data_dir=data,
            config_path=tmp_path / "config.toml",
            pipelines_file=tmp_path / "pipelines.yaml",
            base_url=server.base_url,
            limits=limits or ApiLimits(),
            clock=clock,
        )
        creds = Credentials(username=user, secret=secret, project_id=str(server.project_id))
        return Harsh(server, clock, settings, creds)

    reset_budgets()
    yield start
    for server in servers:
        server.stop()
    reset_budgets()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
