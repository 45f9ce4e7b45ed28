"""Download export windows concurrently and hand back parsed Arrow tables, memory bounded.

Each worker thread asks the planner for its next whole-day window, downloads it (the client
spools and verifies it before yielding, so a retried window never emits rows twice), parses its
batches and keeps one copy of each event (``window_dedupe``). A bounded queue between workers and
dlt caps how many parsed batches wait in memory.

A window's tables all reach the consumer before its ``done`` notice, so a caller that records
progress on ``done`` never records a window whose rows it has not received. Running out of
Mixpanel's budget (``RateLimitError``, after the allowed wait) is a soft stop: no new window
starts, the windows in flight finish, and ``FetchStats.stopped`` holds the error, so the rows
fetched so far can still be committed.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol, TypeAlias

import pyarrow as pa

from mixpanel_data.api.export import FD_DIR, ExportStats, ExportTooLarge
from mixpanel_data.exceptions import RateLimitError
from mixpanel_data.sources.mixpanel.daysums import DayTally, Fingerprint, changed_days
from mixpanel_data.sources.mixpanel.events_arrow import EventParser
from mixpanel_data.sources.mixpanel.settings import (
    DEFAULT_BATCH_BYTES,
    QUEUE_DEPTH,
    WINDOW_DEDUPE_MEMORY_BYTES,
)
from mixpanel_data.sources.mixpanel.window_dedupe import WindowDedupe
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner


class ExportClient(Protocol):
    """What the fetcher needs of ``MixpanelClient``: one window's verified export batches."""

    def export_batches(
        self,
        from_date: date,
        to_date: date,
        *,
        events: Sequence[str] | None = ...,
        where: str | None = ...,
        batch_bytes: int = ...,
        spool_dir: str | os.PathLike[str] | None = ...,
        stats: ExportStats | None = ...,
        max_bytes: int | None = ...,
        probe: Callable[[Iterator[bytearray]], bool] | None = ...,
    ) -> Iterator[bytes | bytearray]: ...


class FetchObserver(Protocol):
    """Progress hooks (the CLI draws a progress bar from them); all optional to implement.

    Each hook is looked up when it is due (``getattr``), so an object with only some of them
    works; a type checker, which cannot express optional methods, asks for all four.
    """

    def days_planned(self, start: date, end: date) -> None: ...

    def window_done(self, window: Window, rows: int) -> None: ...

    def waiting(self, label: str, seconds: float) -> None: ...

    def notice(self, message: str) -> None: ...


@dataclass
class FetchStats:
    """What one run fetched, for the run summary."""

    rows_fetched: int = 0
    profiles_fetched: int = 0
    windows: list[Window] = field(default_factory=list)
    requests: int = 0
    stopped: RateLimitError | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self, window: Window) -> None:
        with self._lock:
            self.windows.append(window)

    def add(self, rows: int) -> None:
        with self._lock:
            self.rows_fetched += rows

    def add_profiles(self, rows: int) -> None:
        with self._lock:
            self.profiles_fetched += rows

    def stop(self, error: RateLimitError) -> None:
        """Remember the first budget stop of the run (the runner reports it after committing)."""
        with self._lock:
            if self.stopped is None:
                self.stopped = error

    @property
    def days(self) -> int:
        return sum(w.days for w in self.windows)


@dataclass(frozen=True)
class ExportRequest:
    """The export filters every window shares."""

    events: Sequence[str] | None = None
    where: str | None = None
    batch_bytes: int = DEFAULT_BATCH_BYTES
    spool_dir: Path | None = None
    """Downloads are verified on disk before use; keep them beside the data, not in /tmp."""
    max_window_bytes: int | None = None
    """A window of several days whose export grows past this is stopped and split in two."""


Fingerprints: TypeAlias = dict[str, Fingerprint]
"""Export day (ISO) -> its fingerprint (``daysums``)."""
Known: TypeAlias = Callable[[Window], Fingerprints | None]
"""The stored fingerprints of every day of a window, or None when some day has none."""

_Message: TypeAlias = (
    pa.Table
    | tuple[Literal["done"], Window, int, Fingerprints]
    | tuple[Literal["error"], BaseException]
    | tuple[Literal["exit"]]
)
"""What a worker hands the consumer: a parsed table, a window done (with its rows and its days'
fingerprints), its failure, or its end."""


def fetch_tables(
    client: ExportClient,
    parser: EventParser,
    planner: WindowPlanner,
    request: ExportRequest,
    *,
    concurrency: int,
    stats: FetchStats | None = None,
    observer: FetchObserver | None = None,
    on_done: Callable[[Window, Fingerprints], None] | None = None,
    known: Known | None = None,
) -> Iterator[pa.Table]:
    """Yield Arrow tables of every window, in completion order, at most QUEUE_DEPTH buffered.

    ``on_done(window, fingerprints)`` runs in the consumer's thread once all of the window's
    tables went out. With ``known``, a window whose every day has a stored fingerprint is first
    tallied from its spool; only the days that changed are parsed and yielded (``daysums``).
    """
    stats = stats if stats is not None else FetchStats()
    out: queue.Queue[_Message] = queue.Queue(maxsize=QUEUE_DEPTH)
    cancel = threading.Event()  # the consumer went away: stop at once
    failed = threading.Event()  # a worker failed: the run fails, stop at once
    stopping = threading.Event()  # the budget ran out: finish the windows in flight, start none

    def put(item: _Message) -> None:
        while not cancel.is_set():
            try:
                out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def fetch(window: Window) -> tuple[int, Fingerprints]:
        export = ExportStats()
        tally = DayTally()
        stored = known(window) if known is not None else None
        keep: set[date] | None = None  # the days to load; None: all of them

        def probe(batches: Iterator[bytearray] | str) -> bool:
            nonlocal keep, tally
            keyed, seen = DayTally(), dict[str, int]()
            if isinstance(batches, str):
                parser.tally_file(batches, seen, keyed)
            else:
                for data in batches:
                    parser.tally(data, seen, keyed)
            assert stored is not None
            keep = changed_days(keyed, window, stored)
            if not keep:
                tally = keyed  # nothing changed: the stored fingerprints stand
            return bool(keep)

        window_rows = WindowDedupe(WINDOW_DEDUPE_MEMORY_BYTES, request.spool_dir)
        seen: dict[str, int] = {}  # identical rows without $insert_id, across the batches

        def hold(table: pa.Table) -> None:
            if cancel.is_set() or failed.is_set():
                raise _Abandoned  # never "done": its rows did not all go out
            window_rows.add(table if keep is None else _only_days(table, keep))

        def parse(item: str | bytes | bytearray) -> Iterable[pa.Table]:
            """A spool file's path (read by DuckDB), or a batch of its lines."""
            if isinstance(item, str):
                return parser.parse_file(item, seen, tally)
            return (parser.parse(item, seen, tally),)

        max_bytes = request.max_window_bytes if window.days > 1 else None
        spooled: Iterator[str] | Iterator[bytes | bytearray]
        if FD_DIR is not None and hasattr(client, "export_files"):  # DuckDB reads the spool
            spooled = client.export_files(
                window.start,
                window.end,
                events=request.events,
                where=request.where,
                spool_dir=request.spool_dir,
                stats=export,
                max_bytes=max_bytes,
                probe=probe if stored is not None else None,
            )
        else:
            spooled = client.export_batches(
                window.start,
                window.end,
                events=request.events,
                where=request.where,
                batch_bytes=request.batch_bytes,
                spool_dir=request.spool_dir,
                stats=export,
                max_bytes=max_bytes,
                probe=probe if stored is not None else None,
            )
        measured = False
        try:
            for item in spooled:
                if not measured:  # the whole window is spooled: size the next windows from it
                    planner.observe(window, export.bytes)
                    measured = True
                for table in parse(item):
                    hold(table)
            for table in window_rows.tables():
                put(table)
        finally:  # the spool file goes now, even on a parse error
            window_rows.close()
            close = getattr(spooled, "close", None)
            if close is not None:
                close()
            release_arrow_memory()
        if not measured:
            planner.observe(window, export.bytes)
        fingerprints = tally.of(window)
        return sum(count for count, _ in fingerprints.values()), fingerprints

    def work() -> None:
        try:
            while not (cancel.is_set() or failed.is_set() or stopping.is_set()):
                window = planner.next()
                if window is None:
                    break
                try:
                    rows, fingerprints = fetch(window)
                except ExportTooLarge as exc:
                    planner.split(window, exc.size)
                    continue
                stats.started(window)
                stats.add(rows)
                put(("done", window, rows, fingerprints))
        except _Abandoned:
            pass
        except RateLimitError as exc:  # a soft stop: the others finish their windows
            stopping.set()
            stats.stop(exc)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            failed.set()  # the other workers start no new window (each costs a request)
            put(("error", exc))
        finally:
            put(("exit",))

    if request.spool_dir is not None:
        request.spool_dir.mkdir(parents=True, exist_ok=True)
    workers: list[threading.Thread] = []
    try:
        for i in range(max(1, concurrency)):
            worker = threading.Thread(target=work, name=f"mp-export-{i}", daemon=True)
            worker.start()
            workers.append(worker)
        yield from _drain(out, len(workers), observer, on_done)
    finally:
        cancel.set()
        for worker in workers:
            worker.join()


def release_arrow_memory() -> None:
    """Hand the memory of a window's freed Arrow buffers back to the system.

    Arrow's allocator (mimalloc in the wheels) keeps freed pages for reuse, so RSS stayed at
    the extract's high-water mark through dlt's load, where DuckDB's buffer pool came on top:
    at 100k events RSS before the load was 396 MB instead of 307, and the run peaked at 720 MB
    instead of 557 (benchmarks/memory_probe.py). A release costs microseconds: once per window,
    and once more when the extract ends.
    """
    pa.default_memory_pool().release_unused()


class _Abandoned(Exception):
    """A window cut short because the run is failing or its consumer left."""


def _only_days(table: pa.Table, days: set[date]) -> pa.Table:
    """The rows of ``table`` whose export day is one of ``days``."""
    import pyarrow.compute as pc

    wanted = pa.array(sorted(days), type=pa.date32())
    return table.filter(pc.is_in(table.column("export_date"), value_set=wanted))


def _drain(
    out: queue.Queue[_Message],
    workers: int,
    observer: FetchObserver | None,
    on_done: Callable[[Window, Fingerprints], None] | None,
) -> Iterator[pa.Table]:
    while workers:
        item = out.get()
        if isinstance(item, pa.Table):
            if item.num_rows:
                yield item
            continue
        match item:
            case ("done", window, rows, fingerprints):
                if on_done is not None:
                    on_done(window, fingerprints)
                _notify(observer, "window_done", window, rows)
            case ("exit",):
                workers -= 1
            case ("error", error):
                raise error


def _notify(observer: object | None, hook: str, *args: object) -> None:
    method: Callable[..., None] | None = getattr(observer, hook, None)
    if method is not None:
        method(*args)
