"""A failure while fetching: it reaches the caller, and no window's spool file stays behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from mixpanel_data.api import make_client
from mixpanel_data.config import Settings
from mixpanel_data.config.resolve import resolve_credentials
from mixpanel_data.sources.mixpanel.events_fetch import ExportRequest, fetch_tables
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner


class BrokenParser:
    """Parses nothing: every batch (or spool file) fails, as a bad line would."""

    def parse(self, data: bytes, seen: dict[str, int] | None = None, tally: object = None) -> None:
        raise ValueError("bad batch")

    def parse_file(self, path: str, seen: object = None, tally: object = None) -> Iterator[None]:
        raise ValueError("bad batch")
        yield


def test_a_parse_error_reaches_the_caller_and_leaves_no_spool(standin_env, tmp_path: Path):
    env = standin_env(start=datetime(2024, 3, 1).date(), days=6)
    spool = tmp_path / "spool"
    days = Window(env.project.days[0], env.project.days[-1])
    planner = WindowPlanner([days], window_days=1, target_bytes=1)
    request = ExportRequest(spool_dir=spool)
    settings = Settings.from_env()
    client = make_client(resolve_credentials(settings=settings), settings)
    with pytest.raises(ValueError, match="bad batch") as caught:
        list(fetch_tables(client, BrokenParser(), planner, request, concurrency=3))  # type: ignore[arg-type]
    assert caught.value.__traceback__ is not None  # the traceback (and its frames) still live
    assert list(spool.iterdir()) == []  # spool files never have a name on disk
    assert len(env.server.requests.filter(family="export")) <= 3  # each worker stops at its error
