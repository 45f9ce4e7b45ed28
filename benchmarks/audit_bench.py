"""Audit and PII-policy benchmarks: ``mp audit`` on 1M events, the load-time policy's overhead.

    .venv/bin/python benchmarks/audit_bench.py audit               # 1M events, audit + draft
    .venv/bin/python benchmarks/audit_bench.py audit --events 5M
    .venv/bin/python benchmarks/audit_bench.py pii                 # ~200k fat events
    .venv/bin/python benchmarks/audit_bench.py pii --skip-e2e      # transform only
    .venv/bin/python benchmarks/audit_bench.py pii --thin --policy '{"hash": ["distinct_id"]}'

``audit`` generates the events straight into ``mixpanel.events`` of a fresh DuckDB file with one
SQL statement (8 event names, ~16 properties and ~550 bytes of JSON per event, UUIDs, a cron
rule, and a sprinkle of violations: PII emails and phones, ISO timestamps, bad distinct_ids), then
times ``run_audit`` against a matching plan (each SQL pass separately) and ``draft_plan``.

``pii`` measures the policy (default: drop 3 properties, hash distinct_id and another, mask one;
``--policy JSON`` to change it) on the Arrow tables the events resource yields: stand-in fat
events (~1.2 KB; ``--thin`` for ~450 B) parsed by the real
``EventParser`` in 32 MB batches, then ``PiiPolicy.apply`` per table (rows/s, microseconds per
row, against the parse time of the same tables). Then end to end: the stand-in in its own
process, and the ``events`` pipeline run in fresh child processes with and without the policy,
alternating, best of each. Nothing is asserted; the numbers are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PYTHON = sys.executable
SALT = "benchmark-salt-0123456789abcdef"
POLICY = {
    "drop": ["$city", "$region", "query"],
    "hash": ["distinct_id", "$device_id"],
    "mask": ["$user_agent"],
}
EVENTS = [
    "svc.surveys.survey_delivered",
    "svc.surveys.survey_delivered.error",
    "svc.surveys.reminder_sent",
    "svc.map.action_plan_created",
    "svc.auth.login_succeeded",
    "svc.hris_csv.upload.analysis_completed",
    "svc.risk.score_computed",
    "svc.slack.message_sent",
]
GENERATE_SQL = """
CREATE SCHEMA IF NOT EXISTS mixpanel;
CREATE OR REPLACE TABLE mixpanel.events AS
WITH g AS (
  SELECT i, (hash(i) % 1000000007)::BIGINT AS h, uuid()::VARCHAR AS emp FROM range({n}) t(i)),
r AS (
  SELECT i, h, emp, {events}[1 + (h >> 11) % 8] AS ev, DATE '2024-03-01' + (i % 30)::INT AS d,
    CASE WHEN h % 2000 = 1 THEN 'ana.' || (h % 97) || '@example.com'
         WHEN h % 1000 = 2 THEN 'org_' || emp WHEN h % 3000 = 3 THEN 'user-' || (h % 50)
         ELSE emp END AS did
  FROM g)
SELECT md5(i::VARCHAR) AS event_key, ev AS event_name,
  make_timestamptz(1709251200000000 + i * 2592) AS event_time, d AS event_date, d AS export_date,
  did AS distinct_id, md5(i::VARCHAR || 'i') AS insert_id,
  1709251200000 + i AS mp_processing_time_ms,
  json_object(
    'time', 1709251200 + i // 1000, 'distinct_id', did, '$insert_id', md5(i::VARCHAR || 'i'),
    'mp_processing_time_ms', 1709251200000 + i, 'mp_lib', 'python', '$lib_version', '4.10.1',
    '$os', ['Linux', 'Mac OS X', 'Windows'][1 + (h >> 3) % 3], '$city', 'Paris',
    'employee_id', emp, 'organization_id', 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    'organization_name', 'Acme Corp', 'role', ['admin', 'employee', 'manager'][1 + (h >> 5) % 3],
    'impersonation', (h >> 7) % 50 = 0,
    'object_id', md5(ev || (h % 5000)::VARCHAR),
    'is_cron_job', (h >> 9) % 10 = 0,
    'cron_execution_timestamp', CASE WHEN (h >> 9) % 10 = 0 AND h % 5000 <> 4
      THEN 1709251200000 + i END,
    'due_at', CASE WHEN h % 4000 = 5 THEN to_json('2024-03-05T10:00:00Z')
      ELSE to_json(1709251200000 + i) END,
    'comment', CASE WHEN h % 2500 = 6 THEN '+14155550' || lpad((h % 1000)::VARCHAR, 3, '0')
      ELSE 'looks good' END,
    'tags', ['q1', 'team-' || (h % 7)]) AS properties
FROM r;
"""
PLAN = {
    "common_properties": {
        "employee_id": {"type": "string", "format": "uuid", "required": True},
        "organization_id": {"type": "string", "format": "uuid", "required": True},
        "organization_name": {"type": "string", "required": True},
        "role": {"type": "enum", "values": ["admin", "employee", "manager"], "required": True},
        "impersonation": {"type": "boolean", "required": True},
        "is_cron_job": "boolean",
        "cron_execution_timestamp": "datetime-ms",
        "object_id": {"type": "string", "required": True},
        "due_at": "datetime-ms",
        "comment": "string",
        "tags": "list",
    },
    "events": {name: {} for name in EVENTS},
}


def say(text: str) -> None:
    print(text, flush=True)


def count(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


# -- audit on generated data


def bench_audit(events: int, workdir: Path) -> dict[str, Any]:
    import duckdb

    from mixpanel_data.audit import draft_plan, parse_plan, run_audit
    from mixpanel_data.audit import engine as engine_module

    db = workdir / "audit.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    names = "[" + ", ".join(f"'{e}'" for e in EVENTS) + "]"
    con.execute(GENERATE_SQL.format(n=events, events=names))
    con.close()
    generated = time.perf_counter() - started
    say(f"generated {events:,} events in {generated:.1f}s ({db.stat().st_size / 2**20:.0f} MB)")

    passes: list[tuple[str, float]] = []
    original = engine_module.Context.rows

    def timed(self: Any, query: str) -> list[tuple[Any, ...]]:
        began = time.perf_counter()
        try:
            return original(self, query)
        finally:
            passes.append(
                (query.splitlines()[0].removeprefix("-- audit: "), time.perf_counter() - began)
            )

    engine_module.Context.rows = timed  # type: ignore[method-assign]
    con = duckdb.connect(str(db), read_only=True)
    plan = parse_plan(json.dumps(PLAN))
    began = time.perf_counter()
    report = run_audit(con, plan)
    audit_s = time.perf_counter() - began
    began = time.perf_counter()
    drafted = draft_plan(con)
    draft_s = time.perf_counter() - began
    con.close()
    engine_module.Context.rows = original  # type: ignore[method-assign]
    say(
        f"audit: {audit_s:.2f}s ({events / audit_s:,.0f} events/s), "
        f"{len(report.findings)} findings {report.counts_by_severity()}"
    )
    for name, seconds in passes:
        say(f"  {name:28s} {seconds:6.2f}s")
    say(f"  (inventory: event and key counts {audit_s - sum(s for _, s in passes):.2f}s)")
    for f in report.findings:
        say(f"  [{f.severity}] {f.check:20s} {f.event or '':40s} {f.prop or '':26s} {f.count:>8,}")
    say(f"draft: {draft_s:.2f}s, {len(drafted.events)} events")
    return {
        "events": events,
        "generate_s": generated,
        "audit_s": audit_s,
        "draft_s": draft_s,
        "passes": passes,
        "findings": len(report.findings),
    }


# -- PII policy: transform only


def fat_tables(events: int, fat: bool = True) -> tuple[list[Any], float]:
    """Stand-in events parsed by the real parser in ~32 MB batches; (tables, parse seconds)."""
    from zoneinfo import ZoneInfo

    import orjson

    from mixpanel_data.sources.mixpanel.events_arrow import EventParser
    from mixpanel_data.sources.mixpanel.timezones import LegacySwitch
    from mixpanel_data.standin.generator import generate_day
    from mixpanel_data.standin.spec import ProjectSpec

    days = 10
    spec = ProjectSpec(events_per_day=events // days, days=days, fat_properties=fat)
    lines: list[bytes] = []
    for i in range(days):
        batch = generate_day(spec, spec.start + timedelta(days=i))
        lines.extend(orjson.dumps(e) + b"\n" for e in batch.events)
    parser = EventParser(ZoneInfo("UTC"), LegacySwitch(False))
    tables, chunk, size, parse_s = [], [], 0, 0.0
    for line in [*lines, b""]:
        if line:
            chunk.append(line)
            size += len(line)
        if chunk and (size >= 32 * 2**20 or not line):
            began = time.perf_counter()
            tables.append(parser.parse(b"".join(chunk)))
            parse_s += time.perf_counter() - began
            chunk, size = [], 0
    return tables, parse_s


def bench_pii_transform(events: int, policy_spec: dict[str, Any], fat: bool) -> dict[str, Any]:
    os.environ["MP_PII_SALT"] = SALT
    from mixpanel_data.sources.mixpanel.pii import pii_policy

    tables, parse_s = fat_tables(events, fat)
    rows = sum(t.num_rows for t in tables)
    mb = sum(t.column("properties").nbytes for t in tables) / 2**20
    policy = pii_policy(policy_spec)
    assert policy is not None
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for table in tables:
            policy.apply(table)
        best = min(best, time.perf_counter() - began)
    say(
        f"policy on {rows:,} {'fat' if fat else 'thin'} events "
        f"({mb:.0f} MB of properties JSON, {len(tables)} tables): "
        f"{best:.2f}s = {rows / best:,.0f} rows/s = {best / rows * 1e6:.1f} us/row "
        f"(parsing the same tables: {parse_s:.2f}s, so +{best / parse_s:.0%} of parse time)"
    )
    return {"rows": rows, "policy_s": best, "parse_s": parse_s}


# -- PII policy: end to end


CHILD = """
import json, sys, time
from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.run.runner import run_pipeline
overrides = {"project_timezone": "America/Los_Angeles", **json.loads(sys.argv[3])}
began, cpu = time.perf_counter(), time.process_time()
s = run_pipeline(get_pipeline("events"), from_date=sys.argv[1], to_date=sys.argv[2],
                 source_overrides=overrides)
print(json.dumps({"seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu,
                  "rows": s.rows_fetched}))
"""


def bench_pii_e2e(
    events: int, workdir: Path, repeats: int, policy_spec: dict[str, Any], fat: bool
) -> dict[str, Any]:
    days = 10
    start = date.today() - timedelta(days=days + 2)
    url_file = workdir / "standin.url"
    cmd = [
        PYTHON,
        "-m",
        "mixpanel_data.standin",
        "--fat",
        "--prepare",
        "--days",
        str(days),
        "--events-per-day",
        str(events // days),
        "--start",
        start.isoformat(),
        "--url-file",
        str(url_file),
    ]
    server = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 600
        while not url_file.exists() or not url_file.read_text().strip():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stand-in did not start")
            time.sleep(0.2)
        url = url_file.read_text().strip()
        from mixpanel_data.standin.spec import ProjectSpec

        spec = ProjectSpec()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MP_", "SOURCES__"))}
        env.update(
            MP_BASE_URL=url,
            MP_USERNAME=spec.sa_username,
            MP_SECRET=spec.sa_secret,
            MP_PROJECT_ID=str(spec.project_id),
            MP_PII_SALT=SALT,
        )
        last = start + timedelta(days=days - 1)
        runs: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
        rows = 0
        for i in range(repeats * 2):
            label = "with" if i % 2 else "without"
            options = json.dumps({"pii": policy_spec} if i % 2 else {})
            env["MP_DATA_DIR"] = str(workdir / f"run{i}")
            args = [PYTHON, "-c", CHILD, str(start), str(last), options]
            out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            runs[label].append((result["seconds"], result["cpu"]))
            rows = result["rows"]
            shutil.rmtree(workdir / f"run{i}", ignore_errors=True)
        base, pii = min(runs["without"]), min(runs["with"])
        base_cpu, pii_cpu = min(c for _, c in runs["without"]), min(c for _, c in runs["with"])
        kind = "fat" if fat else "thin"
        say(
            f"end to end, {rows:,} {kind} events, best of {repeats}: without {base[0]:.2f}s "
            f"({rows / base[0]:,.0f} rows/s, {base_cpu:.1f} CPU-s), with policy {pii[0]:.2f}s "
            f"({rows / pii[0]:,.0f} rows/s, {pii_cpu:.1f} CPU-s): overhead "
            f"{pii[0] / base[0] - 1:+.0%} wall, {pii_cpu / base_cpu - 1:+.0%} CPU"
        )
        return {"rows": rows, "without": base, "with": pii, "runs": runs}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["audit", "pii", "all"])
    parser.add_argument("--events", type=count, default=None, help="1M for audit, 200k for pii")
    parser.add_argument("--repeats", type=int, default=2, help="end-to-end runs of each kind")
    parser.add_argument("--skip-e2e", action="store_true", help="pii: transform only")
    parser.add_argument("--thin", action="store_true", help="pii: ~450 B events, not ~1.2 KB")
    parser.add_argument("--policy", type=json.loads, default=POLICY, help="pii: policy as JSON")
    parser.add_argument("--json-out", type=Path, help="write every figure as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mp-audit-bench-"))
    figures: dict[str, Any] = {}
    try:
        if args.what in ("audit", "all"):
            figures["audit"] = bench_audit(args.events or 1_000_000, workdir)
        if args.what in ("pii", "all"):
            n, fat = args.events or 200_000, not args.thin
            figures["pii_transform"] = bench_pii_transform(n, args.policy, fat)
            if not args.skip_e2e:
                figures["pii_e2e"] = bench_pii_e2e(n, workdir, args.repeats, args.policy, fat)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
