"""A CLI to lean on (issue 14): each behaviour checked through a real ``mp`` subprocess.

Streaming ``mp sql`` in flat memory, JSON columns as JSON, ``--scalar`` refusing a result that is
not one value, tables at the terminal's width, help that shows what to type, ``--version``,
``mp jql -P``, an unknown account, missing destination extras and unusable data directories as
one line, and ``mp info``/``mp pipelines`` naming the dlt pipeline behind each ``mp`` pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import shlex
import struct
import subprocess
import sys
import termios
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from .conftest import Loaded
from .mpcli import MP, mp

BIN = Path(sys.executable).parent


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run (no traceback, no Python exception name)."""
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr and "Errno" not in out.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


# --- mp sql: streaming, JSON values, --scalar, empty SQL --------------------------------------

#: 200k rows of ~1 KB: held as Python objects at once (the old fetchall) this is ~500 MB.
BIG = "SELECT range AS i, repeat('x', 1000) AS pad, '{\"a\": [1, 2]}'::JSON AS j FROM range(200000)"


def peak_rss_mb(*args: str) -> tuple[float, int]:
    """Peak RSS (MB) of one ``mp`` process, measured by a parent that runs nothing else."""
    probe = (
        "import resource, subprocess, sys\n"
        "out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(rss / 1024, out.returncode, len(out.stdout.splitlines()))\n"
    )
    # stdout is read by the probe (the child streams into a pipe, as in `mp sql ... > file`)
    result = subprocess.run(
        [sys.executable, "-c", probe, *MP, *args], capture_output=True, text=True, timeout=300
    )
    rss, code, lines = result.stdout.split()
    assert code == "0", result.stderr
    return float(rss), int(lines)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"], ids=["csv", "jsonl", "json"])
def test_sql_streams_rows_in_flat_memory(loaded: Loaded, fmt: str):
    baseline, _ = peak_rss_mb("sql", "SELECT 1", "-f", fmt)
    peak, lines = peak_rss_mb("sql", BIG, "-f", fmt)
    assert lines >= 200_000
    # all rows at once cost 400+ MB more than `SELECT 1`; batches cost a few dozen
    assert peak - baseline < 150, (fmt, baseline, peak)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"], ids=["csv", "jsonl", "json"])
def test_a_reader_that_stops_early_is_exit_0(loaded: Loaded, fmt: str):
    """``mp sql ... | head -2``: the pipe closes mid-stream; no error, exit 0 (as documented)."""
    proc = subprocess.Popen(
        [*MP, "sql", "SELECT range AS i FROM range(2000000)", "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""


def test_json_columns_are_json_values_and_csv_cells_json_text(loaded: Loaded):
    query = (
        "SELECT '{\"a\": [1, 2]}'::JSON AS j, '\"s\"'::JSON AS js, [1, 2] AS l, "
        "{'k': 'v'} AS st, ['{\"b\": 1}'::JSON] AS lj, 'abc'::BLOB AS b, INTERVAL 1 DAY AS d"
    )
    expected = {
        "j": {"a": [1, 2]},
        "js": "s",
        "l": [1, 2],
        "st": {"k": "v"},
        "lj": [{"b": 1}],
        "b": "abc",
        "d": "P1DT0S",
    }
    as_json = mp("sql", query, "-f", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [expected]
    as_jsonl = mp("sql", query, "-f", "jsonl")
    assert [json.loads(line) for line in as_jsonl.stdout.splitlines()] == [expected]
    as_csv = mp("sql", query, "-f", "csv")
    header, row = list(csv.reader(io.StringIO(as_csv.stdout)))
    cells = dict(zip(header, row, strict=True))
    assert json.loads(cells["j"]) == {"a": [1, 2]} and cells["js"] == '"s"'
    assert cells["l"] == "[1,2]" and cells["st"] == '{"k":"v"}' and cells["lj"] == '[{"b":1}]'
    assert cells["b"] == "abc" and cells["d"] == "P1DT0S"  # not b'abc', not "1 day, 0:00:00"


def test_loaded_properties_come_out_as_objects(loaded: Loaded):
    out = mp("sql", "SELECT properties FROM events LIMIT 3", "-f", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 3 and all(isinstance(r["properties"], dict) for r in rows)


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("SELECT 1 UNION ALL SELECT 2", "more than one row"),
        ("SELECT 1 WHERE false", "no rows"),
        ("SELECT 1, 2", "2 columns"),
    ],
    ids=["two-rows", "empty", "two-columns"],
)
def test_scalar_refuses_anything_but_one_value(loaded: Loaded, query: str, shape: str):
    out = mp("sql", "--scalar", query)
    assert out.returncode == 3 and out.stdout == ""
    assert shape in one_line_error(out)


def test_scalar_prints_the_one_value(loaded: Loaded):
    out = mp("sql", "--scalar", "SELECT count(*) FROM events")
    assert out.returncode == 0 and out.stdout.strip() == str(loaded.events)


@pytest.mark.parametrize(
    "query", ["", "  ;  ", "-- just a comment"], ids=["empty", "semi", "comment"]
)
def test_sql_without_a_statement_is_one_line(loaded: Loaded, query: str):
    out = mp("sql", "--", query) if query.startswith("-") else mp("sql", query)
    assert out.returncode == 3
    assert "No SQL to run" in one_line_error(out)


@pytest.mark.parametrize("where", ["file", "stdin"], ids=["file", "stdin"])
def test_sql_that_is_not_utf8_is_one_line(loaded: Loaded, tmp_path: Path, where: str):
    data = b"SELECT '\xff\xfe' AS x"
    if where == "file":
        (tmp_path / "latin.sql").write_bytes(data)
        out = subprocess.run([*MP, "sql", str(tmp_path / "latin.sql")], capture_output=True)
    else:
        out = subprocess.run([*MP, "sql", "-"], input=data, capture_output=True)
    assert out.returncode == 3
    assert b"not UTF-8" in out.stderr and b"UnicodeDecodeError" not in out.stderr
    assert len(out.stderr.splitlines()) == 1


# --- tables at the terminal's width ----------------------------------------------------------

WIDE = "SELECT repeat('x', 150) AS a, repeat('y', 150) AS b"


def test_table_follows_columns(loaded: Loaded):
    out = mp("sql", WIDE, "-f", "table", env={"COLUMNS": "60"})
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 60


def test_table_follows_a_real_terminal(loaded: Loaded):
    """No COLUMNS: the width is the terminal's own (a pty of 72 columns)."""
    controller, terminal = pty.openpty()
    termios_size = struct.pack("HHHH", 24, 72, 0, 0)
    import fcntl

    fcntl.ioctl(terminal, termios.TIOCSWINSZ, termios_size)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [*MP, "sql", WIDE, "-f", "table"], stdout=terminal, stderr=subprocess.PIPE, env=env
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(controller)
    lines = b"".join(chunks).decode().splitlines()
    assert proc.returncode == 0 and lines
    assert max(len(line) for line in lines) <= 72


# --- help, --version, mp jql -P --------------------------------------------------------------


@pytest.mark.parametrize("command", [["sql"], ["drop"], ["segmentation"], []], ids=str)
def test_help_shows_what_to_type(command: list[str]):
    out = mp(*command, "--help", env={"COLUMNS": "70"})
    assert out.returncode == 0
    assert "<bool>" not in out.stdout and "<list[str]>" not in out.stdout
    prose = [line for line in out.stdout.splitlines() if not line.lstrip().startswith("mp ")]
    assert all(len(line) <= 70 for line in prose)  # examples keep their lines whole
    assert all(line == line.rstrip() for line in out.stdout.splitlines())  # no padding


def test_help_rewraps_docstrings_to_the_terminal():
    """The docstring's own line breaks (after "uses but") are not kept: Click re-wraps them."""
    out = mp("sql", "--help", env={"COLUMNS": "200"})
    text = " ".join(out.stdout.split())
    assert "A parameter the query uses but was not given" in out.stdout.replace("\n  ", " ")
    assert "--param NAME=VALUE" in text
    assert "mp sql queries/daily_active_users.sql --param from_date=2024-01-01" in out.stdout


def test_version():
    from importlib.metadata import version

    out = mp("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"mixpanel-data {version('mixpanel-data')}"


def test_jql_takes_dash_p_like_sql(loaded: Loaded, tmp_path: Path):
    script = tmp_path / "count.js"
    script.write_text(
        "function main() { return Events({from_date: params.from, to_date: params.to})"
        ".reduce(mixpanel.reducer.count()); }"
    )
    day = loaded.days[1].isoformat()
    out = mp("-f", "json", "jql", str(script), "-P", f"from={day}", "-P", f"to={day}")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)


# --- unknown account, missing extras, unusable data dir --------------------------------------


@pytest.mark.parametrize("args", [["-a", "nope", "tables"], ["tables", "-a", "nope"]], ids=str)
def test_unknown_account_is_one_line_exit_4(loaded: Loaded, args: list[str]):
    out = mp(*args)
    assert out.returncode == 4 and out.stdout == ""
    assert "'nope'" in one_line_error(out)


LAKE = """\
pipelines:
  lake:
    resources: [events]
    destination: filesystem
  warehouse:
    resources: [events]
    destination: postgres
"""


def mp_without(
    module: str, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``mp ARGS`` in a process where ``import module`` fails, as without its extra."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; from mixpanel_data.cli.main import run; run()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("module", "pipeline", "extra"),
    [
        ("deltalake", "lake", "mixpanel-data[delta]"),
        ("psycopg2", "warehouse", "mixpanel-data[postgres]"),
    ],
    ids=["delta", "postgres"],
)
def test_missing_extra_is_one_line_before_any_request(
    loaded: Loaded, tmp_path: Path, module: str, pipeline: str, extra: str
):
    (tmp_path / "pipelines.yaml").write_text(LAKE)
    env = {
        "MP_DATA_DIR": str(tmp_path / "data"),
        "MP_PIPELINES": str(tmp_path / "pipelines.yaml"),
        "DESTINATION__FILESYSTEM__BUCKET_URL": (tmp_path / "lake").as_uri(),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    before = len(loaded.server.requests)
    day = loaded.days[0].isoformat()
    out = mp_without(module, "run", pipeline, "--from", day, "--to", day, cwd=tmp_path, env=env)
    assert out.returncode == 3
    assert f"pip install '{extra}'" in one_line_error(out)
    assert len(loaded.server.requests) == before  # refused before fetching anything


def test_postgres_without_credentials_names_the_setting(loaded: Loaded, tmp_path: Path):
    (tmp_path / "pipelines.yaml").write_text(LAKE)
    env = {
        "MP_DATA_DIR": str(tmp_path / "data"),
        "MP_PIPELINES": str(tmp_path / "pipelines.yaml"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESTINATION__")}
    day = loaded.days[0].isoformat()
    out = subprocess.run(
        [*MP, "-q", "run", "warehouse", "--from", day, "--to", day],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, **env},
        timeout=300,
    )
    assert out.returncode == 3
    line = one_line_error(out)
    assert "DESTINATION__POSTGRES__CREDENTIALS" in line and "secrets.toml" in line
    assert "PipelineStepFailed" not in out.stderr


def test_a_data_dir_that_cannot_be_written_is_one_line(loaded: Loaded, tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should go")
    day = loaded.days[0].isoformat()
    out = mp(
        "-q",
        "run",
        "events",
        "--from",
        day,
        "--to",
        day,
        env={"MP_DATA_DIR": str(blocker / "data")},
    )
    assert out.returncode == 3
    line = one_line_error(out)
    assert str(blocker) in line and "MP_DATA_DIR" in line
    assert "NotADirectoryError" not in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory anyway")
def test_a_read_only_data_dir_is_one_line(loaded: Loaded, tmp_path: Path):
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    day = loaded.days[0].isoformat()
    out = mp(
        "-q", "run", "events", "--from", day, "--to", day, env={"MP_DATA_DIR": str(read_only / "d")}
    )
    assert out.returncode == 3
    assert "PermissionError" not in one_line_error(out)


# --- dlt names and per-pipeline load history -------------------------------------------------


def test_info_names_the_dlt_pipeline_and_counts_each_pipelines_own_loads(scratch: Path):
    out = mp("info", "-f", "json")
    assert out.returncode == 0, out.stderr
    by_name = {p["pipeline"]: p for p in json.loads(out.stdout)["pipelines"]}
    events, profiles = by_name["events"], by_name["profiles"]
    command = f"dlt pipeline --pipelines-dir {scratch / 'pipelines'} mp_mixpanel info"
    for entry in (events, profiles):
        assert entry["dlt_pipeline"] == "mp_mixpanel"
        assert entry["dlt_info"] == command
    con = duckdb.connect(str(scratch / "mixpanel_data.duckdb"), read_only=True)
    try:
        total = con.execute("SELECT count(*) FROM mixpanel._dlt_loads WHERE status = 0").fetchone()
    finally:
        con.close()
    assert total is not None
    # one shared dataset: each load is one pipeline's, not counted under every name
    assert events["loads"] >= 1 and profiles["loads"] >= 1
    assert events["loads"] + profiles["loads"] == total[0]
    first = datetime.fromisoformat(events["last_loaded_at"])
    assert first < datetime.fromisoformat(profiles["last_loaded_at"])  # events loaded first
    assert events["events"] and not profiles["events"]
    # the command shown works as printed (with this venv's dlt)
    shown = shlex.split(command)
    ran = subprocess.run(
        [str(BIN / "dlt"), *shown[1:]], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert "pipeline_name: mp_mixpanel" in ran.stdout


def test_pipelines_lists_the_dlt_names(loaded: Loaded, tmp_path: Path):
    (tmp_path / "pipelines.yaml").write_text(LAKE)
    out = mp("pipelines", "-f", "json", env={"MP_PIPELINES": str(tmp_path / "pipelines.yaml")})
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["events"]["dlt_pipeline"] == "mp_mixpanel"
    assert rows["lake"]["dlt_pipeline"] == "mp_filesystem_mixpanel"
    pipelines_dir = loaded.data_dir / "pipelines"
    assert rows["warehouse"]["dlt_info"] == (
        f"dlt pipeline --pipelines-dir {pipelines_dir} mp_postgres_mixpanel info"
    )


def test_dlt_errors_of_a_missing_extra_or_setting_become_one_line():
    """What dlt raises mid-run (a Delta load job, a sync) maps to the same one line."""
    from dlt.common.exceptions import MissingDependencyException

    from mixpanel_data.cli import errors

    missing = MissingDependencyException("dlt deltalake helpers", ["dlt[deltalake]"])
    as_text = RuntimeError(f"Job failed. Last failure message was: Traceback ... {missing!r}")
    wrapped = RuntimeError("Pipeline execution failed at `step=load`")
    wrapped.exception = as_text  # type: ignore[attr-defined]  # how PipelineStepFailed carries it
    for exc in (missing, wrapped):
        assert errors.exit_code_for(exc) == 3
        assert "pip install 'mixpanel-data[delta]'" in errors.message_for(exc)
        assert "\n" not in errors.message_for(exc)
