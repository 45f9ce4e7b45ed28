"""Tables created before dlt's first load: zstd on the JSON column, the rest as dlt has it."""

from __future__ import annotations

from datetime import datetime

import pytest

PROMOTE = {"mp_lib": "text", "$screen_width": "bigint", "price": "double", "time": "timestamp"}
START = datetime(2024, 3, 8).date()


def columns(env, schema: str, table: str) -> list[tuple[str, str, str]]:
    return sorted(
        env.rows(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{table}'"
        )
    )


def json_compression(env, schema: str, table: str) -> str:
    [(sql,)] = env.rows(
        f"SELECT sql FROM duckdb_tables() WHERE schema_name = '{schema}' AND table_name = '{table}'"
    )
    return "zstd" if "USING COMPRESSION ZSTD" in sql.upper() else "auto"


def load(standin_env, monkeypatch: pytest.MonkeyPatch, compression: str, times: int = 1):
    monkeypatch.setenv("MP_DUCKDB_COMPRESSION", compression)
    env = standin_env(start=START, days=3, profiles=40)
    env.data_dir = env.data_dir.parent / f"data-{compression}"  # one database per load
    monkeypatch.setenv("MP_DATA_DIR", str(env.data_dir))
    for _ in range(times):  # the first load of fresh days appends; a second one merges (staging)
        env.run(
            "events",
            from_date=env.project.days[0],
            to_date=env.project.days[-1],
            options={"promote": PROMOTE},
        )
    env.run("profiles")
    return env


def test_created_tables_match_what_dlt_creates(standin_env, monkeypatch):
    ours = load(standin_env, monkeypatch, "zstd", times=2)
    ours_columns = {
        (schema, table): columns(ours, schema, table)
        for schema in ("mixpanel", "mixpanel_staging")
        for table in ("events", "profiles")
    }
    dlts = load(standin_env, monkeypatch, "auto", times=2)
    for (schema, table), cols in ours_columns.items():
        assert cols == columns(dlts, schema, table), (schema, table)
        assert json_compression(ours, schema, table) == "zstd"
        assert json_compression(dlts, schema, table) == "auto"
    assert ours.counts_by_day() == dlts.counts_by_day() == ours.truth_by_day()
    assert ours.rows("SELECT count(*) FROM mixpanel.profiles") == [(40,)]


def test_only_the_json_column_is_zstd(standin_env, monkeypatch):
    env = load(standin_env, monkeypatch, "zstd")
    methods = dict(
        env.rows(
            "SELECT column_name, list(DISTINCT compression) FROM "
            "pragma_storage_info('mixpanel.events') WHERE segment_type IN ('VARCHAR', 'JSON') "
            "GROUP BY 1"
        )
    )
    assert "ZSTD" in methods["properties"]
    assert "ZSTD" not in methods["event_name"]


def test_full_refresh_reloads_exactly_and_keeps_the_compression(standin_env, monkeypatch):
    env = load(standin_env, monkeypatch, "zstd")
    first, last = env.project.days[0], env.project.days[-1]
    summary = env.run("events", from_date=first, to_date=last, full_refresh=True)
    assert env.counts_by_day() == env.truth_by_day()
    assert summary.rows_new == sum(env.truth_by_day().values())
    assert json_compression(env, "mixpanel", "events") == "zstd"
    # the promoted columns were dropped with the table: this run did not ask for them
    names = {name for name, _, _ in columns(env, "mixpanel", "events")}
    assert "mp_lib" not in names and "properties" in names
