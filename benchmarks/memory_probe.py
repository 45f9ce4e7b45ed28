"""Where an events load's memory goes: RSS at each dlt step boundary and around each parse.

    .venv/bin/python benchmarks/memory_probe.py --events 100k [--python-heap] [VAR=VALUE ...]

Starts the stand-in like bench_events.py, then runs the measured child (``_bench_child.py
ours``) with probes: resident memory split into anonymous (heap: Python, DuckDB, Arrow) and
file-backed (shared-library code) pages before and after dlt's extract, normalize and load,
and after every export batch parse. ``--python-heap`` adds tracemalloc's count of Python
allocations (slower). ``VAR=VALUE`` arguments go into the child's environment (e.g.
``MP_DUCKDB_MEMORY_LIMIT=128MB``). Unmeasured for time; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _resident() -> str:
    fields = ("Rss", "Anonymous")
    with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
        got = {
            ln.split(":")[0]: int(ln.split()[1]) // 1024 for ln in fh if ln.split(":")[0] in fields
        }
    return f"rss {got['Rss']} MB (anonymous {got['Anonymous']} MB)"


def _say(text: str) -> None:
    print(f"[probe] {text}", flush=True)


def child(argv: list[str]) -> int:
    """Inside the measured child: patch the probes in, then run ``_bench_child.main``."""
    sys.path.insert(0, str(HERE))
    import tracemalloc

    import _bench_child
    from dlt.pipeline.pipeline import Pipeline

    from mixpanel_data.sources.mixpanel import events_arrow

    if os.environ.get("PROBE_PYTHON_HEAP"):
        tracemalloc.start()

    def heap() -> str:
        if not tracemalloc.is_tracing():
            return ""
        current, peak = tracemalloc.get_traced_memory()
        return f"; Python heap {current / 2**20:.0f} MB (peak {peak / 2**20:.0f})"

    for step in ("extract", "normalize", "load"):
        original = getattr(Pipeline, step)

        def wrapped(self: Any, *a: Any, _orig: Any = original, _step: str = step, **k: Any) -> Any:
            _say(f"before {_step}: {_resident()}{heap()}")
            try:
                return _orig(self, *a, **k)
            finally:
                _say(f"after {_step}: {_resident()}, high-water {_bench_child._vm_hwm_mb():.0f} MB")

        setattr(Pipeline, step, wrapped)
    parse = events_arrow._run

    def probed(sql: str, lines: Any, params: Any = None) -> Any:
        out = parse(sql, lines, params)
        _say(f"parsed {lines.nbytes / 2**20:.0f} MB batch: {_resident()}{heap()}")
        return out

    events_arrow._run = probed
    _say(f"after imports: {_resident()}")
    return _bench_child.main(argv)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    import bench_events as be

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--events", type=be.count, default=100_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--python-heap", action="store_true")
    p.add_argument("env", nargs="*", metavar="VAR=VALUE")
    args = p.parse_args(argv)
    end = be.export_end_day()
    start = end - timedelta(days=args.days - 1)
    work = Path(tempfile.mkdtemp(prefix="mp-memory-probe-"))
    per_day = max(1, args.events // args.days)
    with be.StandInProcess(
        work, args.days, per_day, start, timeout=120 + args.events / 5_000
    ) as si:
        tmp = work / "tmp"
        tmp.mkdir()
        env = be.child_env(si.url, si.info, work / "data", tmp)
        env.update(dict(item.split("=", 1) for item in args.env))
        if args.python_heap:
            env["PROBE_PYTHON_HEAP"] = "1"
        res = work / "result.json"
        cmd = [be.PYTHON, str(Path(__file__).resolve()), "--child", "ours", "--result", str(res)]
        cmd += ["--from", start.isoformat(), "--to", end.isoformat(), "--no-instrument"]
        run = be.run_child(
            "probe", cmd, env=env, cwd=work, timeout=1800, log=work / "log", result_path=res
        )
    print("\n".join(ln for ln in (work / "log").read_text().splitlines() if "[probe]" in ln))
    shutil.rmtree(work, ignore_errors=True)
    steps = ", ".join(f"{s['step']} {s['peak_rss_mb']:,.0f} MB" for s in run.result["steps"])
    print(f"peak RSS {run.peak_rss_mb:,.0f} MB (os.wait4); sampled peak per dlt step: {steps}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
