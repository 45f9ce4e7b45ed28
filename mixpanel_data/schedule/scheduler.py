"""The foreground scheduler behind ``mp schedule run``.

Each pipeline with a ``schedule`` runs at its cron times through ``runner.run_pipeline`` (the
same code as ``mp run``), inside :func:`~mixpanel_data.schedule.lock.run_lock`: a run that finds
the lock taken (another scheduler, a manual run) is skipped and logged, never queued.

Catch-up: on start, a pipeline whose last recorded cron time is older than its latest due time
missed runs while no scheduler was up; it runs once for the latest one, not once per miss. A
pipeline with no history waits for its next time.

Shutdown: SIGTERM/SIGINT set a flag; a load in progress finishes (dlt commits rows and cursor
together), then the loop ends. A second signal interrupts at once: dlt then finishes or drops
the half-done package on the next run (``runner.finish_pending``), so no row is lost or doubled.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.local import history
from mixpanel_data.schedule.lock import run_lock

if TYPE_CHECKING:
    from mixpanel_data.run.runner import RunSummary

logger = logging.getLogger("mixpanel_data.schedule")
Clock = Callable[[], datetime]


class Scheduler:
    """Runs due pipelines until :meth:`stop` (or a signal) asks it to end."""

    def __init__(
        self,
        specs: Iterable[PipelineSpec],
        settings: Settings,
        *,
        run: Callable[[PipelineSpec], object] | None = None,
        clock: Clock | None = None,
        max_sleep: float = 30.0,
    ) -> None:
        """``run`` stands in for ``run_pipeline``: the ``rows_new`` of what it returns, when it
        has one, is recorded."""
        self.specs = [s for s in specs if s.schedule is not None]
        self.settings = settings
        self._history = settings.schedule_dir
        self._run = run or (lambda spec: _run_pipeline(spec, settings))
        self._clock = clock or settings.clock.now
        self._max_sleep = max_sleep
        self._stopping = threading.Event()
        self._signals = 0
        self.next_due: dict[str, datetime] = {}

    # ----- lifecycle ------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the run in progress (if any), then return from :meth:`serve`."""
        self._stopping.set()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            raise KeyboardInterrupt
        logger.info("%s received: stopping after the run in progress", signal.Signals(signum).name)
        self.stop()

    def serve(self, *, once: bool = False) -> None:
        """Catch up, then loop: run what is due, sleep until the next time (or a stop)."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            self.catch_up()
            while not self._stopping.is_set() and not once:
                self.tick()
                self._sleep()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _sleep(self) -> None:
        if not self.next_due:
            self._stopping.wait(self._max_sleep)
            return
        wait = (min(self.next_due.values()) - self._clock()).total_seconds()
        self._stopping.wait(min(max(wait, 0.05), self._max_sleep))

    # ----- scheduling -----------------------------------------------------------------------
    def catch_up(self) -> None:
        """Run once each pipeline that missed at least one time; then plan the next times."""
        now = self._clock()
        for spec in self.specs:
            assert spec.schedule is not None
            due = spec.schedule.previous_run(now)
            last = history.last_scheduled(self._history, spec.name)
            if last is not None and last < due and not self._stopping.is_set():
                logger.info("%s missed its run at %s: catching up once", spec.name, due)
                self.run_one(spec, due)
            self.next_due[spec.name] = spec.schedule.next_run(now)

    def tick(self) -> None:
        """Run every pipeline whose next time has come (once), then plan its following one."""
        for spec in self.specs:
            assert spec.schedule is not None
            due = self.next_due.get(spec.name)
            if due is None or self._stopping.is_set():
                continue
            now = self._clock()
            if due <= now:
                self.run_one(spec, due)
                self.next_due[spec.name] = spec.schedule.next_run(max(now, due))

    def run_one(self, spec: PipelineSpec, scheduled_for: datetime) -> str:
        """One locked, recorded run: ``success``, ``failure``, ``interrupted`` or ``skipped``."""
        with run_lock(self._history, spec) as held:
            if not held:
                logger.info("%s: skipped, another run holds its lock", spec.name)
                return "skipped"
            run_id = history.record_start(self._history, spec.name, scheduled_for)
            logger.info("%s: run started (scheduled for %s)", spec.name, scheduled_for)
            started = time.monotonic()
            try:
                summary = self._run(spec)
            except KeyboardInterrupt:
                elapsed = time.monotonic() - started
                history.record_end(self._history, run_id, "interrupted", None, elapsed)
                logger.info("%s: run interrupted", spec.name)
                raise
            except Exception as exc:  # recorded and logged; the scheduler keeps serving the rest
                elapsed = time.monotonic() - started
                message = " ".join(str(exc).split())[:500] or type(exc).__name__
                history.record_end(self._history, run_id, "failure", None, elapsed, message)
                logger.error("%s: run failed after %.1fs: %s", spec.name, elapsed, message)
                return "failure"
            elapsed = time.monotonic() - started
            rows = getattr(summary, "rows_new", None)
            history.record_end(self._history, run_id, "success", rows, elapsed)
            logger.info("%s: run finished: %s new rows in %.1fs", spec.name, rows, elapsed)
            return "success"


def _run_pipeline(spec: PipelineSpec, settings: Settings) -> RunSummary:
    from mixpanel_data.run.runner import run_pipeline

    return run_pipeline(spec, settings)
