"""Download export windows concurrently and hand back parsed Arrow tables, memory bounded.

Each worker thread downloads one whole-day window (the client spools and verifies it before
yielding, so a retried window never emits rows twice) and parses its batches. A bounded queue
between workers and dlt caps how many parsed batches wait in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from mixpanel_data.sources.mixpanel.events_arrow import EventParser
from mixpanel_data.sources.mixpanel.settings import DEFAULT_BATCH_BYTES, QUEUE_DEPTH
from mixpanel_data.sources.mixpanel.windows import Window

from mixpanel_data.paths import data_dir


class ExportClient(Protocol):
    """What the fetcher needs of ``MixpanelClient``."""

    def export_batches(
        self, from_date: Any, to_date: Any, **kwargs: Any
    ) -> Iterator[bytes | bytearray]: ...


class FetchObserver(Protocol):
    """Progress hooks (the CLI draws a progress bar from them); all optional to implement."""

    def windows_planned(self, windows: Sequence[Window]) -> None: ...

    def window_done(self, window: Window, rows: int) -> None: ...


@dataclass
class FetchStats:
    """What one run fetched, for the run summary."""

    rows_fetched: int = 0
    windows: list[Window] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, rows: int) -> None:
        with self._lock:
            self.rows_fetched += rows

    @property
    def days(self) -> int:
        return sum(w.days for w in self.windows)


@dataclass(frozen=True)
class ExportRequest:
    """The export filters every window shares."""

    events: Sequence[str] | None = None
    where: str | None = None
    batch_bytes: int = DEFAULT_BATCH_BYTES
    spool_dir: Path | None = field(default_factory=lambda: data_dir() / "spool")
    """Downloads are verified on disk before use; keep them beside the data, not in /tmp."""


_DONE = object()


def fetch_tables(
    client: ExportClient,
    parser: EventParser,
    windows: Sequence[Window],
    request: ExportRequest,
    *,
    concurrency: int,
    stats: FetchStats | None = None,
    observer: FetchObserver | None = None,
) -> Iterator[pa.Table]:
    """Yield Arrow tables of every window, in completion order, at most QUEUE_DEPTH buffered."""
    stats = stats if stats is not None else FetchStats()
    stats.windows.extend(windows)
    _notify(observer, "windows_planned", windows)
    out: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
    cancel = threading.Event()

    def put(item: Any) -> None:
        while not cancel.is_set():
            try:
                out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def work(window: Window) -> None:
        try:
            rows = 0
            for data in client.export_batches(
                window.start,
                window.end,
                events=request.events,
                where=request.where,
                batch_bytes=request.batch_bytes,
                spool_dir=request.spool_dir,
            ):
                if cancel.is_set():
                    return
                table = parser.parse(data)
                rows += table.num_rows
                put(table)
            stats.add(rows)
            put(("done", window, rows))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    if request.spool_dir is not None:
        request.spool_dir.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="mp-export")
    try:
        for window in windows:
            pool.submit(work, window)
        yield from _drain(out, len(windows), observer)
    finally:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _drain(
    out: queue.Queue[Any], pending: int, observer: FetchObserver | None
) -> Iterator[pa.Table]:
    while pending:
        item = out.get()
        if isinstance(item, pa.Table):
            if item.num_rows:
                yield item
        elif item[0] == "done":
            pending -= 1
            _notify(observer, "window_done", item[1], item[2])
        else:
            raise item[1]


def _notify(observer: object | None, hook: str, *args: Any) -> None:
    method: Callable[..., None] | None = getattr(observer, hook, None)
    if method is not None:
        method(*args)
