"""Bucket a ``py-spy record --format raw --threads`` profile of the events pipeline by stage.

    .venv/bin/python benchmarks/profile_summary.py /tmp/prof.txt [--rate 100]

Each sample is attributed to the innermost frame that matches a stage rule (so a DuckDB call
made by the parser counts as "parse", a wait inside the fetcher's queue counts as "waiting").
Seconds are thread-seconds (samples / rate): threads run in parallel, and a thread blocked on
the GIL still shows its Python frame, so the figures say where threads *are*, not exclusive CPU.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# (substring of a frame, stage); checked from the innermost frame outwards, first hit wins.
RULES: tuple[tuple[str, str], ...] = (
    ("Condition.wait", "waiting (locks, queues, pools)"),
    ("Event.wait", "waiting (locks, queues, pools)"),
    ("Semaphore.acquire", "waiting (locks, queues, pools)"),
    ("Thread.join", "waiting (locks, queues, pools)"),
    ("_worker (concurrent/futures/thread.py", "waiting (locks, queues, pools)"),
    ("StreamDecoder.feed", "extract: gunzip (zlib)"),
    ("LineTail.feed", "extract: last-line check"),
    ("SyncStream.read", "extract: HTTP socket read"),
    ("httpcore", "extract: HTTP client (httpx/httpcore)"),
    ("httpx", "extract: HTTP client (httpx/httpcore)"),
    ("iter_line_batches", "extract: spool read-back into batches"),
    ("spool_body", "extract: spool file write"),
    ("lines_to_arrow", "extract: parse - split lines (numpy)"),
    ("EventParser._finish", "extract: parse - times/zones (numpy)"),
    ("EventParser.parse", "extract: parse - DuckDB JSON extract"),
    ("ParquetWriter", "dlt extract: write parquet"),
    ("ArrowToParquetWriter", "dlt extract: write parquet"),
    ("Incremental", "dlt extract: incremental cursor filter"),
    ("DuckDbCopyJob.run", "dlt load: parquet -> staging table"),
    ("SqlLoadJob.run", "dlt load: merge SQL (DELETE + INSERT dedupe)"),
    ("SqlMergeFollowupJob", "dlt load: merge SQL (DELETE + INSERT dedupe)"),
    ("table_counts", "run summary: row counts"),
    ("_rows_in_range", "run summary: row counts"),
    ("_find_and_load", "imports"),
    ("Normalize", "dlt normalize (other)"),
    ("Extract", "dlt extract (other)"),
    ("Load.", "dlt load (other)"),
    ("fetch_tables", "extract: fetcher (other)"),
)
_THREAD = re.compile(r"^thread \(\w+\):?\s*")


def thread_group(first_frame: str) -> str:
    name = _THREAD.sub("", first_frame).strip() or "?"
    if name.startswith("mp-export"):
        return "export workers"
    if name.startswith("dlt-pool"):
        return "dlt load pool"
    return name


def stage_of(frames: list[str]) -> str:
    if any("RssSampler" in frame for frame in frames):
        return "(benchmark's RSS sampler)"
    for frame in reversed(frames):
        for needle, stage in RULES:
            if needle in frame:
                return stage
    return "other"


def summarize(path: str | Path, rate: int = 100) -> str:
    """A text table of thread-seconds per stage (and per thread group) of one raw profile."""
    stages: Counter[str] = Counter()
    groups: Counter[tuple[str, str]] = Counter()
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        group = thread_group(frames[0]) if frames[0].startswith("thread") else "?"
        stage = stage_of(frames[1:] if frames[0].startswith("thread") else frames)
        stages[stage] += int(count)
        groups[(group, stage)] += int(count)
    busy = sum(n for s, n in stages.items() if not s.startswith(("waiting", "(")))
    out = [f"py-spy profile {path}: thread-seconds by stage ({rate} samples/s)"]
    for stage, n in stages.most_common():
        share = f"{n / busy:6.1%}" if busy and not stage.startswith(("waiting", "(")) else "     -"
        where = ", ".join(f"{g} {c / rate:.1f}" for (g, s), c in groups.most_common() if s == stage)
        out.append(f"  {n / rate:7.1f}s {share}  {stage}  [{where}]")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("raw", help="py-spy record --format raw --threads output")
    p.add_argument("--rate", type=int, default=100, help="the --rate py-spy sampled at")
    args = p.parse_args(argv)
    print(summarize(args.raw, args.rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
