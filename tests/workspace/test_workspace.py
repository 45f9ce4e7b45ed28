"""``Workspace`` end to end against the stand-in: fetch, SQL, introspection, drop, live queries."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from mixpanel_data import (
    ConfigError,
    FetchResult,
    InvalidArgumentError,
    NotFoundError,
    QueryError,
    SegmentationResult,
    TableNotFoundError,
    Workspace,
)

START = date(2024, 3, 4)


@pytest.fixture
def env(standin_env):
    return standin_env(start=START, days=3, events_per_day=250, profiles=40)


def _truth(env) -> int:
    return sum(env.project.unique_count(d) for d in env.project.days)


def test_fetch_query_introspect_and_drop(env):
    first, last = env.project.days[0], env.project.days[-1]
    with Workspace() as ws:
        result = ws.fetch_events(
            from_date=first,
            to_date=last,
            progress=False,
            options={"project_timezone": env.server.spec.timezone},
        )
        assert isinstance(result, FetchResult)
        assert (result.table, result.type) == ("events", "events")
        assert result.rows_new == result.table_rows == _truth(env)
        assert result.rows == result.rows_new + result.duplicates_dropped
        assert result.date_range == (str(first), str(last))
        assert isinstance(result.fetched_at, datetime) and result.duration_seconds > 0

        frame = ws.sql("SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC")
        assert isinstance(frame, pd.DataFrame) and int(frame["n"].sum()) == _truth(env)
        assert ws.sql_scalar("SELECT count(*) FROM events") == _truth(env)
        day = env.project.days[1]
        rows = ws.sql_rows(
            "SELECT count(*) FROM events WHERE export_date = CAST($day AS DATE)", {"day": day}
        )
        assert rows == [(env.project.unique_count(day),)]
        top = ws.sql("queries/top_events.sql", {"limit": 2})
        assert list(top.columns) == ["event_name", "events", "users"] and len(top) == 2

        profiles = ws.fetch_profiles(progress=False)
        assert profiles.type == "profiles" and profiles.table_rows == 40
        assert [(t.name, t.type, t.rows) for t in ws.tables()] == [
            ("events", "events", _truth(env)),
            ("profiles", "profiles", 40),
        ]
        schema = ws.schema("events")
        assert schema.type == "events" and schema.columns[0].name == "event_key"
        info = ws.info()
        assert info.exists and info.database == str(env.data_dir / "mixpanel_data.duckdb")
        cursors = {p.name: p.cursors for p in info.pipelines}
        assert cursors["events"] == {"events": str(last)}
        assert info.date_ranges[0].last_export_date == str(last)

        assert [t.name for t in ws.drop("profiles")] == ["profiles"]
        assert [t.name for t in ws.tables()] == ["events"]
        assert [t.name for t in ws.drop_all(type="events")] == ["events"]
        assert ws.tables() == []
        again = ws.fetch_events(from_date=first, to_date=first, progress=False)
        assert again.rows_new == env.project.unique_count(first)


def test_errors_are_the_library_exceptions(env):
    with Workspace() as ws:
        with pytest.raises(TableNotFoundError):
            ws.sql("SELECT * FROM events")
        with pytest.raises(QueryError, match="SQL failed"):
            ws.sql_scalar("SELEC 1")
        with pytest.raises(TableNotFoundError):
            ws.schema("events")
        with pytest.raises(TableNotFoundError):
            ws.drop("events")
        with pytest.raises(InvalidArgumentError, match="Missing parameter 'property'"):
            ws.sql("queries/property_breakdown.sql")


def test_other_table_names_are_refused_clearly(env):
    with Workspace() as ws:
        with pytest.raises(InvalidArgumentError, match="dlt-managed table 'events'"):
            ws.fetch_events("january", from_date=START, to_date=START)
        with pytest.raises(InvalidArgumentError, match="'profiles'"):
            ws.fetch_profiles("people")


def test_ephemeral_is_deleted_on_exit_and_leaks_no_environment(env):
    before = dict(os.environ)
    with Workspace.ephemeral() as ws:
        where = ws.path.parent
        ws.fetch_events(from_date=START, to_date=START, progress=False)
        assert ws.sql_scalar("SELECT count(*) FROM events") == env.project.unique_count(START)
        assert os.environ == before
    assert not where.exists()
    assert not (env.data_dir / "mixpanel_data.duckdb").exists()
    assert dict(os.environ) == before


def test_ephemeral_is_deleted_even_on_error(env):
    with pytest.raises(RuntimeError, match="analysis failed"), Workspace.ephemeral() as ws:
        where = ws.path.parent
        ws.sql_scalar("SELECT 1")
        raise RuntimeError("analysis failed")
    assert not where.exists()


def test_open_is_query_only_and_needs_no_credentials(env, monkeypatch):
    with Workspace() as ws:
        ws.fetch_events(from_date=START, to_date=START, progress=False)
    for name in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID", "MP_BASE_URL"):
        monkeypatch.delenv(name)
    database = env.data_dir / "mixpanel_data.duckdb"
    for target in (database, env.data_dir):
        with Workspace.open(target) as ws:
            assert ws.read_only
            assert ws.sql_scalar("SELECT count(*) FROM events") == env.project.unique_count(START)
            with pytest.raises(ConfigError, match="query-only"):
                ws.fetch_events(from_date=START, to_date=START)
            with pytest.raises(ConfigError, match="query-only"):
                ws.drop("events")
            with pytest.raises(ConfigError, match="query-only"):
                ws.events()
    with pytest.raises(NotFoundError):
        Workspace.open(env.data_dir / "missing.duckdb")


def test_path_is_a_directory_or_a_database_file(env, tmp_path):
    with Workspace(path=tmp_path / "elsewhere") as ws:
        ws.fetch_events(from_date=START, to_date=START, progress=False)
        assert ws.path == tmp_path / "elsewhere" / "mixpanel_data.duckdb"
    assert not (env.data_dir / "mixpanel_data.duckdb").exists()
    with Workspace(path=tmp_path / "elsewhere" / "mixpanel_data.duckdb") as ws:
        assert ws.sql_scalar("SELECT count(*) FROM events") == env.project.unique_count(START)
    with (
        Workspace(path=tmp_path / "other.duckdb") as ws,
        pytest.raises(ConfigError, match=r"mixpanel_data\.duckdb"),
    ):
        ws.fetch_events(from_date=START, to_date=START)


def test_connection_escape_hatch_writes_and_survives_fetch(env):
    with Workspace() as ws:
        ws.fetch_events(from_date=START, to_date=START, progress=False)
        ws.connection.execute("CREATE TABLE main.summary AS SELECT event_name FROM events")
        assert "summary" in [t.name for t in ws.tables()]
        ws.fetch_events(from_date=START, to_date=START, progress=False)
        assert ws.sql_scalar("SELECT count(*) FROM summary") == env.project.unique_count(START)


def test_live_queries_and_discovery(standin_env):
    # Discovery looks at the stand-in's last 31 days: its clock stands a day after the project.
    env = standin_env(
        start=START,
        days=3,
        events_per_day=250,
        profiles=40,
        now=datetime(2024, 3, 7, 12, tzinfo=UTC),
    )
    first, last = str(env.project.days[0]), str(env.project.days[-1])
    with Workspace() as ws:
        names = ws.events()
        assert "Purchase" in names
        assert ws.properties("Purchase")
        assert ws.property_values("Purchase", "$browser", limit=3)
        asked = len(env.server.requests.filter(family="query"))
        assert ws.events() == names
        assert len(env.server.requests.filter(family="query")) == asked
        ws.clear_cache()
        ws.events()
        assert len(env.server.requests.filter(family="query")) == asked + 1

        seg = ws.segmentation("Purchase", first, last)
        assert isinstance(seg, SegmentationResult) and seg.records()
        funnel_id = ws.funnels().records()[0]["funnel_id"]
        assert ws.funnel(funnel_id, first, last).records()
        assert ws.retention("Sign Up", None, first, last).records()
        script = (
            f'function main() {{ return Events({{from_date: "{first}", to_date: "{last}"}})'
            ".reduce(mixpanel.reducer.count()) }"
        )
        assert ws.jql(script).records()[0]["value"] > 0
        assert ws.api.credentials.project_id == str(env.server.project_id)


def test_repr_and_public_construction(env, tmp_path):
    ws = Workspace(path=tmp_path)
    assert "read-write" in repr(ws) and str(tmp_path) in repr(ws)
    ws.close()
    assert isinstance(ws.path, Path)
