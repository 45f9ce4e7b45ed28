"""``mp schedule run`` as a real process against the stand-in: SIGTERM during a load lets it
finish, the process exits 0, and the table then holds exactly the deduped events (nothing lost
or doubled, also after the next run). The run is a catch-up of a missed time, so it starts at
once; its start and finish log lines carry rows and duration."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mixpanel_data.local import history

YAML = """
pipelines:
  events:
    options: {{project_timezone: "{tz}", start_date: "{start}", lookback_days: 1}}
    schedule: {{cron: "* * * * *"}}
"""


def _wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigterm_during_a_run_finishes_it_cleanly(
    standin_env: Callable[..., Any],
    tmp_path: Path,
    ending_today: Callable[[int], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = standin_env(days=4, events_per_day=3000, start=ending_today(4))
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    (tmp_path / "pipelines.yaml").write_text(
        YAML.format(tz=env.server.spec.timezone, start=env.project.days[0])
    )
    missed = datetime.now(UTC) - timedelta(hours=1)
    runs_dir = env.data_dir / "schedule"
    history.record_end(
        runs_dir, history.record_start(runs_dir, "events", missed), "success", 0, 0.1
    )
    child = subprocess.Popen(
        [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()", "schedule", "run"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: any(r["status"] == "running" for r in history.runs(runs_dir, "events")))
        time.sleep(0.3)  # inside the load
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    last = history.runs(runs_dir, "events")[-1]
    assert last["status"] == "success", err
    # the signal arrived while the load ran, and the load still finished
    assert err.index("run started") < err.index("SIGTERM received") < err.index("run finished")
    truth = sum(env.truth_by_day().values())
    assert env.rows("SELECT count(*), count(DISTINCT event_key) FROM mixpanel.events") == [
        (truth, truth)
    ]
    env.run("events")  # the next run after the shutdown adds nothing and loses nothing
    assert env.rows("SELECT count(*) FROM mixpanel.events") == [(truth,)]
