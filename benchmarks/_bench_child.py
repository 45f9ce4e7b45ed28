"""The measured side of the benchmark: one fresh process per measurement (see bench_events.py).

    python benchmarks/_bench_child.py ours   --result R.json [--from D --to D] [--overrides JSON]
    python benchmarks/_bench_child.py native --result R.json --ndjson F --db F [--tz ZONE]
        [--compression zstd]

``ours`` runs the library's ``events`` pipeline (MP_* variables come from the parent);
``native`` runs one DuckDB ``CREATE TABLE ... AS SELECT ... FROM read_ndjson(...)``;
``profiles`` / ``native-profiles`` are the same pair for engage profiles (bench_profiles.py).
Each writes a JSON result: the timed seconds, row counts, and the process's own RSS timeline
so the parent can tell in which step the peak happened. The parent reads the exact peak RSS
of this process from ``os.wait4``; the in-process sampler only says *when*.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class RssSampler:
    """Samples this process's resident set (``/proc/self/statm``) every ``interval`` seconds."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (unix time, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with open("/proc/self/statm", "rb") as fh:
            while not self._stop.is_set():
                fh.seek(0)
                resident_pages = int(fh.read().split()[1])
                self.samples.append((time.time(), resident_pages * _PAGE_KB / 1024))
                self._stop.wait(self.interval)

    def peak_between(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return max(inside, default=0.0)


class StageTimer:
    """Wall and thread-CPU seconds of the pipeline's stages, by wrapping a few functions.

    Only coarse calls are wrapped (per window, per batch, per SQL statement, per gzip chunk), so
    the overhead is microseconds per call. Wall seconds of calls made in parallel threads add
    up (they are thread-seconds); thread CPU excludes DuckDB's own worker threads.
    """

    def __init__(self) -> None:
        self.stats: dict[str, list[float]] = {}  # stage -> [calls, wall, thread cpu]
        self._lock = threading.Lock()

    def add(self, stage: str, wall: float, cpu: float) -> None:
        with self._lock:
            row = self.stats.setdefault(stage, [0, 0.0, 0.0])
            row[0] += 1
            row[1] += wall
            row[2] += cpu

    def wrap(self, owner: Any, attr: str, stage: Any) -> None:
        """Time ``owner.attr``; ``stage`` is a name or a function of the call's arguments."""
        original = getattr(owner, attr)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            name = stage(*args, **kwargs) if callable(stage) else stage
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                timer.add(name, time.perf_counter() - wall, time.thread_time() - cpu)

        setattr(owner, attr, timed)

    def wrap_generator(self, owner: Any, attr: str, stage: str) -> None:
        """Time every ``next()`` of the generators ``owner.attr`` returns."""
        original = getattr(owner, attr)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            inner = original(*args, **kwargs)
            while True:
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    item = next(inner)
                except StopIteration:
                    return
                finally:
                    timer.add(stage, time.perf_counter() - wall, time.thread_time() - cpu)
                yield item

        setattr(owner, attr, timed)

    def report(self) -> list[dict[str, Any]]:
        return [
            {"stage": k, "calls": int(v[0]), "wall_s": round(v[1], 2), "cpu_s": round(v[2], 2)}
            for k, v in sorted(self.stats.items(), key=lambda kv: -kv[1][1])
        ]


def _sql_stage(client: Any, sql: Any, *args: Any, **kwargs: Any) -> str:
    text = str(sql)
    if "_dlt_dedup_rn" in text or "DELETE FROM" in text:
        return "load: merge SQL (DELETE + INSERT ... ROW_NUMBER dedupe)"
    if "read_parquet" in text:
        return "load: INSERT parquet -> staging table"
    if text.lstrip().upper().startswith(("SELECT", "WITH")):
        return "dlt: other SQL (SELECT)"
    return "dlt: other SQL (DDL, state, ...)"


def instrument(timer: StageTimer) -> None:
    """Wrap the stages of the events pipeline (library and dlt) with ``timer``."""
    from dlt.common.data_writers import writers
    from dlt.destinations.impl.duckdb.configuration import DuckDbConnectionPool
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

    from mixpanel_data.api import client as api_client
    from mixpanel_data.api import export as api_export
    from mixpanel_data.sources.mixpanel import events_arrow, window_dedupe

    timer.wrap(
        api_client.MixpanelClient,
        "_download_export",
        "extract: download window (HTTP + gunzip + spool write)",
    )
    timer.wrap_generator(api_export.StreamDecoder, "feed", "extract:   of which gunzip")
    timer.wrap(api_export.LineTail, "feed", "extract:   of which last-line check")
    timer.wrap_generator(api_client, "iter_line_batches", "extract: spool read-back into batches")
    timer.wrap(events_arrow.EventParser, "parse", "extract: parse batch (DuckDB JSON + numpy)")
    timer.wrap_generator(
        events_arrow.EventParser, "parse_file", "extract: parse spool file (DuckDB JSON + numpy)"
    )
    timer.wrap(
        window_dedupe.WindowDedupe, "_winners", "extract: window dedupe (find the copies kept)"
    )
    timer.wrap(events_arrow, "lines_to_arrow", "extract:   of which split lines")
    timer.wrap(writers.ArrowToParquetWriter, "write_data", "dlt extract: write parquet")
    timer.wrap(DuckDbSqlClient, "execute_sql", _sql_stage)
    timer.wrap(DuckDbConnectionPool, "borrow_conn", "dlt: open DuckDB connection (+ config)")
    timer.wrap(DuckDbConnectionPool, "_close_conn", "dlt: close DuckDB database (checkpoint)")


def _collect_traces() -> list[Any]:
    """Every ``Pipeline.run``'s trace: a chunked load runs dlt once per chunk, and the last
    trace alone would show only the last chunk's steps."""
    from dlt.pipeline.pipeline import Pipeline

    traces: list[Any] = []
    run = Pipeline.run

    def recorded(self: Any, *a: Any, **kw: Any) -> Any:
        try:
            return run(self, *a, **kw)
        finally:
            traces.append(self.last_trace)

    Pipeline.run = recorded  # type: ignore[method-assign]
    return traces


def _vm_hwm_mb() -> float:
    """The kernel's own high-water mark of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_ours(args: argparse.Namespace) -> dict[str, Any]:
    """One ``run_pipeline(get_pipeline("events"), ...)`` against MP_BASE_URL."""
    import_started = time.perf_counter()
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.destinations.pipeline import dlt_pipeline
    from mixpanel_data.run.runner import run_pipeline

    import_seconds = time.perf_counter() - import_started
    overrides = {"project_timezone": args.tz, **json.loads(args.overrides or "{}")}
    spec = get_pipeline("events")
    settings = Settings.from_env()
    timer = StageTimer()
    if not args.no_instrument:
        instrument(timer)
    traces = _collect_traces()
    with RssSampler() as sampler:
        began = time.perf_counter()
        summary = run_pipeline(
            spec,
            settings,
            from_date=args.from_date,
            to_date=args.to_date,
            source_overrides=overrides,
        )
        seconds = time.perf_counter() - began
    steps: dict[str, dict[str, Any]] = {}
    for trace in traces or [dlt_pipeline(spec, settings).last_trace]:
        for step in getattr(trace, "steps", None) or []:
            start = _ts(step.started_at)
            end = _ts(step.finished_at)
            total = steps.setdefault(step.step, {"step": step.step, "seconds": 0.0, "loads": 0})
            total["seconds"] = round(total["seconds"] + end - start, 3)
            total["loads"] += 1
            total["peak_rss_mb"] = round(
                max(total.get("peak_rss_mb", 0.0), sampler.peak_between(start, end)), 1
            )
    return {
        "mode": "ours",
        "seconds": seconds,
        "import_seconds": import_seconds,
        "rows_fetched": summary.rows_fetched,
        "rows_new": summary.rows_new,
        "rows_stored": summary.table_rows.get("events", 0),
        "duplicates_dropped": summary.duplicates_dropped,
        "days_covered": summary.days_covered,
        "date_range": summary.date_range,
        "steps": list(steps.values()),
        "db_bytes": _db_bytes(),
        "stages": timer.report(),
        "sampled_peak_rss_mb": round(max((mb for _, mb in sampler.samples), default=0.0), 1),
        "vm_hwm_mb": round(_vm_hwm_mb(), 1),
    }


def run_profiles(args: argparse.Namespace) -> dict[str, Any]:
    """One ``run_pipeline(get_pipeline("profiles"))`` against MP_BASE_URL (engage pages)."""
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.run.runner import run_pipeline

    spec = get_pipeline("profiles")
    settings = Settings.from_env()
    with RssSampler() as sampler:
        began = time.perf_counter()
        summary = run_pipeline(spec, settings, source_overrides=json.loads(args.overrides or "{}"))
        seconds = time.perf_counter() - began
    return {
        "mode": "profiles",
        "seconds": seconds,
        "rows_fetched": summary.rows_fetched,
        "rows_stored": summary.table_rows.get("profiles", 0),
        "db_bytes": _db_bytes(),
        "sampled_peak_rss_mb": round(max((mb for _, mb in sampler.samples), default=0.0), 1),
        "vm_hwm_mb": round(_vm_hwm_mb(), 1),
    }


NATIVE_PROFILES = """
CREATE TABLE profiles (distinct_id VARCHAR, last_seen TIMESTAMP, properties JSON{zstd});
INSERT INTO profiles
SELECT "$distinct_id" AS distinct_id,
       TRY_CAST(json_extract_string("$properties", '$."$last_seen"') AS TIMESTAMP) AS last_seen,
       "$properties" AS properties
FROM read_ndjson('{path}', columns = {{"$distinct_id": 'VARCHAR', "$properties": 'JSON'}})
"""


def run_native_profiles(args: argparse.Namespace) -> dict[str, Any]:
    """DuckDB's own load of the engage results (one profile per line) into our columns."""
    zstd = " USING COMPRESSION zstd" if args.compression == "zstd" else ""
    sql = NATIVE_PROFILES.format(path=args.ndjson.replace("'", "''"), zstd=zstd)
    return _native_load("native-profiles", sql, "profiles", args.db)


def _native_load(mode: str, sql: str, table: str, db: str) -> dict[str, Any]:
    """Run ``sql`` into a fresh DuckDB file ``db`` and measure it (the native side's figures).

    The timing includes ``close()``: the checkpoint that writes the table to the file."""
    import duckdb

    with RssSampler() as sampler:
        began = time.perf_counter()
        con = duckdb.connect(db)
        con.execute(sql)
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        con.close()
        seconds = time.perf_counter() - began
    return {
        "mode": mode,
        "seconds": seconds,
        "rows_fetched": int(rows[0]) if rows else 0,
        "rows_stored": int(rows[0]) if rows else 0,
        "sampled_peak_rss_mb": round(max((mb for _, mb in sampler.samples), default=0.0), 1),
        "vm_hwm_mb": round(_vm_hwm_mb(), 1),
        "db_bytes": os.path.getsize(db),
    }


def _db_bytes() -> int:
    from mixpanel_data.config.settings import Settings

    path = Settings.from_env().database_path
    return path.stat().st_size if path.exists() else 0


NATIVE_TABLE_ZSTD = """
CREATE TABLE events (event_name VARCHAR, event_time TIMESTAMP WITH TIME ZONE, event_date DATE,
  export_date DATE, distinct_id VARCHAR, insert_id VARCHAR, mp_processing_time_ms BIGINT,
  properties JSON USING COMPRESSION zstd);
INSERT INTO events"""


def native_sql(ndjson: str, tz: str, compression: str = "auto") -> str:
    """DuckDB's own load of the same rows and columns as our ``events`` table (no dedupe key).

    ``compression="zstd"`` gives ``properties`` the compression our destination gives it.
    """
    path = ndjson.replace("'", "''")
    zone = tz.replace("'", "''")
    head = NATIVE_TABLE_ZSTD if compression == "zstd" else "CREATE TABLE events AS"
    return f"""
{head}
WITH raw AS (
  SELECT event,
         properties,
         json_extract_string(properties, ['$.time', '$.distinct_id', '$."$insert_id"',
                                          '$.mp_processing_time_ms']) AS ex
  FROM read_ndjson('{path}', columns = {{event: 'VARCHAR', properties: 'JSON'}})
), typed AS (
  SELECT event, properties, ex, to_timestamp(TRY_CAST(ex[1] AS DOUBLE)) AS event_time FROM raw
)
SELECT event AS event_name,
       event_time,
       CAST(timezone('{zone}', event_time) AS DATE) AS event_date,
       CAST(timezone('UTC', event_time) AS DATE) AS export_date,
       ex[2] AS distinct_id,
       NULLIF(ex[3], '') AS insert_id,
       TRY_CAST(ex[4] AS BIGINT) AS mp_processing_time_ms,
       properties
FROM typed
"""


def run_native(args: argparse.Namespace) -> dict[str, Any]:
    """``CREATE TABLE events AS SELECT ... FROM read_ndjson(...)`` into a fresh DuckDB file."""
    sql = native_sql(args.ndjson, args.tz, args.compression)
    return _native_load("native", sql, "events", args.db)


def _ts(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)


MODES = {
    "ours": run_ours,
    "native": run_native,
    "profiles": run_profiles,
    "native-profiles": run_native_profiles,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("mode", choices=list(MODES))
    p.add_argument("--result", required=True, help="write the JSON result here")
    p.add_argument("--from", dest="from_date")
    p.add_argument("--to", dest="to_date")
    p.add_argument("--overrides", help="JSON object of extra source options")
    p.add_argument("--tz", default="America/Los_Angeles")
    p.add_argument("--ndjson")
    p.add_argument("--db")
    p.add_argument("--compression", default="auto", choices=["auto", "zstd"])
    p.add_argument("--no-instrument", action="store_true", help="no stage timers")
    args = p.parse_args(argv)
    result = MODES[args.mode](args)
    Path(args.result).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
