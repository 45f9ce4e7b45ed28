"""The progress bar of a load: export days done and rows fetched, drawn by rich.

One bar for every way a load runs (``mp run``, ``mp demo``, ``Workspace.fetch_events``): it
implements the source's ``FetchObserver`` hooks. Waits for Mixpanel's budget and run notices
(an unknown time zone) are printed as lines above the bar, or passed to ``status`` when the bar
is off, so a run that sits waiting for 12 minutes says why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from mixpanel_data.sources.mixpanel.windows import Window


class WindowProgress:
    """A bar over export days on ``console``; a context manager around the run.

    ``transient`` removes the bar when the run ends (a notebook keeps only the result).
    """

    def __init__(
        self,
        enabled: bool,
        console: Console,
        status: Callable[[str], None] | None = None,
        *,
        transient: bool = False,
    ) -> None:
        self.enabled = enabled
        self._status = status
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=transient,
            disable=not enabled,
        )
        self._task: TaskID | None = None
        self._rows = 0

    def __enter__(self) -> WindowProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def days_planned(self, start: date, end: date) -> None:
        self._rows = 0
        days = (end - start).days + 1
        self._task = self._progress.add_task(f"export {start}..{end} (days)", total=days, rows=0)

    def window_done(self, window: Window, rows: int) -> None:
        self._rows += rows
        if self._task is not None:
            self._progress.update(self._task, advance=window.days, rows=self._rows)

    def waiting(self, label: str, seconds: float) -> None:
        """A wait for Mixpanel's budget starts (the API client's ``on_wait``)."""
        from mixpanel_data.api.limiter import duration_text

        self.notice(f"waiting {duration_text(seconds)} for Mixpanel's {label}")

    def notice(self, message: str) -> None:
        """One line above the bar (or alone on stderr)."""
        if self.enabled:
            self._progress.console.print(message, markup=False, highlight=False)
        elif self._status is not None:
            self._status(message)
