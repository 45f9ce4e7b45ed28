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


def _in_load_stage(data_dir: Path) -> bool:
    load = data_dir / "pipelines" / "mp_mixpanel" / "load" / "normalized"
    return load.exists() and any(load.iterdir())


def _kill_points(data_dir: Path):
    yield "after-0.6s", lambda: False, 0.6
    yield "after-1.5s", lambda: False, 1.5
    yield "during-load", lambda: _in_load_stage(data_dir), None


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
    assert len(killed) >= 2, killed
