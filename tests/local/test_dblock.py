"""The database lock between processes: readers share, a writer waits for them and they for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mixpanel_data.exceptions import DatabaseBusyError
from mixpanel_data.local import dblock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mixpanel_data.local import dblock
    release = dblock.acquire(Path(sys.argv[1]), write=sys.argv[2] == "w", wait=float(sys.argv[3]))
    print("held", flush=True)
    time.sleep(float(sys.argv[4]))
    release()
    print("released", flush=True)
    """
)


def hold(database: Path, mode: str, seconds: float, wait: float = 10.0) -> subprocess.Popen[str]:
    """Another process holding the lock (``r`` or ``w``) for ``seconds`` once it says so."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database), mode, str(wait), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_readers_share_the_lock(tmp_path):
    database = tmp_path / "db.duckdb"
    child = hold(database, "r", 3)
    started = time.monotonic()
    with dblock.holding(database, write=False, wait=1):
        assert time.monotonic() - started < 1
    child.kill()


def test_a_writer_waits_for_a_reader_then_gets_the_lock(tmp_path):
    database = tmp_path / "db.duckdb"
    child = hold(database, "r", 1.5)
    heard: list[str] = []
    started = time.monotonic()
    with dblock.holding(database, write=True, wait=20, notify=heard.append):
        waited = time.monotonic() - started
    assert 1.0 < waited < 10
    assert len(heard) == 1 and "readers" in heard[0]
    child.wait(timeout=10)


def test_a_reader_gives_up_after_its_wait_with_a_one_line_busy_error(tmp_path):
    database = tmp_path / "db.duckdb"
    child = hold(database, "w", 30)
    started = time.monotonic()
    with pytest.raises(DatabaseBusyError) as caught:
        dblock.acquire(database, write=False, wait=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert caught.value.exit_code == 6
    assert "MP_LOCK_WAIT" in str(caught.value) and "\n" not in str(caught.value)
    child.kill()


def test_a_waiting_writer_goes_before_readers_that_arrive_after_it(tmp_path):
    """A stream of short readers cannot starve a load: new readers queue behind the writer."""
    database = tmp_path / "db.duckdb"
    reader = hold(database, "r", 2)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database), "w", "20", "2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # the writer now waits for the first reader, with its intent announced
    with pytest.raises(DatabaseBusyError):
        dblock.acquire(database, write=False, wait=0.5)  # a newcomer does not overtake it
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "held"
    reader.wait(timeout=10)
    writer.wait(timeout=20)
    with dblock.holding(database, write=False, wait=1):
        pass


def test_holds_are_counted_within_a_process(tmp_path):
    """dlt opens several connections of one load: the lock goes with the last of them."""
    database = tmp_path / "db.duckdb"
    first = dblock.acquire(database, write=True, wait=1)
    second = dblock.acquire(database, write=True, wait=1)
    reading = dblock.acquire(database, write=False, wait=1)
    first()
    first()  # releasing twice is harmless
    second()
    with pytest.raises(DatabaseBusyError):  # still held for reading: another writer waits
        _other_process_writes(database, wait=0.3)
    reading()
    _other_process_writes(database, wait=5)


def _other_process_writes(database: Path, wait: float) -> None:
    code = (
        "import sys; from pathlib import Path; from mixpanel_data.local import dblock; "
        f"dblock.acquire(Path(sys.argv[1]), write=True, wait={wait})()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(database)], capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        assert "DatabaseBusyError" in done.stderr, done.stderr
        raise DatabaseBusyError("other process timed out")
