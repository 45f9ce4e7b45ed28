"""A real ``mp run`` killed with SIGKILL at any point, then run again, ends with exact rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def _start(env, first, last):
    return subprocess.Popen(
        [*MP, "--quiet", "run", "events", "--from", str(first), "--to", str(last)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(proc, predicate, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _stage(data_dir: Path, *parts: str) -> bool:
    folder = data_dir.joinpath("pipelines", "mp_mixpanel", *parts)
    return folder.exists() and any(folder.iterdir())


def _kill_points(data_dir: Path):
    yield "after-0.6s", lambda: False, 0.6
    yield "during-extract", lambda: _stage(data_dir, "normalize", "extracted"), None
    yield "during-normalize", lambda: _stage(data_dir, "load", "new"), None
    yield "during-load", lambda: _stage(data_dir, "load", "normalized"), None
    yield "after-1.5s", lambda: False, 1.5


@pytest.mark.slow
def test_sigkill_then_rerun_gives_exact_rows(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=8, events_per_day=6000)
    first, last = env.project.days[0], env.project.days[-1]
    child_env = {**os.environ}
    killed = []
    for label, predicate, delay in _kill_points(env.data_dir):
        proc = _start(child_env, first, last)
        if delay is not None:
            time.sleep(delay)
            hit = proc.poll() is None
        else:
            hit = _wait_for(proc, predicate)
        if hit:
            proc.send_signal(signal.SIGKILL)
            killed.append(label)
        proc.wait(timeout=120)

        rerun = _start(child_env, first, last)
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err.decode()
        assert env.counts_by_day() == env.truth_by_day(), label
    print("killed at:", killed)
    assert len(killed) >= 3, killed


@pytest.mark.slow
def test_sigkill_during_incremental_run_keeps_the_cursor_consistent(standin_env, ending_today):
    env = standin_env(start=ending_today(8), days=8, events_per_day=5000)
    days = env.project.days
    child_env = {**os.environ}
    first = _start(child_env, days[0], days[2])  # establishes the cursor
    assert first.wait(timeout=300) == 0
    killed = []
    for label, predicate in (
        ("during-normalize", lambda: _stage(env.data_dir, "load", "new")),
        ("during-load", lambda: _stage(env.data_dir, "load", "normalized")),
    ):
        for _ in range(6):
            proc = subprocess.Popen(
                [*MP, "--quiet", "run", "events"], env=child_env, stdout=subprocess.DEVNULL
            )
            if _wait_for(proc, predicate):
                proc.send_signal(signal.SIGKILL)
                killed.append(label)
                proc.wait(timeout=120)
                break
            proc.wait(timeout=120)
            # The run loaded everything before the kill could land (a load of a few thousand
            # rows is over in milliseconds): late rows give the next run a day to load again.
            env.server.add_late_events(days[-2], 3000)
    rerun = subprocess.run([*MP, "--quiet", "run", "events"], env=child_env, capture_output=True)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert env.counts_by_day() == env.truth_by_day()
    assert killed, "the kill never landed inside a load"
