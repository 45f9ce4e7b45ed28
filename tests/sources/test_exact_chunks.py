"""Long backfills load as a sequence of committed dlt loads: a kill loses at most the chunk in
flight, and the same command run again downloads only what was not committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..harsh import utc

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def _committed_days(data_dir: Path) -> set[str]:
    """Export days the events resource committed, read from dlt's local state file."""
    path = data_dir / "pipelines" / "mp_mixpanel" / "state.json"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return set()
    events = state.get("sources", {}).get("mixpanel", {}).get("resources", {}).get("events", {})
    return {day for first, last in events.get("loaded") or [] for day in _days(first, last)}


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [str(start + timedelta(days=i)) for i in range((end - start).days + 1)]


def test_a_kill_mid_backfill_loses_at_most_the_chunk_in_flight(standin_env):
    env = standin_env(start=date(2024, 3, 1), days=14, events_per_day=2500)
    first, last = str(env.project.days[0]), str(env.project.days[-1])
    child: dict[str, Any] = {
        **os.environ,
        "MP_LOAD_CHUNK_MB": "0.5",  # about one day per committed load
        "SOURCES__MIXPANEL__WINDOW_DAYS": "1",
        "SOURCES__MIXPANEL__CONCURRENCY": "1",
        "SOURCES__MIXPANEL__PROJECT_TIMEZONE": env.server.spec.timezone,
    }
    command = [*MP, "--quiet", "run", "events", "--from", first, "--to", last]
    proc = subprocess.Popen(command, env=child, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(_committed_days(env.data_dir)) < 4 and proc.poll() is None:
        assert time.monotonic() < deadline, "no chunk was committed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    committed = _committed_days(env.data_dir)
    assert 4 <= len(committed) < 14, committed
    asked_before = len(env.server.requests.filter(family="export"))

    rerun = subprocess.run(command, env=child, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    asked = [r.params["from_date"] for r in env.server.requests.filter(family="export")]
    again = set(asked[asked_before:])
    assert not again & committed, f"re-downloaded committed days {sorted(again & committed)}"
    assert again | committed == set(_days(first, last))
    assert env.counts_by_day() == env.truth_by_day()


def test_a_long_range_commits_in_chunks_and_counts_exactly(harsh):
    """Two years, mostly empty: windows grow over empty stretches, every chunk commits its
    cursor, and the totals are exact."""
    env = harsh(
        now=utc(2026, 1, 10, 12),
        start=date(2024, 1, 1),
        days=740,
        events_per_day=300,
        active_day_rate=0.15,
    )
    env.settings = env.settings.with_(load_chunk_mb=0.2)
    # One download at a time: with three, how many windows a chunk takes before its first
    # bytes are counted depends on thread timing, and so does the number of chunks.
    summary = env.run(from_date="2024-01-01", to_date="2025-12-31", options={"concurrency": 1})
    assert summary.chunks > 3
    assert env.export_counts() == env.export_truth(last=date(2025, 12, 31))
    requests = len(env.exports())
    assert requests < 40, requests  # 731 days (13 when written)
