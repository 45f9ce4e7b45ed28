"""Load benchmark: the ``events`` pipeline vs DuckDB's own NDJSON load, same data, same run.

    .venv/bin/python benchmarks/bench_events.py                       # 1M fat events, 30 days
    .venv/bin/python benchmarks/bench_events.py --scale 1M,5M         # RSS growth 1M -> 5M
    .venv/bin/python benchmarks/bench_events.py --events 200k --days 10 --skip-native --keep

For each size: start the stand-in as its own process (``--fat --prepare``, data ending today),
run the pipeline end to end over loopback HTTP in a fresh child process (rows/s, peak RSS), run
it again with no range (the incremental re-run that re-reads the lookback), download the same
days once with plain httpx into one NDJSON file (not timed) and time DuckDB's
``CREATE TABLE ... AS SELECT ... FROM read_ndjson(...)`` into a fresh file in another child.
Peak RSS is the child's own ``ru_maxrss`` from ``os.wait4``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_bench_child.py"
PYTHON = sys.executable
TZ = "America/Los_Angeles"

# Targets printed next to the figures (reported as PASS/MISS, never asserted).
TARGET_THROUGHPUT_RATIO = 0.5  # ours rows/s >= half of DuckDB's own read_ndjson
TARGET_RSS_RATIO = 1.0  # our peak RSS <= native peak RSS
TARGET_RSS_GROWTH = 0.20  # peak RSS grows < 20% from the smallest to the largest size
TARGET_BEST_NATIVE = 0.5  # ours (whole process) >= half the faster of native default / zstd
AIM_BEST_NATIVE = 0.8
TARGET_SMALL_RSS_MB = 300  # at 100k events or fewer
TARGET_RERUN_SECONDS = ((1_000_000, 3.0), (5_000_000, 5.0))  # nothing-new re-run, by size
NOISE_SHARE = 0.10  # other processes using more of the machine than this make a run "noisy"


class BenchError(RuntimeError):
    """A step of the benchmark could not run (stand-in did not start, child failed, ...)."""


# -- child processes


@dataclass
class ChildRun:
    """One finished child: its exit code, wall time, own peak RSS and JSON result."""

    name: str
    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    machine: dict[str, float]
    result: dict[str, Any]
    log: Path


def run_child(
    name: str,
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    log: Path,
    result_path: Path | None = None,
    watch_pid: int | None = None,
) -> ChildRun:
    """Run ``cmd`` in its own session; peak RSS comes from ``os.wait4`` (this child only).

    ``watch_pid`` (the stand-in) has its CPU seconds during the run recorded beside the
    machine's busy and iowait shares, to tell a CPU-bound run from a waiting one.
    """
    before = cpu_snapshot(watch_pid)
    began = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - began > timeout:
                _kill_group(proc.pid)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise BenchError(
                    f"{name} did not finish within {timeout:.0f}s (killed); log: {log}"
                )
            time.sleep(0.05)
    except BaseException:
        if proc.returncode is None:
            _kill_group(proc.pid)
            with contextlib.suppress(ChildProcessError):
                os.wait4(proc.pid, 0)
            proc.returncode = -9
        raise
    wall = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchError(
            f"{name} failed with exit code {proc.returncode}; last lines of {log}:\n" + _tail(log)
        )
    result: dict[str, Any] = {}
    if result_path is not None:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    cpu = usage.ru_utime + usage.ru_stime
    machine = cpu_delta(before, cpu_snapshot(watch_pid))
    # CPU the rest of the machine used meanwhile (other users' tests, builds): noise.
    machine["others_cpu_s"] = max(
        0.0, machine["busy_cpu_s"] - cpu - machine.get("standin_cpu_s", 0.0)
    )
    return ChildRun(name, proc.returncode, wall, usage.ru_maxrss / 1024, cpu, machine, result, log)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pid: int | None) -> tuple[list[int], float | None]:
    """Machine CPU jiffies by state (/proc/stat) and ``pid``'s CPU seconds (None if gone)."""
    with open("/proc/stat", encoding="ascii") as fh:
        machine = [int(x) for x in fh.readline().split()[1:]]
    seconds = None
    if pid is not None:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
        except (OSError, IndexError, ValueError):
            seconds = None
    return machine, seconds


def cpu_delta(
    before: tuple[list[int], float | None], after: tuple[list[int], float | None]
) -> dict[str, float]:
    """Busy and iowait shares of all CPUs between two snapshots, and the watched CPU seconds."""
    diff = [b - a for a, b in zip(before[0], after[0], strict=False)]
    total = max(sum(diff), 1)
    idle, iowait = diff[3], diff[4] if len(diff) > 4 else 0
    out = {
        "busy": (total - idle - iowait) / total,
        "iowait": iowait / total,
        "busy_cpu_s": (total - idle - iowait) / _TICK,
        "capacity_cpu_s": total / _TICK,
    }
    if before[1] is not None and after[1] is not None:
        out["standin_cpu_s"] = after[1] - before[1]
    return out


def machine_busy(seconds: float = 2.0) -> float:
    """Share of all CPUs busy over ``seconds`` (a pre-flight check for a noisy machine)."""
    before = cpu_snapshot(None)
    time.sleep(seconds)
    return cpu_delta(before, cpu_snapshot(None))["busy"]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# -- the stand-in server


@dataclass
class StandInProcess:
    """``python -m mixpanel_data.standin --fat --prepare ...`` in its own process group."""

    workdir: Path
    days: int
    events_per_day: int
    start: date
    timeout: float
    cache_memory_mb: int = 1024
    profiles: int = 200
    fat: bool = True
    url: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    prepare_line: str = ""
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> StandInProcess:
        url_file = self.workdir / "standin.url"
        log = self.workdir / "standin.log"
        tmp = self.workdir / "standin-tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        cmd = [
            PYTHON,
            "-m",
            "mixpanel_data.standin",
            *(["--fat"] if self.fat else []),
            "--profiles",
            str(self.profiles),
            "--prepare",
            "--days",
            str(self.days),
            "--events-per-day",
            str(self.events_per_day),
            "--start",
            self.start.isoformat(),
            "--timezone",
            TZ,
            "--url-file",
            str(url_file),
            "--cache-memory-mb",
            str(self.cache_memory_mb),
        ]
        env = {**os.environ, "TMPDIR": str(tmp)}
        with open(log, "wb") as out:
            self._proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=self.workdir,
                stdout=subprocess.DEVNULL,
                stderr=out,
                start_new_session=True,
            )
        began = time.monotonic()
        try:
            while not (url_file.exists() and url_file.read_text().strip()):
                code = self._proc.poll()
                if code is not None:
                    raise BenchError(
                        f"the stand-in exited with code {code} before printing its URL; "
                        f"command: {' '.join(cmd)}\nlast lines of {log}:\n{_tail(log)}"
                    )
                if time.monotonic() - began > self.timeout:
                    raise BenchError(
                        f"the stand-in printed no URL within {self.timeout:.0f}s (preparing "
                        f"{self.days * self.events_per_day:,} fat events); command: "
                        f"{' '.join(cmd)}\nlast lines of {log}:\n{_tail(log)}"
                    )
                time.sleep(0.2)
            self.url = url_file.read_text().strip()
            self.info = self._get_info()
            self.prepare_line = next(
                (ln for ln in _tail(log).splitlines() if ln.startswith("prepared")), ""
            )
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _get_info(self) -> dict[str, Any]:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"{self.url}/_standin/info", timeout=10)
                r.raise_for_status()
                info: dict[str, Any] = r.json()
                return info
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline:
                    raise BenchError(f"the stand-in at {self.url} does not answer: {exc}") from exc
                time.sleep(0.5)

    def set_today(self, day: date) -> None:
        import httpx

        r = httpx.post(f"{self.url}/_standin/today", json={"today": day.isoformat()}, timeout=10)
        r.raise_for_status()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait(timeout=15)


# -- native baseline input


def download_ndjson(standin: StandInProcess, days: list[date], path: Path) -> dict[str, Any]:
    """Every export day once with plain httpx (gzip on) into one NDJSON file (not timed)."""
    import httpx

    spec = standin.info["spec"]
    auth = (spec["sa_username"], spec["sa_secret"])
    began = time.perf_counter()
    rows = size = 0
    with (
        httpx.Client(auth=auth, timeout=httpx.Timeout(300, connect=10)) as client,
        open(path, "wb") as out,
    ):
        for day in days:
            params = {
                "from_date": day.isoformat(),
                "to_date": day.isoformat(),
                "project_id": str(spec["project_id"]),
            }
            last = b"\n"
            with client.stream(
                "GET",
                f"{standin.url}/api/2.0/export",
                params=params,
                headers={"Accept-Encoding": "gzip"},
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise BenchError(
                        f"download of {day} failed: HTTP {response.status_code} "
                        f"{response.text[:200]}"
                    )
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    rows += chunk.count(b"\n")
                    size += len(chunk)
                    last = chunk[-1:] or last
            if last != b"\n":
                out.write(b"\n")
                rows += 1
    return {"rows": rows, "bytes": size, "seconds": time.perf_counter() - began}


# -- one size


def export_end_day() -> date:
    """The last day the client asks for: today in the project zone, capped at today in UTC."""
    now = datetime.now(UTC)
    return min(now.astimezone(ZoneInfo(TZ)).date(), now.date())


def child_env(base_url: str, info: dict[str, Any], data_dir: Path, tmp: Path) -> dict[str, str]:
    spec = info["spec"]
    # The caller's MP_* (real credentials, accounts file) and dlt source/destination config stay
    # out; the tuning knobs (DuckDB memory and compression, load chunks) pass through.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MP_", "SOURCES__", "DESTINATION__"))
        or k
        in (
            "MP_DUCKDB_MEMORY_LIMIT",
            "MP_DUCKDB_COMPRESSION",
            "MP_LOAD_CHUNK_MB",
            "MP_LOAD_CHUNK_PROFILES",
        )
    }
    env.update(
        {
            "MP_BASE_URL": base_url,
            "MP_USERNAME": spec["sa_username"],
            "MP_SECRET": spec["sa_secret"],
            "MP_PROJECT_ID": str(spec["project_id"]),
            "MP_DATA_DIR": str(data_dir),
            "MP_CONFIG_PATH": str(data_dir.parent / "no-accounts.toml"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "TMPDIR": str(tmp),
        }
    )
    return env


def measure_size(total: int, args: argparse.Namespace, base: Path) -> dict[str, Any]:
    label = human(total)
    per_day = max(1, round(total / args.days))
    end = export_end_day()
    start = end - timedelta(days=args.days - 1)
    days = [start + timedelta(days=i) for i in range(args.days)]
    workdir = Path(tempfile.mkdtemp(prefix=f"size-{label}-", dir=base))
    out: dict[str, Any] = {
        "size": total,
        "label": label,
        "days": args.days,
        "events_per_day": per_day,
        "workdir": str(workdir),
    }
    overrides = {
        k: v
        for k, v in (
            ("concurrency", args.concurrency),
            ("batch_bytes", args.batch_bytes),
            ("window_days", args.window_days),
        )
        if v is not None
    }
    out["source_overrides"] = overrides
    say(
        f"[{label}] stand-in: {args.days} days x ~{per_day:,} fat events ({start}..{end}), "
        "preparing bodies ..."
    )
    prepare_timeout = 120 + total / 5_000
    with StandInProcess(workdir, args.days, per_day, start, timeout=prepare_timeout) as standin:
        say(f"[{label}] stand-in at {standin.url}: {standin.prepare_line}")
        tmp = workdir / "tmp"
        tmp.mkdir()
        data_dir = workdir / "data"
        env = child_env(standin.url, standin.info, data_dir, tmp)
        ours_env = dict(env)
        if args.duckdb_memory_limit:  # a what-if knob: the library's and dlt's DuckDB config
            ours_env["MP_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory_limit
            ours_env["DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"] = json.dumps(
                {"memory_limit": args.duckdb_memory_limit}
            )
            out["duckdb_memory_limit"] = args.duckdb_memory_limit
        run_timeout = max(900.0, total / 1_000)
        ours_cmd = [PYTHON, str(CHILD), "ours", "--tz", TZ, "--overrides", json.dumps(overrides)]

        ours_runs: list[ChildRun] = []
        for rep in range(args.repeat):
            if rep:  # every repetition loads into an empty data dir; the last one is kept
                shutil.rmtree(data_dir, ignore_errors=True)
            tag = f" (run {rep + 1}/{args.repeat})" if args.repeat > 1 else ""
            say(f"[{label}] ours{tag}: events pipeline {start}..{end} (fresh process) ...")
            res = workdir / f"ours-{rep}.json"
            ours = run_child(
                "ours",
                [*ours_cmd, "--result", str(res), "--from", str(start), "--to", str(end)],
                env=ours_env,
                cwd=workdir,
                timeout=run_timeout,
                log=workdir / f"ours-{rep}.log",
                result_path=res,
                watch_pid=standin.pid,
            )
            ours_runs.append(ours)
            say(
                f"[{label}] ours: {ours.result['rows_fetched']:,} rows in "
                f"{ours.result['seconds']:.1f}s, peak RSS {ours.peak_rss_mb:,.0f} MB"
            )
        out["ours"] = pick(ours_runs)

        if not args.skip_incremental:
            now_end = export_end_day()
            if now_end > end:  # the date moved on during the run: keep the stand-in in step
                standin.set_today(now_end)
            say(f"[{label}] incremental re-run with nothing new (no --from/--to) ...")
            res = workdir / "incremental.json"
            inc = run_child(
                "incremental",
                [*ours_cmd, "--result", str(res)],
                env=ours_env,
                cwd=workdir,
                timeout=run_timeout,
                log=workdir / "incremental.log",
                result_path=res,
                watch_pid=standin.pid,
            )
            out["incremental"] = child_summary(inc)
            say(
                f"[{label}] incremental: {inc.result['rows_fetched']:,} rows re-read, "
                f"{inc.result['rows_new']:,} new, {inc.result['seconds']:.1f}s"
            )

        if args.profile:
            out["profile"] = profile_ours(
                label, ours_cmd, start, end, ours_env, workdir, args, run_timeout
            )

        if not args.skip_native:
            ndjson = workdir / "export.ndjson"
            say(f"[{label}] native: downloading the same {len(days)} days once (not timed) ...")
            dl = download_ndjson(standin, days, ndjson)
            out["download"] = dl
            say(
                f"[{label}] native: {dl['rows']:,} rows, {dl['bytes'] / 2**20:,.0f} MB NDJSON in "
                f"{dl['seconds']:.1f}s; DuckDB read_ndjson (fresh process) ..."
            )

            def native_child(name: str, *extra: str) -> ChildRun:
                """One native load into a fresh DuckDB file (``extra``: child options)."""
                db = workdir / f"{name}.duckdb"
                db.unlink(missing_ok=True)
                res = workdir / f"{name}.json"
                return run_child(
                    name,
                    [
                        *(PYTHON, str(CHILD), "native", "--tz", TZ, "--result", str(res)),
                        *("--ndjson", str(ndjson), "--db", str(db), *extra),
                    ],
                    env=env,
                    cwd=workdir,
                    timeout=run_timeout,
                    log=workdir / f"{name}.log",
                    result_path=res,
                    watch_pid=standin.pid,
                )

            native_runs: list[ChildRun] = []
            for rep in range(args.repeat):
                native = native_child(f"native-{rep}")
                native_runs.append(native)
                say(
                    f"[{label}] native: {native.result['rows_stored']:,} rows in "
                    f"{native.result['seconds']:.1f}s, peak RSS {native.peak_rss_mb:,.0f} MB"
                )
            out["native"] = pick(native_runs)
            if not args.skip_native_zstd:
                zstd = native_child("native-zstd", "--compression", "zstd")
                out["native_zstd"] = child_summary(zstd)
                say(
                    f"[{label}] native with zstd on properties (as ours): "
                    f"{zstd.result['seconds']:.1f}s, peak RSS {zstd.peak_rss_mb:,.0f} MB"
                )
            if dl["rows"] != ours.result["rows_fetched"]:
                say(
                    f"[{label}] WARNING: ours fetched {ours.result['rows_fetched']:,} rows, the "
                    f"download has {dl['rows']:,}"
                )
    return out


def profile_ours(
    label: str,
    ours_cmd: list[str],
    start: date,
    end: date,
    env: dict[str, str],
    workdir: Path,
    args: argparse.Namespace,
    timeout: float,
) -> dict[str, Any]:
    """An extra (unmeasured) run of ours under ``py-spy record`` into a fresh data dir."""
    py_spy = shutil.which("py-spy") or str(Path(PYTHON).with_name("py-spy"))
    if not Path(py_spy).exists() and not shutil.which("py-spy"):
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    prof_dir = Path(args.profile)
    prof_dir.mkdir(parents=True, exist_ok=True)
    raw = prof_dir / f"ours-{label}.txt"
    data_dir = workdir / "data-profile"
    penv = {**env, "MP_DATA_DIR": str(data_dir)}
    res = workdir / "profile.json"
    say(f"[{label}] profiling an extra run of ours with py-spy -> {raw} ...")
    cmd = [
        py_spy,
        "record",
        "--format",
        "raw",
        "--threads",
        "--nonblocking",
        "--idle",
        "--rate",
        str(args.profile_rate),
        "--native",
        "-o",
        str(raw),
        "--",
        *ours_cmd,
        "--no-instrument",
        "--result",
        str(res),
        "--from",
        str(start),
        "--to",
        str(end),
    ]
    if not args.profile_native:
        cmd.remove("--native")
    run = run_child(
        "profile",
        cmd,
        env=penv,
        cwd=workdir,
        timeout=timeout,
        log=workdir / "profile.log",
        result_path=res,
    )
    shutil.rmtree(data_dir, ignore_errors=True)
    from profile_summary import summarize  # benchmarks/ is on sys.path (script directory)

    report = summarize(raw, args.profile_rate)
    say(report)
    return {"raw": str(raw), "seconds": run.result["seconds"], "report": report}


def pick(runs: list[ChildRun]) -> dict[str, Any]:
    """The fastest of repeated runs (least disturbed); every run's seconds and RSS are kept."""
    best = min(runs, key=lambda run: float(run.result["seconds"]))
    summary = child_summary(best)
    if len(runs) > 1:
        summary["repeats"] = [
            {"seconds": run.result["seconds"], "peak_rss_mb": run.peak_rss_mb} for run in runs
        ]
    return summary


def child_summary(run: ChildRun) -> dict[str, Any]:
    return {
        **run.result,
        "wall_seconds": run.wall_seconds,
        "peak_rss_mb": run.peak_rss_mb,
        "cpu_seconds": run.cpu_seconds,
        "machine": run.machine,
    }


# -- report


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def render(results: list[dict[str, Any]]) -> str:
    head = [
        "size",
        "rows",
        "ours s",
        "ours rows/s",
        "native s",
        "native rows/s",
        "ratio",
        f">={TARGET_THROUGHPUT_RATIO}",
        "ours RSS MB",
        "native RSS MB",
        "RSS ratio",
        "<=1",
    ]
    rows = []
    for r in results:
        ours, native = r["ours"], r.get("native")
        ours_rate = ours["rows_fetched"] / ours["seconds"]
        cells = [
            r["label"],
            f"{ours['rows_fetched']:,}",
            f"{ours['seconds']:.1f}",
            f"{ours_rate:,.0f}",
        ]
        if native:
            nat_rate = native["rows_stored"] / native["seconds"]
            ratio = ours_rate / nat_rate
            rss_ratio = ours["peak_rss_mb"] / native["peak_rss_mb"]
            cells += [
                f"{native['seconds']:.1f}",
                f"{nat_rate:,.0f}",
                f"{ratio:.2f}",
                verdict(ratio >= TARGET_THROUGHPUT_RATIO),
                f"{ours['peak_rss_mb']:,.0f}",
                f"{native['peak_rss_mb']:,.0f}",
                f"{rss_ratio:.2f}",
                verdict(rss_ratio <= TARGET_RSS_RATIO),
            ]
        else:
            cells += ["-", "-", "-", "n/a", f"{ours['peak_rss_mb']:,.0f}", "-", "-", "n/a"]
        rows.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(head)]
    lines = [" | ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for cells in rows]

    lines.append("")
    for r in results:
        lines += describe(r)
    lines.append("")
    lines += targets(results)
    runs = [r[k] for r in results for k in ("ours", "native", "incremental") if r.get(k)]
    if any(noisy(run) for run in runs):
        lines.append(
            "\nWARNING: other processes used more than "
            f"{NOISE_SHARE:.0%} of the CPUs during a measured run (see 'other processes' above): "
            "on a shared machine the figures are pessimistic; re-run when it is quiet."
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        lines.append("")
        for who in ("ours", "native"):
            if who not in small or who not in large:
                continue
            growth = large[who]["peak_rss_mb"] / small[who]["peak_rss_mb"] - 1
            target = verdict(growth < TARGET_RSS_GROWTH) if who == "ours" else "(info)"
            lines.append(
                f"RSS growth {small['label']} -> {large['label']} ({who}): "
                f"{small[who]['peak_rss_mb']:,.0f} -> {large[who]['peak_rss_mb']:,.0f} MB = "
                f"{growth:+.0%}  target < {TARGET_RSS_GROWTH:.0%}: {target}"
            )
    return "\n".join(lines)


def targets(results: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, one line each with PASS/MISS (never asserted)."""
    out = ["targets:"]
    for r in results:
        label, ours = r["label"], r["ours"]
        natives = [n for n in (r.get("native"), r.get("native_zstd")) if n]
        if natives:
            best = min(n["wall_seconds"] for n in natives)
            ratio = best / ours["wall_seconds"]
            out.append(
                f"  {label} ours vs the best native load, whole processes: {ratio:.2f}x "
                f"(ours {ours['wall_seconds']:.1f}s, best native {best:.1f}s)  target >= "
                f"{TARGET_BEST_NATIVE}: {verdict(ratio >= TARGET_BEST_NATIVE)}, aim "
                f"{AIM_BEST_NATIVE}: {verdict(ratio >= AIM_BEST_NATIVE)}"
            )
        if r.get("size", 0) <= 100_000:
            ok = ours["peak_rss_mb"] <= TARGET_SMALL_RSS_MB
            out.append(
                f"  {label} peak RSS {ours['peak_rss_mb']:,.0f} MB  target <= "
                f"{TARGET_SMALL_RSS_MB} MB: {verdict(ok)}"
            )
        inc = r.get("incremental")
        limit = next((s for n, s in TARGET_RERUN_SECONDS if r.get("size", 0) <= n), None)
        if inc and limit is not None:
            out.append(
                f"  {label} re-run with nothing new {inc['seconds']:.1f}s  target < {limit:.0f}s: "
                f"{verdict(inc['seconds'] < limit)}"
            )
    return out


def machine_note(run: dict[str, Any]) -> str:
    """``machine 93% busy, iowait 1%, stand-in 2.1 CPU-s`` for one child run."""
    m = run.get("machine") or {}
    if not m:
        return ""
    text = f"all CPUs {m['busy']:.0%} busy, iowait {m['iowait']:.0%}"
    if "standin_cpu_s" in m:
        text += f", stand-in {m['standin_cpu_s']:.1f} CPU-s"
    others = m.get("others_cpu_s", 0.0)
    text += f", other processes {others:.1f} CPU-s"
    if noisy(run):
        text += " (NOISY: another workload shared the CPUs)"
    return text


def repeats_note(run: dict[str, Any]) -> str:
    reps = run.get("repeats")
    if not reps:
        return ""
    return "; fastest of " + ", ".join(
        f"{r['seconds']:.1f}s/{r['peak_rss_mb']:,.0f} MB" for r in reps
    )


def noisy(run: dict[str, Any]) -> bool:
    """True when other processes used more than 10% of the machine during a measured run."""
    m = run.get("machine") or {}
    return m.get("others_cpu_s", 0.0) > NOISE_SHARE * m.get("capacity_cpu_s", float("inf"))


def _loads(step: dict[str, Any]) -> str:
    """``, 2 loads`` when a chunked run ran the step more than once."""
    n = step.get("loads", 1)
    return f", {n} loads" if n > 1 else ""


def describe(r: dict[str, Any]) -> list[str]:
    """The detail lines of one size: counts, dlt steps, stage timers, native, incremental."""
    label, ours = r["label"], r["ours"]
    cores = ours["cpu_seconds"] / max(ours["wall_seconds"], 1e-9)
    lines = [
        f"{label} ours: fetched {ours['rows_fetched']:,}, stored {ours['rows_stored']:,} "
        f"(new {ours['rows_new']:,}, duplicates dropped {ours['duplicates_dropped']:,}); "
        f"run_pipeline {ours['seconds']:.1f}s (process {ours['wall_seconds']:.1f}s, CPU "
        f"{ours['cpu_seconds']:.1f}s = {cores:.1f} cores); peak RSS {ours['peak_rss_mb']:,.0f} MB"
        f"; DuckDB file {ours.get('db_bytes', 0) / 2**20:,.0f} MB",
        f"    during the run: {machine_note(ours)}{repeats_note(ours)}",
        "    dlt steps: "
        + ", ".join(
            f"{s['step']} {s['seconds']:.1f}s (peak RSS {s['peak_rss_mb']:,.0f} MB{_loads(s)})"
            for s in ours.get("steps", [])
            if s["step"] in ("extract", "normalize", "load")
        ),
    ]
    if ours.get("stages"):
        lines.append(
            f"    {'stage timers (thread-seconds; threads overlap)':<60} wall  thread-CPU  calls"
        )
        lines += [
            f"      {s['stage']:<58} {s['wall_s']:6.1f}s {s['cpu_s']:8.1f}s {s['calls']:6d}"
            for s in ours["stages"]
            if s["wall_s"] >= 0.05
        ]
    if r.get("native"):
        n, dl = r["native"], r["download"]
        n_cores = n["cpu_seconds"] / max(n["wall_seconds"], 1e-9)
        lines.append(
            f"{label} native: stored {n['rows_stored']:,} rows from {dl['bytes'] / 2**20:,.0f} MB "
            f"NDJSON (download {dl['seconds']:.1f}s, not timed) in {n['seconds']:.1f}s (process "
            f"{n['wall_seconds']:.1f}s, CPU {n['cpu_seconds']:.1f}s = {n_cores:.1f} cores); "
            f"peak RSS {n['peak_rss_mb']:,.0f} MB; DuckDB file {n['db_bytes'] / 2**20:,.0f} MB; "
            f"{machine_note(n)}{repeats_note(n)}"
        )
        if r.get("native_zstd"):
            z = r["native_zstd"]
            z_ratio = (ours["rows_fetched"] / ours["seconds"]) / (z["rows_stored"] / z["seconds"])
            lines.append(
                f"{label} native with zstd on properties (as our tables have it), for "
                f"reference: {z['seconds']:.1f}s, peak RSS {z['peak_rss_mb']:,.0f} MB, DuckDB "
                f"file {z['db_bytes'] / 2**20:,.0f} MB; ours / that = {z_ratio:.2f}x"
            )
        cpu_ratio = ours["cpu_seconds"] / max(n["cpu_seconds"], 1e-9)
        lines.append(
            f"{label} CPU (robust to a busy machine): ours {ours['cpu_seconds']:.1f} CPU-s, "
            f"native {n['cpu_seconds']:.1f} CPU-s: ours needs {cpu_ratio:.1f}x the CPU"
        )
    if r.get("incremental"):
        i = r["incremental"]
        lines.append(
            f"{label} incremental re-run with nothing new: {i['seconds']:.1f}s "
            f"({i['rows_fetched']:,} rows re-read over {i['days_covered']} days "
            f"{'..'.join(i['date_range'] or [])}, {i['rows_new']:,} new); "
            f"peak RSS {i['peak_rss_mb']:,.0f} MB; CPU {i['cpu_seconds']:.1f}s; {machine_note(i)}"
        )
        steps = [s for s in i.get("steps", []) if s["step"] in ("extract", "normalize", "load")]
        if steps:
            lines.append(
                "    dlt steps: " + ", ".join(f"{s['step']} {s['seconds']:.1f}s" for s in steps)
            )
        stages = [s for s in i.get("stages", []) if s["wall_s"] >= 0.1]
        if stages:
            lines.append(
                "    "
                + ", ".join(
                    f"{s['stage']} {s['wall_s']:.1f}s ({s['cpu_s']:.1f} CPU-s)" for s in stages
                )
            )
    if r.get("profile"):
        lines.append(r["profile"]["report"])
    return lines


# -- command line


def count(text: str) -> int:
    """``1000000``, ``1_000_000``, ``1M``, ``250k``."""
    value = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    number = value[:-1] if scale != 1 else value
    try:
        n = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count (e.g. 1000000, 1M, 250k)"
        ) from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return n


def scale_list(text: str) -> list[int]:
    return sorted({count(part) for part in text.split(",") if part.strip()})


def human(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def work_directory(prefix: str, workdir: str | None, keep: bool) -> Iterator[Path]:
    """A fresh work directory under ``workdir`` (system temp if None), removed at the end unless
    ``keep``; a SIGTERM exits through the clean-up instead of leaving gigabytes behind."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    if workdir:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=workdir))
    say(f"work directory: {base}{' (kept)' if keep else ''}")
    try:
        yield base
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--events",
        type=count,
        default=1_000_000,
        help="events per size (1000000, 1M, 250k); default 1M",
    )
    p.add_argument(
        "--scale", type=scale_list, help="comma-separated sizes, e.g. 1M,5M (overrides --events)"
    )
    p.add_argument("--days", type=int, default=30, help="export days per size (default 30)")
    p.add_argument("--skip-native", action="store_true", help="no DuckDB read_ndjson baseline")
    p.add_argument(
        "--skip-native-zstd",
        action="store_true",
        help="no extra reference run of native with our DuckDB text compression (zstd)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run ours and native N times each and report the fastest (default 1)",
    )
    p.add_argument("--skip-incremental", action="store_true", help="no incremental re-run")
    p.add_argument("--keep", action="store_true", help="keep the work directories")
    p.add_argument("--workdir", help="where temp dirs go (default: the system temp dir)")
    p.add_argument("--json-out", help="also write every figure as JSON to this file")
    p.add_argument(
        "--duckdb-memory-limit",
        metavar="SIZE",
        help="what-if: run ours with DuckDB memory_limit=SIZE (e.g. 2GB): MP_DUCKDB_MEMORY_LIMIT "
        "and dlt's destination config; native keeps DuckDB's default (80%% of RAM)",
    )
    p.add_argument("--concurrency", type=int, help="source option (default: the library's)")
    p.add_argument("--batch-bytes", type=count, help="source option (default: the library's)")
    p.add_argument("--window-days", type=int, help="source option (default: the library's)")
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="also run ours once more under py-spy (raw stacks into DIR), unmeasured",
    )
    p.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s (default 100)")
    p.add_argument(
        "--profile-native", action="store_true", help="py-spy --native (C/C++ frames too; slower)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = args.scale or [args.events]
    if args.days < 1:
        raise SystemExit("--days must be at least 1")
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    results: list[dict[str, Any]] = []
    with work_directory("mp-bench-", args.workdir, args.keep) as base:
        busy = machine_busy()
        if busy > 0.25:
            say(
                f"WARNING: the machine is already {busy:.0%} busy before the benchmark starts; "
                "figures will be noisy (see 'other processes' in the report)."
            )
        try:
            for total in sizes:
                results.append(measure_size(total, args, base))
        except BenchError as exc:
            say(f"\nBENCHMARK FAILED: {exc}")
            if results:
                print(render(results))
            return 2
    print()
    limit = (
        f"; ours with DuckDB memory_limit={args.duckdb_memory_limit}"
        if args.duckdb_memory_limit
        else ""
    )
    print(
        f"mixpanel-data load benchmark: fat events (~1 KB), {args.days} days, gzip over "
        f"loopback HTTP, dedupe on; {os.cpu_count()} CPUs{limit}"
    )
    print(render(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
