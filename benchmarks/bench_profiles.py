"""Profiles benchmark: the ``profiles`` pipeline vs DuckDB's own load of the same engage JSON.

    .venv/bin/python benchmarks/bench_profiles.py                     # 1M profiles
    .venv/bin/python benchmarks/bench_profiles.py --profiles 100k --skip-native-zstd

The stand-in runs in its own process (``--profiles N --prepare``: the profiles are generated,
serialized and indexed before the URL is printed). Ours is ``run_pipeline(get_pipeline(
"profiles"))`` in a fresh child over loopback HTTP: engage pages of ``$last_seen`` parts, at
most 5 requests in flight (``MP_QUERY_CONCURRENT=5``, Mixpanel's Query limit; the hourly budget
is off, or 1M profiles would take 17 hours). Then the parent downloads every profile once with
plain httpx into NDJSON (not timed) and a child times DuckDB's ``read_ndjson`` into the columns
of our ``profiles`` table (distinct_id, last_seen, properties JSON), with DuckDB's default
compression and with zstd on ``properties`` (ours). Peak RSS is each child's own ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from bench_events import (  # benchmarks/ is on sys.path (script directory)
    CHILD,
    PYTHON,
    TARGET_RSS_RATIO,
    TARGET_THROUGHPUT_RATIO,
    BenchError,
    StandInProcess,
    child_env,
    child_summary,
    count,
    export_end_day,
    human,
    machine_busy,
    machine_note,
    noisy,
    run_child,
    say,
    verdict,
    work_directory,
)

QUERY_CONCURRENT = 5  # Mixpanel's Query family: 5 concurrent requests (config/limits.py)
DOWNLOAD_PAGE_SIZE = 10_000  # the stand-in's largest engage page: fewer requests, same rows


def download_profiles(standin: StandInProcess, path: Path) -> dict[str, Any]:
    """Every profile once, one engage result per NDJSON line (not timed)."""
    import httpx

    spec = standin.info["spec"]
    began = time.perf_counter()
    rows = size = 0
    form: dict[str, str] = {"page_size": str(DOWNLOAD_PAGE_SIZE)}
    with (
        httpx.Client(auth=(spec["sa_username"], spec["sa_secret"]), timeout=300) as client,
        open(path, "wb") as out,
    ):
        page = total = 0
        while page == 0 or rows < total:
            r = client.post(
                f"{standin.url}/api/2.0/engage",
                params={"project_id": str(spec["project_id"])},
                data={**form, "page": str(page)},
            )
            if r.status_code != 200:
                raise BenchError(f"engage page {page}: HTTP {r.status_code} {r.text[:200]}")
            body = r.json()
            if page == 0:
                total, form["session_id"] = int(body["total"]), body["session_id"]
            results = body.get("results") or []
            if not results:
                break
            data = b"\n".join(orjson.dumps(p) for p in results) + b"\n"
            out.write(data)
            rows += len(results)
            size += len(data)
            page += 1
    return {"rows": rows, "bytes": size, "seconds": time.perf_counter() - began}


def measure(total: int, args: argparse.Namespace, base: Path) -> dict[str, Any]:
    label = human(total)
    workdir = Path(tempfile.mkdtemp(prefix=f"profiles-{label}-", dir=base))
    end = export_end_day()
    days = 30
    out: dict[str, Any] = {"size": total, "label": label, "workdir": str(workdir)}
    say(f"[{label}] stand-in: {total:,} profiles, generating and indexing ...")
    standin_proc = StandInProcess(
        workdir,
        days,
        0,
        end - timedelta(days=days - 1),
        timeout=120 + total / 5_000,
        profiles=total,
        fat=False,
    )
    with standin_proc as standin:
        prepared = [
            ln for ln in (workdir / "standin.log").read_text().splitlines() if "profiles" in ln
        ]
        say(f"[{label}] stand-in at {standin.url}: {' '.join(prepared)}")
        tmp = workdir / "tmp"
        tmp.mkdir()
        env = child_env(standin.url, standin.info, workdir / "data", tmp)
        env.update({"MP_QUERY_CONCURRENT": str(QUERY_CONCURRENT), "MP_QUERY_PER_HOUR": "0"})
        timeout = 300 + total / 1_000
        say(f"[{label}] ours: profiles pipeline (fresh process) ...")
        res = workdir / "ours.json"
        ours = run_child(
            "ours (profiles)",
            [PYTHON, str(CHILD), "profiles", "--result", str(res)],
            env=env,
            cwd=workdir,
            timeout=timeout,
            log=workdir / "ours.log",
            result_path=res,
            watch_pid=standin.pid,
        )
        out["ours"] = child_summary(ours)
        say(
            f"[{label}] ours: {ours.result['rows_stored']:,} profiles in "
            f"{ours.result['seconds']:.1f}s, peak RSS {ours.peak_rss_mb:,.0f} MB"
        )
        if args.skip_native:
            return out
        ndjson = workdir / "profiles.ndjson"
        say(f"[{label}] downloading the same profiles into NDJSON (not timed) ...")
        out["download"] = download_profiles(standin, ndjson)
    shutil.rmtree(workdir / "data", ignore_errors=True)
    modes = [("native", "auto")] + ([] if args.skip_native_zstd else [("native_zstd", "zstd")])
    for key, compression in modes:
        db = workdir / f"{key}.duckdb"
        res = workdir / f"{key}.json"
        say(f"[{label}] {key}: DuckDB read_ndjson (fresh process) ...")
        run = run_child(
            key,
            [
                *(PYTHON, str(CHILD), "native-profiles", "--result", str(res)),
                *("--ndjson", str(ndjson), "--db", str(db), "--compression", compression),
            ],
            env=env,
            cwd=workdir,
            timeout=timeout,
            log=workdir / f"{key}.log",
            result_path=res,
        )
        out[key] = child_summary(run)
        db.unlink(missing_ok=True)
    return out


def render(results: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for r in results:
        label, ours = r["label"], r["ours"]
        rate = ours["rows_stored"] / ours["seconds"]
        lines.append(
            f"{label} ours: {ours['rows_fetched']:,} profiles fetched, {ours['rows_stored']:,} "
            f"stored in {ours['seconds']:.1f}s = {rate:,.0f} rows/s (process "
            f"{ours['wall_seconds']:.1f}s, CPU {ours['cpu_seconds']:.1f}s); peak RSS "
            f"{ours['peak_rss_mb']:,.0f} MB; DuckDB file {ours['db_bytes'] / 2**20:,.0f} MB"
        )
        lines.append(f"    during the run: {machine_note(ours)}")
        for key in ("native", "native_zstd"):
            n = r.get(key)
            if not n:
                continue
            lines.append(
                f"{label} {key}: {n['rows_stored']:,} rows in {n['seconds']:.1f}s = "
                f"{n['rows_stored'] / n['seconds']:,.0f} rows/s (process {n['wall_seconds']:.1f}s"
                f", CPU {n['cpu_seconds']:.1f}s); peak RSS {n['peak_rss_mb']:,.0f} MB; DuckDB file "
                f"{n['db_bytes'] / 2**20:,.0f} MB; {machine_note(n)}"
            )
        if r.get("native"):
            cpu = ours["cpu_seconds"] / max(r["native"]["cpu_seconds"], 1e-9)
            lines.append(
                f"{label} CPU (robust to a busy machine): ours {ours['cpu_seconds']:.1f} CPU-s, "
                f"native {r['native']['cpu_seconds']:.1f} CPU-s: ours needs {cpu:.1f}x the CPU"
            )
        if r.get("download"):
            dl = r["download"]
            lines.append(
                f"{label} NDJSON for native: {dl['rows']:,} profiles, {dl['bytes'] / 2**20:,.0f} "
                f"MB (download {dl['seconds']:.1f}s, not timed)"
            )
    lines += ["", *targets(results)]
    runs = [r[k] for r in results for k in ("ours", "native", "native_zstd") if r.get(k)]
    if any(noisy(run) for run in runs):
        lines.append(
            "\nWARNING: other processes shared the CPUs during a measured run: the times are "
            "pessimistic; re-run when the machine is quiet (peak RSS hardly moves)."
        )
    return "\n".join(lines)


def targets(results: list[dict[str, Any]]) -> list[str]:
    """The events targets applied to profiles, one line each with PASS/MISS (never asserted)."""
    out = ["targets (the events targets, applied to profiles):"]
    for r in results:
        label, ours = r["label"], r["ours"]
        natives = [n for n in (r.get("native"), r.get("native_zstd")) if n]
        if not natives:
            continue
        best = min(natives, key=lambda n: n["wall_seconds"])
        ratio = best["wall_seconds"] / ours["wall_seconds"]
        out.append(
            f"  {label} profiles ours vs the best native load, whole processes: {ratio:.2f}x "
            f"(ours {ours['wall_seconds']:.1f}s, best native {best['wall_seconds']:.1f}s)  "
            f"target >= {TARGET_THROUGHPUT_RATIO}: {verdict(ratio >= TARGET_THROUGHPUT_RATIO)}"
        )
        native = r.get("native") or natives[0]  # DuckDB's defaults, as the events target
        rss = ours["peak_rss_mb"] / native["peak_rss_mb"]
        out.append(
            f"  {label} profiles peak RSS {ours['peak_rss_mb']:,.0f} MB vs native "
            f"{native['peak_rss_mb']:,.0f} MB = {rss:.2f}x  target <= "
            f"{TARGET_RSS_RATIO:.0f}: {verdict(rss <= TARGET_RSS_RATIO)}"
        )
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--profiles", type=count, default=1_000_000, help="default 1M")
    p.add_argument("--skip-native", action="store_true", help="no DuckDB read_ndjson baseline")
    p.add_argument("--skip-native-zstd", action="store_true", help="native default only")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--workdir", help="where temp dirs go (default: the system temp dir)")
    p.add_argument("--json-out", help="also write every figure as JSON to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with work_directory("mp-bench-profiles-", args.workdir, args.keep) as base:
        busy = machine_busy()
        if busy > 0.25:
            say(f"WARNING: the machine is already {busy:.0%} busy; figures will be noisy.")
        try:
            results = [measure(args.profiles, args, base)]
        except BenchError as exc:
            say(f"\nBENCHMARK FAILED: {exc}")
            return 2
    print(
        f"\nmixpanel-data profiles benchmark: engage over loopback HTTP, at most "
        f"{QUERY_CONCURRENT} requests in flight"
    )
    print(render(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
