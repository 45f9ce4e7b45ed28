"""``mp sql``, ``tables``, ``schema``, ``info``, ``drop``, ``pipelines`` in-process (CliRunner).

Each format is parsed back; each failure checks its documented exit code and one-line message.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .mpcli import Outcome, invoke

FORMATS = ("json", "jsonl", "csv", "table")


def records(out: Outcome, fmt: str) -> list[dict[str, str]]:
    """Rows parsed back from ``fmt`` (every value as text, to compare formats alike)."""
    assert out.code == 0, out.stderr
    text = out.stdout
    if fmt == "json":
        rows = json.loads(text)
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    elif fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    else:
        return _table(text)
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def _table(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.startswith("│")]
    header = [c.strip() for c in text.splitlines()[1].strip("┃").split("┃")]
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in lines]
    return [dict(zip(header, row, strict=True)) for row in cells]


@pytest.mark.parametrize("fmt", FORMATS)
def test_tables_in_every_format(loaded, fmt):
    rows = records(invoke("-f", fmt, "tables"), fmt)
    assert rows == [
        {"table": "events", "dataset": "mixpanel", "type": "events", "rows": str(loaded.events)},
        {"table": "profiles", "dataset": "mixpanel", "type": "profiles", "rows": "60"},
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_schema_in_every_format(loaded, fmt):
    rows = records(invoke("schema", "events", "--format", fmt), fmt)
    columns = {r["column"]: r["type"] for r in rows}
    assert columns["event_time"] == "TIMESTAMP WITH TIME ZONE"
    assert columns["properties"] == "JSON"
    assert list(columns)[:2] == ["event_key", "event_name"]
    assert {r["nullable"] for r in rows} == {"True", "False"} or fmt in ("json", "jsonl")


def test_schema_takes_a_qualified_name(loaded):
    out = invoke("schema", "mixpanel.profiles")
    assert [r["column"] for r in json.loads(out.stdout)] == [
        "distinct_id",
        "last_seen",
        "properties",
    ]


def test_info_reports_tables_days_and_last_run(loaded):
    out = invoke("info")
    assert out.code == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["database"] == str(loaded.data_dir / "mixpanel_data.duckdb")
    assert info["exists"] is True and info["size_bytes"] > 0
    assert {t["table"]: t["rows"] for t in info["tables"]} == {
        "events": loaded.events,
        "profiles": 60,
    }
    (dates,) = info["date_ranges"]
    assert dates["first_export_date"] == str(loaded.days[0])
    assert dates["last_export_date"] == str(loaded.days[-1])
    runs = {p["pipeline"]: p for p in info["pipelines"]}
    assert runs["events"]["cursors"] == {"events": str(loaded.days[-1])}
    assert runs["events"]["loads"] >= 1 and runs["events"]["last_loaded_at"]
    assert runs["profiles"]["loads"] >= 1  # its own loads, not the shared dataset's
    assert runs["profiles"]["cursors"]["profiles"]


def test_info_table_and_csv(loaded):
    table = invoke("-f", "table", "info").stdout
    assert "pipelines:" in table and "date_ranges:" in table and "mixpanel_data.duckdb" in table
    pairs = {
        r["key"]: r["value"]
        for r in csv.DictReader(io.StringIO(invoke("-f", "csv", "info").stdout))
    }
    assert json.loads(pairs["tables"])[0]["table"] == "events"


def test_info_without_a_database(tmp_path, monkeypatch):
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "empty"))
    info = json.loads(invoke("info").stdout)
    assert info["exists"] is False and info["tables"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_sql_in_every_format(loaded, fmt):
    query = "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1"
    rows = records(invoke("-f", fmt, "sql", query), fmt)
    assert sum(int(r["n"]) for r in rows) == loaded.events
    assert rows[0]["event_name"] == "Page View"


def test_sql_scalar_file_stdin_and_params(loaded, tmp_path):
    assert invoke("sql", "--scalar", "SELECT count(*) FROM events").stdout.strip() == str(
        loaded.events
    )
    day = loaded.days[1]
    query = tmp_path / "one_day.sql"
    query.write_text(
        "-- param: day = 1970-01-01\n"
        "SELECT count(*) AS n FROM events WHERE export_date = CAST($day AS DATE)"
    )
    out = invoke("sql", str(query), "-P", f"day={day}")
    assert json.loads(out.stdout) == [{"n": loaded.server.project.unique_count(day)}]
    assert json.loads(invoke("sql", str(query)).stdout) == [{"n": 0}]
    out = invoke("sql", "-", "--scalar", input="SELECT count(*)\nFROM profiles\n")
    assert out.stdout.strip() == "60"


def test_shipped_queries_resolve_from_any_directory(loaded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = invoke("-f", "csv", "sql", "queries/top_events.sql", "--param", "limit=2")
    assert out.code == 0, out.stderr
    assert len(out.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["sql", "SELECT * FROM nope"], 4, "No table 'nope'"),
        (["sql", "SELEC 1"], 1, "SQL failed"),
        (["sql", "no/such.sql"], 4, "No SQL file at no/such.sql"),
        (["sql", "queries/top_events.sql", "-P", "limt=3"], 3, "Unknown parameter 'limt'"),
        (["sql", "queries/property_breakdown.sql"], 3, "Missing parameter 'property'"),
        (["sql", "queries/top_events.sql", "-P", "from_date=2024-13-01"], 3, "2024-13-01"),
        (["sql", "SELECT 1", "-P", "oops"], 3, "is not name=value"),
        (["sql"], 3, "Missing argument"),
        (["sql", "SELECT 1", "--bogus"], 3, "No such option"),
        (["schema", "nope"], 4, "No table 'nope'"),
        (["schema"], 3, "Missing argument"),
        (["-f", "xml", "tables"], 3, "xml"),
        (["drop"], 3, "Name the tables to drop"),
        (["drop", "nope", "--force"], 4, "No table 'nope'"),
        (["drop", "events", "--all"], 3, "not both"),
        (["drop", "--type", "users"], 3, "--type 'users'"),
        (["drop", "events"], 3, "without --force"),
    ],
    ids=lambda v: v if isinstance(v, int) else None,
)
def test_errors_exit_with_the_documented_code(loaded, args, code, text):
    out = invoke(*args)
    assert out.code == code, out.stderr
    assert text in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""


def test_no_database_is_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "empty"))
    for args in (["sql", "SELECT 1"], ["tables"], ["schema", "events"], ["drop", "--all"]):
        out = invoke(*args)
        assert out.code == 4 and "No local database" in out.stderr


def test_drop_needs_force_off_a_terminal_and_keeps_the_table(loaded, scratch):
    out = invoke("drop", "events")
    assert out.code == 3
    assert "events" in {r["table"] for r in json.loads(invoke("tables").stdout)}


def test_drop_resets_the_cursor_so_the_next_run_reloads(loaded, scratch):
    out = invoke("drop", "events", "--force")
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout) == [
        {"table": "events", "dataset": "mixpanel", "type": "events", "rows": loaded.events}
    ]
    assert "Dropped events." in out.stderr
    assert [t["table"] for t in json.loads(invoke("tables").stdout)] == ["profiles"]
    info = json.loads(invoke("info").stdout)
    assert {p["pipeline"]: p["cursors"] for p in info["pipelines"]}["events"] == {}
    first, last = str(loaded.days[0]), str(loaded.days[-1])
    run = invoke("-q", "run", "events", "--from", first, "--to", last)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["rows_new"] == loaded.events


@pytest.mark.parametrize(
    ("args", "left"),
    [
        (["--type", "profiles"], ["events"]),
        (["--all"], []),
        (["--all", "--type", "events"], ["profiles"]),
        (["events", "mixpanel.profiles"], []),
    ],
    ids=["type", "all", "all-of-type", "names"],
)
def test_drop_selections(loaded, scratch, args, left):
    out = invoke("drop", *args, "--force")
    assert out.code == 0, out.stderr
    assert [t["table"] for t in json.loads(invoke("tables").stdout)] == left


def test_drop_nothing_matching(loaded, scratch):
    invoke("drop", "profiles", "--force")
    out = invoke("drop", "--type", "profiles")
    assert out.code == 0 and json.loads(out.stdout) == [] and "Nothing to drop" in out.stderr


def test_drop_a_table_dlt_does_not_manage(loaded, scratch):
    import duckdb

    con = duckdb.connect(str(scratch / "mixpanel_data.duckdb"))
    con.execute("CREATE TABLE main.my_summary AS SELECT 1 AS x")
    con.close()
    assert "my_summary" in invoke("tables").stdout
    assert invoke("drop", "my_summary", "--force").code == 0
    assert "my_summary" not in invoke("tables").stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_pipelines_in_every_format(loaded, fmt, tmp_path, monkeypatch):
    spec = tmp_path / "pipelines.yaml"
    spec.write_text(
        "pipelines:\n  nightly:\n    resources: [events, profiles]\n    dataset: nightly\n"
        "    schedule: {cron: '0 3 * * *'}\n"
    )
    monkeypatch.setenv("MP_PIPELINES", str(spec))
    rows = {r["name"]: r for r in records(invoke("-f", fmt, "pipelines"), fmt)}
    assert rows["events"]["resources"] == "events"
    assert rows["nightly"].pop("next_run")  # the next 03:00 UTC (tests/schedule checks it)
    assert rows["nightly"] == {
        "name": "nightly",
        "source": "mixpanel",
        "resources": "events,profiles",
        "destination": "duckdb",
        "dataset": "nightly",
        "schedule": "0 3 * * *",
        "timezone": "UTC",
        "dlt_pipeline": "mp_nightly",
        "dlt_info": f"dlt pipeline --pipelines-dir {loaded.data_dir / 'pipelines'} mp_nightly info",
    }


def test_quiet_silences_status_but_not_data(loaded, scratch):
    out = invoke("-q", "drop", "profiles", "--force")
    assert out.code == 0 and out.stderr == "" and json.loads(out.stdout)[0]["table"] == "profiles"


def test_help_exits_0_and_bare_mp_shows_help(loaded):
    out = invoke("--help")
    assert out.code == 0 and "sql" in out.stdout and "Exit codes" in out.stdout
    bare = invoke()
    assert bare.code == 3 and "Usage" in bare.stdout + bare.stderr
    assert "Error" not in bare.stderr


def test_database_path_is_where_info_says(loaded):
    info = json.loads(invoke("info").stdout)
    assert Path(info["database"]).is_file()


def test_verbose_logging_is_undone_after_the_command(loaded):
    import logging

    logger = logging.getLogger("mixpanel_data")
    before = (logger.level, list(logger.handlers))
    assert invoke("-v", "tables").code == 0
    assert (logger.level, list(logger.handlers)) == before
