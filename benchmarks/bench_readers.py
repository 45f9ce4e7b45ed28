"""How long readers wait while a load writes: ``mp sql`` in a loop during ``mp run events``.

    .venv/bin/python benchmarks/bench_readers.py                  # 1M fat events, 30 days
    .venv/bin/python benchmarks/bench_readers.py --events 100k --days 10

The stand-in serves the events (its own process, as in ``bench_events.py``); a first load of
one day creates the database; then the whole range loads in a child process while one reader
after another runs ``mp sql --scalar "SELECT count(*) FROM events"``. Each reader's wall time
against the same reader's time with no load running (median of 5) is the time it was held up by
the database lock (``mixpanel_data.local.dblock``). Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_events import (  # noqa: E402  (the benchmarks folder is not a package)
    StandInProcess,
    child_env,
    count,
    export_end_day,
    human,
    say,
)

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]
READ = ["sql", "--scalar", "SELECT count(*) FROM events"]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run([*MP, *args], env=env, capture_output=True, text=True, timeout=600)
    return time.monotonic() - started, done.returncode


def measure(args: argparse.Namespace) -> dict[str, Any]:
    per_day = max(1, round(args.events / args.days))
    end = export_end_day()
    start = end - timedelta(days=args.days - 1)
    workdir = Path(tempfile.mkdtemp(prefix="readers-"))
    say(f"stand-in: {args.days} days x ~{per_day:,} fat events, preparing ...")
    prepare = 120 + args.events / 5_000
    with StandInProcess(workdir, args.days, per_day, start, timeout=prepare) as si:
        tmp = workdir / "tmp"
        tmp.mkdir()
        env = child_env(si.url, si.info, workdir / "data", tmp)
        first = subprocess.run(
            [*MP, "run", "events", "--from", str(start), "--to", str(start)],
            env=env,
            capture_output=True,
            text=True,
        )
        if first.returncode:
            raise SystemExit(f"first load failed: {first.stderr.strip()}")
        baseline = statistics.median(timed(READ, env)[0] for _ in range(5))
        say(f"reader alone: {baseline:.2f} s; loading {start}..{end} with readers running ...")
        readers: list[tuple[float, int]] = []
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                readers.append(timed(READ, env))

        thread = threading.Thread(target=loop)
        started = time.monotonic()
        load = subprocess.Popen(
            [*MP, "run", "events", "--from", str(start), "--to", str(end)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        thread.start()
        _, err = load.communicate()
        load_seconds = time.monotonic() - started
        stop.set()
        thread.join()
    held = [max(0.0, seconds - baseline) for seconds, _ in readers]
    return {
        "events": args.events,
        "days": args.days,
        "load_exit": load.returncode,
        "load_error": err.strip().splitlines()[-1:] if load.returncode else [],
        "load_seconds": round(load_seconds, 1),
        "reader_alone_seconds": round(baseline, 2),
        "readers": len(readers),
        "readers_failed": sum(1 for _, rc in readers if rc != 0),
        "readers_busy_exit_6": sum(1 for _, rc in readers if rc == 6),
        "held_max_seconds": round(max(held, default=0.0), 1),
        "held_median_seconds": round(statistics.median(held) if held else 0.0, 2),
        "held_total_seconds": round(sum(held), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=count, default=1_000_000, help="default 1M")
    parser.add_argument("--days", type=int, default=30, help="default 30")
    args = parser.parse_args()
    figures = measure(args)
    say(f"[{human(args.events)}] " + json.dumps(figures))
    return 0 if figures["load_exit"] == 0 and not figures["readers_failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
