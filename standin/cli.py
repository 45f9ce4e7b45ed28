"""Command line for a stand-in in its own process: prints the base URL, serves until signalled.

python -m mixpanel_data.standin --days 30 --events-per-day 50000 --prepare --url-file u.txt
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from datetime import date, datetime
from types import FrameType

from mixpanel_data.standin.engage import profile_snapshot
from mixpanel_data.standin.limits import RateLimits
from mixpanel_data.standin.serialize import SERIALIZERS
from mixpanel_data.standin.server import StandIn
from mixpanel_data.standin.spec import LAG_PROFILES, ProjectSpec


def build_parser() -> argparse.ArgumentParser:
    """The CLI's flags (documented in README.md)."""
    p = argparse.ArgumentParser(
        prog="python -m mixpanel_data.standin",
        description="Serve a generated Mixpanel project on 127.0.0.1.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--events-per-day", type=int, default=500)
    p.add_argument("--profiles", type=int, default=200)
    p.add_argument(
        "--start", type=date.fromisoformat, default=date(2024, 3, 1), help="first day, YYYY-MM-DD"
    )
    p.add_argument("--timezone", default="America/Los_Angeles")
    p.add_argument(
        "--legacy-tz",
        action="store_true",
        help="project created before 2023: shifted times, local export days",
    )
    p.add_argument("--fat", action="store_true", help="pad events to ~1 KB")
    p.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="the project's wall time, ISO 8601 (naive = UTC; default: real now)",
    )
    p.add_argument(
        "--lag",
        choices=LAG_PROFILES,
        default="mixed",
        help="processing-lag profile (default: mixed)",
    )
    p.add_argument(
        "--very-late-rate", type=float, default=0.0, help="share of rows processed 6-30 days late"
    )
    p.add_argument(
        "--active-day-rate", type=float, default=1.0, help="share of days that have events at all"
    )
    p.add_argument(
        "--serializer",
        choices=SERIALIZERS,
        default="stable",
        help="varying: each export request writes the rows in another JSON form",
    )
    p.add_argument(
        "--prepare",
        action="store_true",
        help="pre-build every day's export body before printing the URL",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes used by --prepare (default: CPU count)",
    )
    p.add_argument("--url-file", help="also write the base URL to this file")
    p.add_argument(
        "--rate-limits", action="store_true", help="enforce Mixpanel's documented rate limits"
    )
    p.add_argument(
        "--cache-memory-mb",
        type=int,
        default=256,
        help="compressed export bodies kept in memory before spilling to disk",
    )
    return p


def spec_from_args(args: argparse.Namespace) -> ProjectSpec:
    """A ProjectSpec from parsed flags."""
    return ProjectSpec(
        seed=args.seed,
        start=args.start,
        days=args.days,
        events_per_day=args.events_per_day,
        profiles=args.profiles,
        timezone=args.timezone,
        legacy_timezone=args.legacy_tz,
        fat_properties=args.fat,
        now=args.now,
        lag=args.lag,
        very_late_rate=args.very_late_rate,
        active_day_rate=args.active_day_rate,
    )


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; the URL goes to stdout, diagnostics to stderr."""
    args = build_parser().parse_args(argv)
    limits = RateLimits.documented() if args.rate_limits else None
    standin = StandIn(
        spec_from_args(args),
        host=args.host,
        port=args.port,
        rate_limits=limits,
        cache_memory=args.cache_memory_mb << 20,
        serializer=args.serializer,
    )
    if args.prepare:
        began = time.perf_counter()
        rows = standin.prepare(workers=args.workers)
        took = time.perf_counter() - began
        print(
            f"prepared {rows} rows in {took:.1f}s ({rows / max(took, 1e-9):,.0f} rows/s)",
            file=sys.stderr,
            flush=True,
        )
        began = time.perf_counter()
        profiles = len(profile_snapshot(standin.state.project).fragments)
        print(
            f"prepared {profiles} profiles in {time.perf_counter() - began:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    url = standin.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.url_file:
        with open(args.url_file, "w", encoding="utf-8") as fh:
            fh.write(url + "\n")
    print(url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0
