"""Export bodies per day, compressed once and reused: in memory up to a budget, then on disk.

Serving then costs a file read and a socket write, so a benchmark measures the client, not the
generator. Entries are keyed by (day, late-data version, time_in_ms, serializer variant) and
hold the visibility cut they were built at: an entry is reused for every ``now`` at which the
same rows are processed (no row's processing time falls between the entry's cut and ``now``);
a day whose rows are all processed is reused forever.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

from mixpanel_data.standin.generator import ALWAYS, NEVER, DayBatch, generate_day
from mixpanel_data.standin.gzipjoin import Segment, compress_segment
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.serialize import encoder
from mixpanel_data.standin.spec import ProjectSpec

READ_CHUNK = 1 << 20
KEEP_CUTS = 2  # entries per key: the current cut and the one before (a clock set back)
Key = tuple[date, int, bool, int]


def build_segment(
    spec: ProjectSpec, day: date, time_in_ms: bool, now_ms: int, variant: int = 0
) -> tuple[Segment, int, int]:
    """One day's compressed body at ``now_ms`` and its cut window (runs in worker processes)."""
    full = generate_day(spec, day)
    lo, hi = full.cut_window(now_ms)
    batch = full.visible(now_ms)
    return compress_segment(encode_batch(batch, time_in_ms, variant), len(batch.events)), lo, hi


def encode_batch(batch: DayBatch, time_in_ms: bool = False, variant: int = 0) -> bytes:
    """JSONL text of a day's rows, ``time`` in seconds (or milliseconds)."""
    dumps = encoder(variant)
    if not batch.events:
        return b""
    if not time_in_ms:
        return b"\n".join(map(dumps, batch.events)) + b"\n"
    lines = []
    for ev, utc_ms in zip(batch.events, batch.utc_ms, strict=True):
        props = dict(ev["properties"])
        props["time"] = props["time"] * 1000 + utc_ms % 1000
        lines.append(dumps({"event": ev["event"], "properties": props}))
    return b"\n".join(lines) + b"\n"


@dataclass(frozen=True)
class Stored:
    """A cached segment: its metadata, the bytes or the file holding them, and the span of
    ``now`` values ``[valid_from, valid_until)`` (epoch ms) it is correct for."""

    segment: Segment  # ``deflate`` is empty when spilled to disk
    deflate_len: int
    path: str | None
    valid_from: int = ALWAYS
    valid_until: int = NEVER

    def valid_at(self, now_ms: int) -> bool:
        """Whether exactly these rows are processed at ``now_ms``."""
        return self.valid_from <= now_ms < self.valid_until

    def iter_deflate(self) -> Iterator[bytes]:
        """The raw-deflate bytes in chunks."""
        if self.path is None:
            view = memoryview(self.segment.deflate)
            for i in range(0, len(view), READ_CHUNK):
                yield bytes(view[i : i + READ_CHUNK])
            return
        with open(self.path, "rb") as fh:
            while chunk := fh.read(READ_CHUNK):
                yield chunk


class BodyCache:
    """Compressed day segments, built on first use (or up front by ``prepare``)."""

    def __init__(self, project: Project, memory_budget: int = 256 << 20) -> None:
        self.project = project
        self.memory_budget = memory_budget
        self._mem_used = 0
        self._entries: dict[Key, list[Stored]] = {}
        self._locks: dict[Key, threading.Lock] = {}
        self._guard = threading.Lock()
        self._dir: str | None = None

    def _find(self, key: Key, now_ms: int) -> Stored | None:
        for item in self._entries.get(key, ()):
            if item.valid_at(now_ms):
                return item
        return None

    def get(
        self, day: date, time_in_ms: bool = False, now_ms: int | None = None, variant: int = 0
    ) -> Stored:
        """The segment of one export day at ``now_ms`` (default: now), built once per cut."""
        now_ms = self.project.now_ms() if now_ms is None else now_ms
        key = (day, self.project.version(day), time_in_ms, variant)
        with self._guard:
            hit = self._find(key, now_ms)
            if hit is not None:
                return hit
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                hit = self._find(key, now_ms)
            if hit is None:
                hit = self._build(day, time_in_ms, now_ms, variant)
                self._add(key, hit)
        return hit

    def _build(self, day: date, time_in_ms: bool, now_ms: int, variant: int) -> Stored:
        """Generate, cut at ``now_ms``, encode and compress one day."""
        full = self.project.full_batch(day, cache=False)
        lo, hi = full.cut_window(now_ms)
        batch = full.visible(now_ms)
        seg = compress_segment(encode_batch(batch, time_in_ms, variant), len(batch.events))
        return self._store(day, time_in_ms, seg, lo, hi)

    def _add(self, key: Key, item: Stored) -> None:
        """Keep the newest ``KEEP_CUTS`` entries of a key; free the others."""
        with self._guard:
            items = self._entries.setdefault(key, [])
            items.insert(0, item)
            dropped = items[KEEP_CUTS:]
            del items[KEEP_CUTS:]
            for old in dropped:
                if old.path is None:
                    self._mem_used -= old.deflate_len
        for old in dropped:
            if old.path is not None:
                with contextlib.suppress(OSError):
                    os.remove(old.path)

    def _store(
        self, day: date, time_in_ms: bool, seg: Segment, lo: int = ALWAYS, hi: int = NEVER
    ) -> Stored:
        """Keep a segment in memory, or on disk past the memory budget."""
        with self._guard:
            in_memory = self._mem_used + len(seg.deflate) <= self.memory_budget
            if in_memory:
                self._mem_used += len(seg.deflate)
            elif self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="mp-standin-")
        if in_memory:
            return Stored(seg, len(seg.deflate), None, lo, hi)
        assert self._dir is not None
        path = os.path.join(self._dir, f"{day.isoformat()}-{id(seg)}-{int(time_in_ms)}.deflate")
        with open(path, "wb") as fh:
            fh.write(seg.deflate)
        slim = Segment(b"", seg.crc, seg.size, seg.lines)
        return Stored(slim, len(seg.deflate), path, lo, hi)

    def prepare(
        self,
        days: list[date],
        time_in_ms: bool = False,
        workers: int = 1,
        now_ms: int | None = None,
        variant: int = 0,
    ) -> int:
        """Build every listed day now (in ``workers`` processes); returns the rows cached.

        Workers are forked (spawn would re-run the caller's ``__main__``), so they are used only
        while this process has a single thread (e.g. before ``StandIn.start``) and only for
        days without late data; otherwise days are built here, one by one.
        """
        now_ms = self.project.now_ms() if now_ms is None else now_ms
        with self._guard:
            todo = [
                d
                for d in days
                if self.project.version(d) == 0
                and self._find((d, 0, time_in_ms, variant), now_ms) is None
            ]
        if workers > 1 and len(todo) > 1 and threading.active_count() == 1:
            fork = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=fork) as pool:
                n = len(todo)
                built = pool.map(
                    build_segment,
                    [self.project.spec] * n,
                    todo,
                    [time_in_ms] * n,
                    [now_ms] * n,
                    [variant] * n,
                )
                for day, (seg, lo, hi) in zip(todo, built, strict=True):
                    self._add(
                        (day, 0, time_in_ms, variant), self._store(day, time_in_ms, seg, lo, hi)
                    )
        return sum(self.get(day, time_in_ms, now_ms, variant).segment.lines for day in days)

    def clear(self) -> None:
        """Forget everything (``reset``) and delete spilled files."""
        with self._guard:
            self._entries.clear()
            self._locks.clear()
            self._mem_used = 0
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
