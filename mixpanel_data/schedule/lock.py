"""One run of a dlt pipeline at a time, across threads and processes: a lock file per pipeline.

The lock is keyed on the dlt pipeline (destination + dataset), because two named pipelines that
share one also share its working folder and cursors. ``filelock`` takes an OS lock on the file
(``flock`` on POSIX, ``msvcrt`` on Windows), which belongs to the open file: two schedulers (or a
scheduler and a second thread) exclude each other, and the OS frees it when a holder dies, so a
killed run never leaves a stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from mixpanel_data.config.pipelines import PipelineSpec


@contextmanager
def run_lock(directory: Path, spec: PipelineSpec) -> Iterator[bool]:
    """Yields True holding the lock of ``spec``'s dlt pipeline, False if another holder has it.

    ``directory`` is the settings' ``schedule_dir``: locks live beside the data they guard.
    """
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(directory / f"{spec.dlt_name}.lock", thread_local=False, is_singleton=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
