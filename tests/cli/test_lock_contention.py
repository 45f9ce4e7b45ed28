"""Readers and loads on one database at once: no load fails, no reader gets a wrong answer.

Before the database lock (``local.dblock``), a reader that opened the file while a load
connected made the LOAD fail ("Could not set lock on file", 4 of 6 trials with two reader
loops), readers failed at random with exit 3 during a load, and saw "No table" during a
``--full-refresh``. Here two reader loops run real ``mp`` processes through real loads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]


def mp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MP, *args], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )


class Readers:
    """Two loops of ``mp sql`` / ``mp tables`` until stopped; every outcome kept."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.results: list[subprocess.CompletedProcess[str]] = []
        self.threads = [
            threading.Thread(target=self._loop, args=(args,))
            for args in (("sql", "--scalar", "SELECT count(*) FROM events"), ("tables",))
        ]

    def _loop(self, args: tuple[str, ...]) -> None:
        while not self.stop.is_set():
            self.results.append(mp(*args))

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_loads_and_readers_take_turns(standin_env):
    env = standin_env(days=12, events_per_day=1500)
    days = env.project.days
    first = mp("run", "events", "--from", str(days[0]), "--to", str(days[0]))
    assert first.returncode == 0, first.stderr
    old = sum(env.project.unique_count(d) for d in days[:1])
    new = sum(env.project.unique_count(d) for d in days)
    loads: list[subprocess.CompletedProcess[str]] = []
    with Readers() as readers:
        loads.append(mp("run", "events", "--from", str(days[0]), "--to", str(days[-1])))
        loads.append(
            mp(
                "run",
                "events",
                "--full-refresh",
                "--from",
                str(days[0]),
                "--to",
                str(days[-1] - timedelta(days=1)),
            )
        )
        loads.append(mp("run", "events", "--from", str(days[0]), "--to", str(days[-1])))
    for load in loads:
        assert load.returncode == 0, load.stderr
    assert env.rows("SELECT count(*) FROM mixpanel.events") == [(new,)]
    assert len(readers.results) >= 6
    refreshed = sum(env.project.unique_count(d) for d in days[:-1])
    for result in readers.results:
        assert result.returncode == 0, result.stderr
        if result.args[-1].startswith("SELECT"):
            assert int(result.stdout.strip()) in (old, new, refreshed)
