"""Export bodies per day, compressed once and reused: in memory up to a budget, then on disk.

Serving then costs a file read and a socket write, so a benchmark measures the client, not the
generator. Entries are keyed by (day, late-data version, time_in_ms).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

import orjson
from mixpanel_data.standin.generator import DayBatch, generate_day
from mixpanel_data.standin.gzipjoin import Segment, compress_segment
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.spec import ProjectSpec

READ_CHUNK = 1 << 20


def build_segment(spec: ProjectSpec, day: date, time_in_ms: bool) -> Segment:
    """One day's compressed body from the spec alone (runs in worker processes)."""
    batch = generate_day(spec, day)
    return compress_segment(encode_batch(batch, time_in_ms), len(batch.events))


def encode_batch(batch: DayBatch, time_in_ms: bool = False) -> bytes:
    """JSONL text of a day's rows, ``time`` in seconds (or milliseconds)."""
    dumps = orjson.dumps
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
    """A cached segment: its metadata, and the bytes or the file holding them."""

    segment: Segment  # ``deflate`` is empty when spilled to disk
    deflate_len: int
    path: str | None

    def iter_deflate(self) -> Iterator[bytes]:
        """The raw-deflate bytes in chunks."""
        if self.path is None:
            view = memoryview(self.segment.deflate)
            for i in range(0, len(view), READ_CHUNK):
                yield bytes(view[i:i + READ_CHUNK])
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
        self._entries: dict[tuple[date, int, bool], Stored] = {}
        self._locks: dict[tuple[date, int, bool], threading.Lock] = {}
        self._guard = threading.Lock()
        self._dir: str | None = None

    def get(self, day: date, time_in_ms: bool = False) -> Stored:
        """The cached segment of one export day, building it once under a per-key lock."""
        key = (day, self.project.version(day), time_in_ms)
        with self._guard:
            hit = self._entries.get(key)
            if hit is not None:
                return hit
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._entries.get(key)
            if hit is None:
                hit = self._build(day, time_in_ms)
                with self._guard:
                    self._entries[key] = hit
        return hit

    def _build(self, day: date, time_in_ms: bool) -> Stored:
        """Generate, encode and compress one day."""
        batch = self.project.batch(day, cache=False)
        seg = compress_segment(encode_batch(batch, time_in_ms), len(batch.events))
        return self._store(day, time_in_ms, seg)

    def _store(self, day: date, time_in_ms: bool, seg: Segment) -> Stored:
        """Keep a segment in memory, or on disk past the memory budget."""
        with self._guard:
            in_memory = self._mem_used + len(seg.deflate) <= self.memory_budget
            if in_memory:
                self._mem_used += len(seg.deflate)
            elif self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="mp-standin-")
        if in_memory:
            return Stored(seg, len(seg.deflate), None)
        assert self._dir is not None
        path = os.path.join(self._dir, f"{day.isoformat()}-{id(seg)}-{int(time_in_ms)}.deflate")
        with open(path, "wb") as fh:
            fh.write(seg.deflate)
        slim = Segment(b"", seg.crc, seg.size, seg.lines)
        return Stored(slim, len(seg.deflate), path)

    def prepare(self, days: list[date], time_in_ms: bool = False, workers: int = 1) -> int:
        """Build every listed day now (in ``workers`` processes); returns the rows cached.

        Workers are forked (spawn would re-run the caller's ``__main__``), so they are used only
        while this process has a single thread (e.g. before ``StandIn.start``) and only for
        days without late data; otherwise days are built here, one by one.
        """
        todo = [d for d in days if self.project.version(d) == 0
                and (d, 0, time_in_ms) not in self._entries]
        if workers > 1 and len(todo) > 1 and threading.active_count() == 1:
            fork = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=fork) as pool:
                specs = [self.project.spec] * len(todo)
                flags = [time_in_ms] * len(todo)
                for day, seg in zip(todo, pool.map(build_segment, specs, todo, flags),
                                    strict=True):
                    stored = self._store(day, time_in_ms, seg)
                    with self._guard:
                        self._entries.setdefault((day, 0, time_in_ms), stored)
        return sum(self.get(day, time_in_ms).segment.lines for day in days)

    def clear(self) -> None:
        """Forget everything (``reset``) and delete spilled files."""
        with self._guard:
            self._entries.clear()
            self._locks.clear()
            self._mem_used = 0
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
