"""Readers and the loader take turns on the DuckDB file, so neither fails because of the other.

DuckDB lets one process write a file or several processes read it, never both: a reader that
opens the file while a load connects makes the load fail ("Could not set lock on file"), and a
reader arriving during a load fails at once. Every ``mp`` process therefore takes an advisory
lock on a sidecar file (``<database>.lock``, POSIX ``flock``) before DuckDB opens the database:
shared for readers, exclusive for writers, held as long as its DuckDB connection is open.

- The loader holds the exclusive lock only while dlt has the database open (syncing state,
  loading); extract and normalize, the long part of a run, leave readers alone.
- A writer announces itself on a second file (``<database>.lock-intent``) before it waits, and
  new readers queue behind it: a stream of short readers cannot starve a load.
- Both sides wait up to a bound (readers: ``MP_LOCK_WAIT``, default 30 s; the loader 10 min,
  as readers are short) and then raise ``DatabaseBusyError`` (exit 6: try again later).

Locks are counted per process: dlt opens several connections of one load, and a process that
writes may also read. The lock is released when the last holder in the process lets go.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mixpanel_data.exceptions import DatabaseBusyError

READ_WAIT_SECONDS = 30.0
"""How long a reader waits for a load to finish writing (``MP_LOCK_WAIT``)."""
WRITE_WAIT_SECONDS = 600.0
"""How long a load waits for readers to close the database."""
_POLL_SECONDS = 0.05

Notify = Callable[[str], None]


@dataclass
class _Held:
    """This process's hold on one database's lock file."""

    fd: int
    readers: int = 0
    writers: int = 0
    guard: threading.RLock = field(default_factory=threading.RLock)


_HELD: dict[Path, _Held] = {}
_REGISTRY = threading.Lock()


def lock_path(database: Path) -> Path:
    """The sidecar lock file of a database."""
    return database.with_name(database.name + ".lock")


def acquire(
    database: Path, *, write: bool, wait: float | None = None, notify: Notify | None = None
) -> Callable[[], None]:
    """Take the database's lock (shared, or exclusive when ``write``); returns its release.

    Waits up to ``wait`` seconds (the side's default when None); ``notify`` hears once, with a
    one-line message, when the wait begins.
    """
    database = Path(os.path.abspath(database))
    limit = (WRITE_WAIT_SECONDS if write else READ_WAIT_SECONDS) if wait is None else wait
    held = _holder(database)
    with held.guard:
        if write and not held.writers:
            with _intent(database, limit, notify):
                _flock(held.fd, fcntl.LOCK_EX, database, limit, notify, write=True)
        elif not write and not held.writers and not held.readers:
            _wait_for_writers(database, limit, notify)
            _flock(held.fd, fcntl.LOCK_SH, database, limit, notify, write=False)
        if write:
            held.writers += 1
        else:
            held.readers += 1
    released = threading.Event()

    def release() -> None:
        if released.is_set():
            return
        released.set()
        _release(database, write=write)

    return release


@contextmanager
def holding(
    database: Path, *, write: bool, wait: float | None = None, notify: Notify | None = None
) -> Iterator[None]:
    """``acquire`` as a context manager: the lock for the length of a block."""
    release = acquire(database, write=write, wait=wait, notify=notify)
    try:
        yield
    finally:
        release()


def _holder(database: Path) -> _Held:
    with _REGISTRY:
        held = _HELD.get(database)
        if held is None:
            database.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
            held = _HELD[database] = _Held(fd)
        return held


def _release(database: Path, *, write: bool) -> None:
    held = _HELD[database]
    with held.guard:
        if write:
            held.writers -= 1
        else:
            held.readers -= 1
        if held.writers == 0 and held.readers == 0:
            fcntl.flock(held.fd, fcntl.LOCK_UN)
        elif write and held.writers == 0:  # the last writer left while this process still reads
            fcntl.flock(held.fd, fcntl.LOCK_SH)


@contextmanager
def _intent(database: Path, limit: float, notify: Notify | None) -> Iterator[None]:
    """A writer's place in the queue: readers that arrive after it wait for it."""
    path = database.with_name(database.name + ".lock-intent")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _flock(fd, fcntl.LOCK_EX, database, limit, notify, write=True)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def _wait_for_writers(database: Path, limit: float, notify: Notify | None) -> None:
    """Pass through the intent file: blocks while a writer waits for, or holds, the database."""
    path = database.with_name(database.name + ".lock-intent")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _flock(fd, fcntl.LOCK_SH, database, limit, notify, write=False)
    finally:
        os.close(fd)


def _flock(
    fd: int, mode: int, database: Path, limit: float, notify: Notify | None, *, write: bool
) -> None:
    """``flock`` that polls until ``limit`` seconds, then raises ``DatabaseBusyError``."""
    deadline = time.monotonic() + limit
    told = False
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise DatabaseBusyError(_busy_message(database, limit, write=write)) from None
        if not told and notify is not None:
            notify(_waiting_message(database, limit, write=write))
            told = True
        time.sleep(_POLL_SECONDS)


def _waiting_message(database: Path, limit: float, *, write: bool) -> str:
    if write:
        return f"Waiting for readers of {database} to finish (up to {limit:g} s)."
    return f"A load is writing {database}: waiting up to {limit:g} s (MP_LOCK_WAIT sets how long)."


def _busy_message(database: Path, limit: float, *, write: bool) -> str:
    if write:
        return (
            f"{database} stayed open for reading for {limit:g} s (a Workspace or `mp sql` "
            "left running?): close it and run again; what was fetched loads then."
        )
    return (
        f"{database} is busy: a load has been writing it for {limit:g} s. Try again when it "
        "finishes, or wait longer with MP_LOCK_WAIT=SECONDS."
    )
