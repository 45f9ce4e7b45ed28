"""`mp mcp` through the official SDK's own client: a real `mp mcp` subprocess over stdio, the
stand-in serving the live API, and a DuckDB file loaded by a real `mp run events`.

One session per module makes every call (starting the server costs seconds); each test then
checks the answers it cares about against the database itself or the library.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import anyio
import duckdb
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from mixpanel_data.api import reset_budgets
from mixpanel_data.standin import ProjectSpec, StandIn

from ..cli.mpcli import MP, mp_in, standin_settings

TZ = "America/Los_Angeles"
SECRET = "mcp-test-secret-5d1e8f20a7c3"
SPEC = ProjectSpec(
    seed=7,
    start=date(2024, 3, 4),
    days=3,
    events_per_day=300,
    profiles=40,
    timezone=TZ,
    sa_secret=SECRET,
    now=datetime(2024, 3, 8, 20, 0, tzinfo=UTC),  # discovery looks at the 31 days before "now"
)
FIRST, LAST = "2024-03-04", "2024-03-06"
#: Los Angeles days end in the next UTC export day: load it too, or `verify` skips LAST.
LOADED_TO = "2024-03-07"
TYPICAL = 1024


@dataclass(frozen=True)
class Answer:
    """One tool call's result: its text and whether it is an MCP tool error."""

    text: str
    error: bool

    @property
    def size(self) -> int:
        return len(self.text.encode())

    def lines(self) -> list[str]:
        return self.text.splitlines()


#: (key, tool, arguments): every call the module's session makes, in order.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("tables", "tables", {}),
    ("schema", "schema", {"table": "events"}),
    ("schema_missing", "schema", {"table": "nope"}),
    (
        "sql",
        "sql",
        {
            "query": "SELECT event_name, count(*) AS n FROM events "
            "WHERE event_name = $event GROUP BY 1",
            "params": {"event": "Purchase"},
        },
    ),
    ("sql_rows_cap", "sql", {"query": "SELECT range AS i FROM range(500)", "max_rows": 7}),
    ("sql_default_cap", "sql", {"query": "SELECT range AS i FROM range(500)"}),
    (
        "sql_bytes_cap",
        "sql",
        {"query": "SELECT repeat('x', 100) AS pad FROM range(50)", "max_bytes": 1000},
    ),
    ("sql_insert", "sql", {"query": "INSERT INTO events (event_name) VALUES ('x')"}),
    ("sql_drop", "sql", {"query": "DROP TABLE events"}),
    ("sql_two", "sql", {"query": "SELECT 1; DELETE FROM events"}),
    ("sql_file", "sql", {"query": "SELECT * FROM read_csv('/etc/passwd')"}),
    ("sql_bad", "sql", {"query": "SELECT nothing FROM events"}),
    ("sql_missing_param", "sql", {"query": "SELECT $x AS x"}),
    ("list_queries", "list_queries", {}),
    (
        "run_query",
        "run_query",
        {"name": "top_events", "params": {"from_date": FIRST, "to_date": LAST, "limit": 3}},
    ),
    ("run_query_unknown", "run_query", {"name": "../../etc/passwd"}),
    ("freshness", "freshness", {}),
    ("events", "events", {"limit": 10}),
    ("properties", "properties", {"event": "Purchase", "limit": 5}),
    ("values", "values", {"event": "Purchase", "property": "$browser", "limit": 5}),
    ("funnels", "funnels", {}),
    (
        "segmentation",
        "segmentation",
        {"event": "Purchase", "from_date": FIRST, "to_date": LAST},
    ),
    (
        "segmentation_bad",
        "segmentation",
        {"event": "Purchase", "from_date": LAST, "to_date": FIRST},
    ),
    ("funnel", "funnel", {"funnel_id": 7509, "from_date": FIRST, "to_date": LAST}),
    ("funnel_bad_id", "funnel", {"funnel_id": "seven", "from_date": FIRST, "to_date": LAST}),
    (
        "retention",
        "retention",
        {"born_event": "Sign Up", "from_date": FIRST, "to_date": LAST, "interval_count": 2},
    ),
    ("verify", "verify", {"from_date": FIRST, "to_date": LAST}),
    ("verify_unknown_pipeline", "verify", {"pipeline": "nope"}),
]


@dataclass
class Session:
    answers: dict[str, Answer]
    tools: list[Any]
    database: Path
    env: dict[str, str]
    events: int


async def _converse(params: StdioServerParameters, errlog: Any) -> tuple[list[Any], dict]:
    answers = {}
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = (await session.list_tools()).tools
        for key, tool, arguments in CALLS:
            result = await session.call_tool(tool, arguments)
            text = "\n".join(c.text for c in result.content if c.type == "text")
            answers[key] = Answer(text, bool(result.is_error))
    return tools, answers


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("mcp")
    reset_budgets()
    with StandIn(SPEC) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MP_", "SOURCES__"))},
            **standin_settings(server, root, TZ),
        }
        loaded = mp_in(
            root, env, "-q", "run", "events", "--from", FIRST, "--to", LOADED_TO, timeout=240
        )
        assert loaded.returncode == 0, loaded.stderr
        database = root / "data" / "mixpanel_data.duckdb"
        con = duckdb.connect(str(database), read_only=True)
        (events,) = con.execute("SELECT count(*) FROM mixpanel.events").fetchone()
        con.close()
        params = StdioServerParameters(command=MP[0], args=[*MP[1:], "mcp"], env=env, cwd=root)
        with (root / "stderr.log").open("w+") as errlog:
            tools, answers = anyio.run(_converse, params, errlog)
            errlog.seek(0)
            stderr = errlog.read()
        assert "Traceback" not in stderr and SECRET not in stderr, stderr
        yield Session(answers, tools, database, env, events)
    reset_budgets()


def rows(session: Session, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(session.database), read_only=True)
    try:
        con.execute("SET search_path = 'mixpanel,main'")
        return con.execute(sql, list(args)).fetchall()
    finally:
        con.close()


def test_every_tool_is_listed_read_only_with_its_schema(session):
    names = {t.name for t in session.tools}
    assert names == {call[1] for call in CALLS}
    assert all(t.annotations.read_only_hint for t in session.tools)
    sql = next(t for t in session.tools if t.name == "sql")
    assert set(sql.input_schema["properties"]) == {"query", "params", "max_rows", "max_bytes"}
    assert sql.input_schema["required"] == ["query"]


def test_typical_answers_fit_in_1_kb(session):
    sizes = {k: a.size for k, a in session.answers.items()}
    typical = [k for k in sizes if not k.startswith("sql_") or k == "sql"]
    over = {k: sizes[k] for k in typical if sizes[k] >= TYPICAL}
    assert over == {}, sizes
    assert all(size < 2100 for size in sizes.values()), sizes  # the default cap holds everywhere


def test_tables_and_schema_answer_the_catalog(session):
    events, profiles = (
        rows(session, "SELECT count(*) FROM events")[0][0],
        rows(session, "SELECT count(*) FROM information_schema.tables WHERE table_name='x'"),
    )
    assert profiles == [(0,)]
    assert session.answers["tables"] == Answer(f"table,type,rows\nevents,events,{events}", False)
    schema = session.answers["schema"].lines()
    expected = rows(
        session,
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'mixpanel' "
        "AND table_name = 'events' ORDER BY column_index",
    )
    assert schema[0] == "column,type"
    assert schema[1 : 1 + len(expected)] == [f"{n},{t}" for n, t in expected]
    assert schema[-1].startswith("# properties is JSON: properties->>'$.plan'")


def test_sql_binds_parameters_and_answers_csv(session):
    (n,) = rows(session, "SELECT count(*) FROM events WHERE event_name = 'Purchase'")[0]
    assert n > 0
    assert session.answers["sql"] == Answer(f"event_name,n\nPurchase,{n}", False)


def test_sql_row_and_byte_caps_say_they_truncated(session):
    capped = session.answers["sql_rows_cap"]
    assert capped.lines() == [
        "i",
        *[str(i) for i in range(7)],
        "# truncated: first 7 rows shown (max_rows=7); aggregate, filter or add LIMIT",
    ]
    default = session.answers["sql_default_cap"].lines()
    assert default[1:51] == [str(i) for i in range(50)]
    assert default[-1].startswith("# truncated: first 50 rows shown (max_rows=50)")
    by_bytes = session.answers["sql_bytes_cap"]
    assert by_bytes.size <= 1000 + 100
    kept = by_bytes.lines()[1:-1]
    assert kept == ["x" * 100] * len(kept) and 5 <= len(kept) < 10
    assert by_bytes.lines()[-1] == (
        f"# truncated: first {len(kept)} rows shown (max_bytes=1000); "
        "aggregate, filter or add LIMIT"
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sql_insert", "invalid input: Refused a INSERT statement: this server is read-only"),
        ("sql_drop", "invalid input: Refused a DROP statement: this server is read-only"),
        ("sql_two", "invalid input: Send exactly one statement (got 2)"),
        ("sql_file", "error: SQL failed: Permission Error: Cannot access file"),
        ("sql_bad", "error: SQL failed: Binder Error: Referenced column"),
        ("sql_missing_param", "invalid input: Missing parameter 'x'"),
        ("schema_missing", "not found: No table 'nope' (tables: events): see `mp tables`."),
        ("run_query_unknown", "not found: No query '../../etc/passwd': the queries are "),
        (
            "segmentation_bad",
            "invalid input: from_date 2024-03-06 is after to_date 2024-03-04: swap them",
        ),
        ("funnel_bad_id", "invalid input: funnel_id: Input should be a valid integer"),
        ("verify_unknown_pipeline", "not found: "),
    ],
    ids=lambda v: v if " " not in v else "",
)
def test_refusals_and_failures_are_one_line_tool_errors(session, key, message):
    answer = session.answers[key]
    tool = next(call[1] for call in CALLS if call[0] == key)
    assert answer.error
    assert answer.text.startswith(f"Error executing tool {tool}: {message}"), answer.text
    assert "\n" not in answer.text and "Traceback" not in answer.text and len(answer.text) < 500


def test_writes_are_refused_and_nothing_changed(session):
    assert rows(session, "SELECT count(*) FROM events WHERE event_name = 'x'") == [(0,)]
    assert rows(session, "SELECT count(*) FROM mixpanel.events") == [(session.events,)]


def test_queries_are_listed_and_run_with_parameters(session):
    listed = session.answers["list_queries"].lines()
    assert listed[0] == "query,params,answers"
    names = [line.split(",", 1)[0] for line in listed[1:]]
    shipped = sorted(p.stem for p in (Path(__file__).parents[2] / "queries").glob("*.sql"))
    assert names == shipped
    top = next(line for line in listed if line.startswith("top_events,"))
    assert top == (
        'top_events,from_date to_date limit=10,"Which events happen most, and how many distinct '
        'users..."'
    )
    assert any(
        line.startswith("funnel,steps* from_date to_date window_days=30,") for line in listed
    )
    expected = rows(
        session,
        "SELECT event_name, count(*), count(DISTINCT distinct_id) FROM events "
        "WHERE event_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3",
        FIRST,
        LAST,
    )
    assert session.answers["run_query"] == Answer(
        "event_name,events,users\n" + "\n".join(f"{e},{n},{u}" for e, n, u in expected), False
    )


def test_freshness_is_mp_info_in_brief(session):
    answer = json.loads(session.answers["freshness"].text)
    (events,) = rows(session, "SELECT count(*) FROM events")[0]
    (first, last, days) = rows(
        session, "SELECT min(event_date), max(event_date), count(DISTINCT event_date) FROM events"
    )[0]
    assert answer["rows"] == {"events": events}
    assert answer["days"] == {"events": f"{first}..{last} ({days} days)"}
    (pipeline,) = [p for p in answer["pipelines"] if p["pipeline"] == "events"]
    assert pipeline["pipeline"] == "events"
    assert pipeline["cursor"] == {"events": LOADED_TO}
    assert pipeline["zone"] == TZ
    (loaded_at,) = rows(session, "SELECT max(inserted_at) FROM mixpanel._dlt_loads")[0]
    assert pipeline["last_load"] == loaded_at.isoformat()


def test_discovery_answers_come_from_the_live_api(session):
    local = {n for (n,) in rows(session, "SELECT DISTINCT event_name FROM events")}
    events = session.answers["events"].lines()
    assert events[0] == "event" and 1 < len(events) <= 11
    assert set(events[1:]) <= local
    properties = session.answers["properties"].lines()
    assert properties[0] == "property,count" and len(properties) == 6
    values = session.answers["values"].lines()
    assert values[0] == "value" and 1 < len(values) <= 6
    seen = {
        v
        for (v,) in rows(
            session,
            "SELECT DISTINCT properties->>'$.\"$browser\"' FROM events "
            "WHERE event_name = 'Purchase'",
        )
    }
    assert set(values[1:]) <= seen
    assert session.answers["funnels"].lines()[:2] == ["funnel_id,name", "7509,Signup funnel"]


def test_segmentation_matches_the_loaded_counts(session):
    counted = rows(
        session,
        "SELECT event_date, count(*) FROM events WHERE event_name = 'Purchase' "
        "AND event_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        FIRST,
        LAST,
    )
    expected = ["date,segment,value", *[f"{d},Purchase,{n}" for d, n in counted]]
    total = sum(n for _, n in counted)
    assert session.answers["segmentation"] == Answer(
        "\n".join([*expected, f"# total {total}"]), False
    )


def test_funnel_and_retention_answer_per_step_and_cohort(session):
    funnel = session.answers["funnel"].lines()
    assert funnel[0] == "step,event,count,step_conversion,overall_conversion,avg_time"
    steps = [line.split(",") for line in funnel[1:4]]
    assert [s[:2] for s in steps] == [["1", "Sign Up"], ["2", "Add To Cart"], ["3", "Purchase"]]
    counts = [int(s[2]) for s in steps]
    assert counts[0] >= counts[1] >= counts[2] and counts[0] > 0
    assert funnel[4] == f"# conversion {round(counts[2] / counts[0], 4)}"
    retention = session.answers["retention"].lines()
    assert retention[0] == "date,size,period,count,rate"
    periods = [line.split(",") for line in retention[1:]]
    assert {p[0] for p in periods} == {FIRST, "2024-03-05", LAST}
    assert {p[2] for p in periods} == {"0", "1", "2"}


def test_verify_compares_local_and_live_counts(session):
    (events,) = rows(
        session, "SELECT count(*) FROM events WHERE event_date BETWEEN ? AND ?", FIRST, LAST
    )[0]
    (names,) = rows(session, "SELECT count(DISTINCT event_name) FROM events")[0]
    answer = session.answers["verify"]
    assert not answer.error
    assert answer.lines()[0] == (
        f"Verified {names} events on 3 days ({FIRST}..{LAST}, {TZ}) in 1 Query request: "
        f"all {events:,} events match Mixpanel."
    )


def test_startup_errors_are_one_line_and_live_errors_never_leak_the_secret(session, tmp_path):
    env = {**session.env, "MP_DATA_DIR": str(tmp_path / "a%b")}
    out = subprocess.run([*MP, "mcp"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "%" in out.stderr
    assert all(SECRET not in a.text for a in session.answers.values())


def host_configs() -> list[tuple[str, dict[str, Any]]]:
    """Every ```json block of README.md and SKILL.md that registers the server with a host."""
    found = []
    for doc in ("README.md", "SKILL.md"):
        text = (Path(__file__).parents[2] / doc).read_text(encoding="utf-8")
        for block in re.findall(r"```json\n(.*?)```", text, re.S):
            if "mcpServers" in block:
                found.append((doc, json.loads(block)["mcpServers"]["mixpanel-data"]))
    return found


async def _freshness_and_events(params: StdioServerParameters) -> tuple[Answer, Answer]:
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        answers = []
        for tool, arguments in (("freshness", {}), ("events", {"limit": 3})):
            result = await client.call_tool(tool, arguments)
            text = "\n".join(c.text for c in result.content if c.type == "text")
            answers.append(Answer(text, bool(result.is_error)))
    return answers[0], answers[1]


@pytest.mark.parametrize(
    ("doc", "entry"), host_configs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_documented_host_config_serves_with_a_stored_account(session, tmp_path, doc, entry):
    """The snippet as a host runs it: its command and args, its env only (no MP_USERNAME or
    MP_SECRET: the account stored by `mp auth add`), the host's minimal environment."""
    assert entry["command"] == "/abs/path/.venv/bin/mp" and entry["args"][-1] == "mcp"
    config = tmp_path / "config.toml"
    env = session.env
    add = ["auth", "add", "prod", "-u", env["MP_USERNAME"], "--project", env["MP_PROJECT_ID"]]
    added = subprocess.run(
        [*MP, *add, "--secret-stdin"],
        input=env["MP_SECRET"] + "\n",
        env={**env, "MP_CONFIG_PATH": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    host_env = {
        **entry["env"],
        "MP_DATA_DIR": str(session.database.parent),  # the snippet's /abs/path/mp-data
        "MP_CONFIG_PATH": str(config),  # instead of ~/.mp/config.toml
        "MP_BASE_URL": env["MP_BASE_URL"],  # the stand-in instead of Mixpanel
        "SOURCES__MIXPANEL__PROJECT_TIMEZONE": TZ,
    }
    assert set(entry["env"]) == {"MP_DATA_DIR"}
    params = StdioServerParameters(
        command=MP[0], args=[*MP[1:], *entry["args"]], env=host_env, cwd=tmp_path
    )
    freshness, events = anyio.run(_freshness_and_events, params)
    assert not freshness.error and json.loads(freshness.text)["rows"] == {"events": session.events}
    assert not events.error and events.lines()[0] == "event" and len(events.lines()) == 4
