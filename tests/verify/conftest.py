"""A stand-in project, the library and ``mp`` sharing one data directory, for ``mp verify``.

The stand-in and the library share a ``FakeClock`` (loads see late data only when the test moves
the clock); ``mp`` runs as a real subprocess pointed at the same stand-in and data directory, so
its exit code and streams are the ones a user sees. The subprocess keeps the real clock: the
projects here lie in 2024, long over.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.api import reset_budgets
from mixpanel_data.api.factory import make_client
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.config.settings import Settings
from mixpanel_data.local.connection import open_database
from mixpanel_data.run.runner import RunSummary, run_pipeline
from mixpanel_data.standin import FakeClock, ProjectSpec, StandIn
from mixpanel_data.standin.querydata import rows as query_rows
from mixpanel_data.verify import VerifyResult, verify_events

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


@dataclass
class Project:
    """A running stand-in, its clock, and settings pointing the library and ``mp`` at both."""

    server: StandIn
    clock: FakeClock
    settings: Settings
    credentials: Credentials
    root: Path

    @property
    def project(self) -> Any:
        return self.server.project

    def run(
        self, name: str = "events", *, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> RunSummary:
        """``mp run NAME`` through the runner, on this project's clock."""
        spec = get_pipeline(name, self.settings.pipelines_file)
        overrides = {"credentials": self.credentials, **(options or {})}
        return run_pipeline(spec, self.settings, source_overrides=overrides, **kwargs)

    def verify(self, **kwargs: Any) -> VerifyResult:
        """The library call behind ``mp verify`` (fake clock, real HTTP)."""
        spec = get_pipeline(kwargs.pop("pipeline", "events"), self.settings.pipelines_file)
        con = open_database(self.settings.database_path)
        try:
            with make_client(self.credentials, self.settings) as client:
                return verify_events(con, client, spec, self.settings, **kwargs)
        finally:
            con.close()

    def mp(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``mp ARGS`` as a real process with MP_* pointed here."""
        user, secret = self.server.auth
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MP_", "SOURCES__"))}
        base.update(
            {
                "MP_BASE_URL": self.server.base_url,
                "MP_USERNAME": user,
                "MP_SECRET": secret,
                "MP_PROJECT_ID": str(self.server.project_id),
                "MP_DATA_DIR": str(self.settings.data_dir),
                "MP_CONFIG_PATH": str(self.settings.config_path),
                **(env or {}),
            }
        )
        if self.settings.pipelines_file.exists():  # a missing MP_PIPELINES file is an error
            base.setdefault("MP_PIPELINES", str(self.settings.pipelines_file))
        return subprocess.run(
            [*MP, *args], capture_output=True, text=True, env=base, cwd=self.root, timeout=120
        )

    def execute(self, sql: str, *params: Any) -> None:
        """Change the local database behind the pipeline's back (a deleted day, say)."""
        con = duckdb.connect(str(self.settings.database_path))
        try:
            con.execute(sql, list(params))
        finally:
            con.close()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.settings.database_path), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def local_counts(self) -> dict[tuple[date, str], int]:
        """Stored rows per (event_date, event_name)."""
        found = self.rows(
            "SELECT event_date, event_name, count(*) FROM mixpanel.events GROUP BY 1, 2"
        )
        return {(d, e): n for d, e, n in found}

    def truth(self, first: date, last: date) -> Counter[tuple[date, str]]:
        """What Mixpanel's Query API counts now per (project-local day, event)."""
        return Counter((r.local.date(), r.name) for r in query_rows(self.project, first, last))

    def event_requests(self) -> list[Any]:
        """Every ``/events`` request the stand-in answered."""
        return [r for r in self.server.requests.filter(family="query") if r.endpoint == "events"]


@pytest.fixture
def verify_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Project]]:
    """``verify_env(now=..., standin=..., **spec_changes)`` starts a stand-in project."""
    servers: list[StandIn] = []
    monkeypatch.chdir(tmp_path)  # no developer's .dlt/ or pipelines.yaml
    for var in ("MP_BASE_URL", "MP_DATA_DIR", "MP_MAX_WAIT", "MP_PIPELINES"):
        monkeypatch.delenv(var, raising=False)

    def start(*, now: datetime, standin: dict[str, Any] | None = None, **changes: Any) -> Project:
        clock = FakeClock(now)
        spec = ProjectSpec(**{"seed": 7, "events_per_day": 150, "profiles": 20, **changes})
        server = StandIn(spec, clock=clock, **(standin or {}))
        server.start()
        servers.append(server)
        user, secret = server.auth
        root = tmp_path / f"p{len(servers)}"
        root.mkdir()
        settings = Settings(
            data_dir=root / "data",
            config_path=root / "config.toml",
            pipelines_file=root / "pipelines.yaml",
            base_url=server.base_url,
            clock=clock,
        )
        creds = Credentials(username=user, secret=secret, project_id=str(server.project_id))
        return Project(server, clock, settings, creds, root)

    reset_budgets()
    yield start
    for server in servers:
        server.stop()
    reset_budgets()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
