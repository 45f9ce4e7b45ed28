"""Lake benchmark: the same events loaded into a Delta lake (filesystem) and into DuckDB.

    .venv/bin/python benchmarks/bench_lake.py                          # 200k events, 10 days
    .venv/bin/python benchmarks/bench_lake.py --events 1M --days 30
    .venv/bin/python benchmarks/bench_lake.py --events 100k --chunk-mb 16 --keep
    .venv/bin/python benchmarks/bench_lake.py --before    # + the old dedupe (_lake_before.py)

One stand-in (``--fat --prepare``, the helpers of bench_events.py) serves both loads; each is
``mp run <pipeline> --from --to`` in a fresh child process (whole-process wall time, peak RSS
from ``os.wait4``). The two tables are then compared: row count, distinct keys and the sum of
``mp_processing_time_ms`` (equal only when both kept the same copy of every duplicate).
``--before`` adds a third load into the lake with the dedupe step it replaced (first copy seen,
a Python set of keys), patched into that child by a ``sitecustomize`` (``_lake_before.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench_events import (
    HERE,
    PYTHON,
    TZ,
    BenchError,
    ChildRun,
    StandInProcess,
    child_env,
    count,
    export_end_day,
    human,
    run_child,
    say,
    work_directory,
)

MP = [PYTHON, "-c", "from mixpanel_data.cli.main import run; run()"]
PIPELINES = """
pipelines:
  duck:
    resources: [events]
    options: {{project_timezone: "{tz}"}}
  lake:
    resources: [events]
    destination: filesystem
    table_format: delta
    options: {{project_timezone: "{tz}"}}
  lake_before:
    resources: [events]
    destination: filesystem
    table_format: delta
    dataset: mixpanel_before
    options: {{project_timezone: "{tz}"}}
"""
SITECUSTOMIZE = "import _lake_before\n_lake_before.install()\n"
CHECK = (
    "SELECT count(*) AS n, count(DISTINCT event_key) AS keys, "
    "sum(mp_processing_time_ms) AS processed FROM events"
)


def load(name: str, env: dict[str, str], workdir: Path, first: str, last: str) -> ChildRun:
    """``mp run NAME --from FIRST --to LAST`` in a fresh process."""
    say(f"{name}: mp run {name} --from {first} --to {last} (fresh process) ...")
    run = run_child(
        name,
        [*MP, "--quiet", "run", name, "--from", first, "--to", last],
        env=env,
        cwd=workdir,
        timeout=3600,
        log=workdir / f"{name}.log",
    )
    say(f"{name}: {run.wall_seconds:.1f}s, peak RSS {run.peak_rss_mb:,.0f} MB")
    return run


def stored(name: str, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Rows, keys and the processing-time checksum of the pipeline's ``events`` table."""
    out = workdir / f"{name}-check.json"
    run_child(
        f"{name}-check",
        [*MP, "--format", "json", "sql", "--pipeline", name, CHECK],
        env=env,
        cwd=workdir,
        timeout=600,
        log=out,
    )
    answer: dict[str, Any] = json.loads(out.read_text())[0]
    return answer


def measure(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    per_day = max(1, round(args.events / args.days))
    end = export_end_day()
    start = end - timedelta(days=args.days - 1)
    workdir = Path(tempfile.mkdtemp(prefix=f"lake-{human(args.events)}-", dir=base))
    with StandInProcess(workdir, args.days, per_day, start, timeout=120 + args.events / 5_000) as s:
        say(f"stand-in at {s.url}: {s.prepare_line}")
        (workdir / "tmp").mkdir()
        (workdir / "pipelines.yaml").write_text(PIPELINES.format(tz=TZ))
        env = child_env(s.url, s.info, workdir / "data", workdir / "tmp")
        env["MP_PIPELINES"] = str(workdir / "pipelines.yaml")
        env["DESTINATION__FILESYSTEM__BUCKET_URL"] = (workdir / "lake").as_uri()
        if args.chunk_mb:
            env["MP_LOAD_CHUNK_MB"] = str(args.chunk_mb)
        first, last = str(start), str(end)
        runs = {name: load(name, env, workdir, first, last) for name in ("duck", "lake")}
        if args.before:
            shim = workdir / "before"
            shim.mkdir()
            (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
            old = {**env, "PYTHONPATH": os.pathsep.join([str(shim), str(HERE)])}
            runs["lake_before"] = load("lake_before", old, workdir, first, last)
        tables = {name: stored(name, env, workdir) for name in runs}
    return {"runs": runs, "tables": tables, "days": args.days, "events": args.events}


def render(result: dict[str, Any]) -> str:
    runs, tables = result["runs"], result["tables"]
    duck, lake = runs["duck"], runs["lake"]
    lines = [
        f"lake benchmark: {human(result['events'])} fat events over {result['days']} days, "
        "gzip over loopback HTTP, dedupe on; whole `mp run` processes",
        f"{'destination':<14}{'seconds':>9}{'rows/s':>10}{'peak RSS MB':>13}{'rows':>10}",
    ]
    labels = {"duck": "duckdb", "lake": "delta (lake)", "lake_before": "delta, before"}
    for name, label in labels.items():
        if name not in runs:
            continue
        run, rows = runs[name], tables[name]["n"]
        lines.append(
            f"{label:<14}{run.wall_seconds:>9.1f}{rows / run.wall_seconds:>10,.0f}"
            f"{run.peak_rss_mb:>13,.0f}{rows:>10,}"
        )
    same = tables["duck"] == tables["lake"]
    lines.append(
        f"delta / duckdb: {lake.wall_seconds / duck.wall_seconds:.2f}x the time, "
        f"{lake.peak_rss_mb / duck.peak_rss_mb:.2f}x the peak RSS; same rows and copies: "
        f"{'yes' if same else 'NO ' + json.dumps(tables)}"
    )
    if "lake_before" in runs:
        before = runs["lake_before"]
        kept = "yes" if tables["lake_before"] == tables["duck"] else "no (other copies)"
        lines.append(
            f"before (first copy): {before.wall_seconds / duck.wall_seconds:.2f}x the time, "
            f"{before.peak_rss_mb / duck.peak_rss_mb:.2f}x the peak RSS; same copies: {kept}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--events", type=count, default=200_000, help="events (default 200k)")
    p.add_argument("--days", type=int, default=10, help="export days (default 10)")
    p.add_argument("--chunk-mb", type=float, help="MP_LOAD_CHUNK_MB for both loads")
    p.add_argument("--before", action="store_true", help="also load with the old dedupe")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--workdir", help="where the work directory goes (default: system temp)")
    args = p.parse_args(argv)
    with work_directory("mp-bench-lake-", args.workdir, args.keep) as base:
        try:
            result = measure(args, base)
        except BenchError as exc:
            say(f"\nBENCHMARK FAILED: {exc}")
            return 2
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
