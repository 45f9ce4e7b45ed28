"""One run of a dlt pipeline at a time, across threads and processes: an ``flock`` per pipeline.

The lock is keyed on the dlt pipeline (destination + dataset), because two named pipelines that
share one also share its working folder and cursors. ``flock`` locks belong to the open file, so
two schedulers (or a scheduler and a second thread) exclude each other, and the kernel frees the
lock when a holder dies, so a killed scheduler never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from mixpanel_data.pipelines import PipelineSpec
from mixpanel_data.schedule.history import schedule_dir


@contextmanager
def run_lock(spec: PipelineSpec) -> Iterator[bool]:
    """Yields True holding the lock of ``spec``'s dlt pipeline, False if another holder has it."""
    path = schedule_dir() / f"{spec.dlt_name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
