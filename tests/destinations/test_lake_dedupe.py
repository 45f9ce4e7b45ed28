"""The Delta lake keeps the same copy of every duplicate as DuckDB: the one Mixpanel shows.

The stand-in sends each duplicate after its original, processed later (Mixpanel's queries show
the latest copy: docs.mixpanel.com/troubleshooting/errors/duplicate-events). With small export
batches a day's original and its re-send land in different batches, and with a tiny load chunk
a run is several loads; the lake must still hold exactly DuckDB's rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from mixpanel_data.cli.main import main

YAML = """
pipelines:
  duck:
    resources: [events]
    options: {{project_timezone: "{tz}", batch_bytes: 1048576, window_days: 1, concurrency: 1}}
  lake:
    resources: [events]
    destination: filesystem
    table_format: delta
    options: {{project_timezone: "{tz}", batch_bytes: 1048576, window_days: 1, concurrency: 1}}
"""
ROWS = (
    "SELECT event_key, event_name, event_time, event_date, export_date, distinct_id, insert_id, "
    "mp_processing_time_ms, CAST(properties AS VARCHAR) AS properties FROM events "
    "ORDER BY event_key"
)


def _sql(name: str, query: str) -> list[dict[str, Any]]:
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(["--format", "json", "sql", "--pipeline", name, query])
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


@pytest.fixture
def loaded(standin_env: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """DuckDB and the lake loaded alike: a backfill in one-day loads, then an overlapping one."""
    env = standin_env(days=3, events_per_day=4000, duplicate_rate=0.2)
    (tmp_path / "pipelines.yaml").write_text(YAML.format(tz=env.server.spec.timezone))
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    monkeypatch.setenv("MP_LOAD_CHUNK_MB", "0.05")  # every window is a load of its own
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "lake").as_uri())
    days = env.project.days
    for name in ("duck", "lake"):
        first = env.run(name, from_date=days[0], to_date=days[-1])
        assert first.chunks > 1, "the test needs a run of several loads"
        env.run(name, from_date=days[1], to_date=days[-1])  # re-read: upsert over stored rows
    return env


def test_lake_and_duckdb_hold_identical_rows(loaded: Any) -> None:
    duck, lake = _sql("duck", ROWS), _sql("lake", ROWS)
    assert len(duck) == sum(loaded.truth_by_day().values())
    assert lake == duck


def test_the_lake_keeps_the_latest_copy_of_each_duplicate(loaded: Any) -> None:
    truth = sorted(
        event["properties"]["mp_processing_time_ms"]
        for day in loaded.project.days
        for event in loaded.project.unique_events(day)
    )
    query = "SELECT mp_processing_time_ms AS t FROM events ORDER BY t"
    assert [row["t"] for row in _sql("lake", query)] == truth


def _table(keys: list[str], sort: list[int | None], tag: str) -> pa.Table:
    return pa.table({"k": keys, "s": pa.array(sort, pa.int64()), "tag": [tag] * len(keys)})


@pytest.mark.parametrize(
    ("order", "winners"),
    [
        (("s", "desc"), {"a": "late-high", "b": "early", "c": "late-tie", "d": "early"}),
        (("s", "asc"), {"a": "early", "b": "late", "c": "late-tie", "d": "early-null"}),
        (None, {"a": "late-high", "b": "late", "c": "late-tie", "d": "late-null"}),
    ],
    ids=["desc", "asc", "no-order"],
)
def test_one_row_per_key_the_sort_prefers_across_tables(
    tmp_path: Path, order: tuple[str, str] | None, winners: dict[str, str]
) -> None:
    """As ROW_NUMBER() OVER (PARTITION BY k ORDER BY s [DESC]) in DuckDB: NULLs last; ties and
    no order go to the later arrival."""
    from mixpanel_data.destinations.lake_dedupe import unique_rows

    tables = [
        _table(["a", "b", "c", "d"], [1, 5, 3, 1], "early"),
        _table(["e"], [1], "alone"),
        _table(["a", "b", "c", "d"], [9, 2, 3, None], "late"),
    ]
    tables[2] = tables[2].set_column(
        2, "tag", pa.array(["late-high", "late", "late-tie", "late-null"])
    )
    if order == ("s", "asc"):
        tables[0] = tables[0].set_column(2, "tag", pa.array(["early", "x", "x", "early-null"]))
    out = pa.concat_tables(unique_rows(iter(tables), "k", order, spool_dir=tmp_path))
    kept = dict(zip(out.column("k").to_pylist(), out.column("tag").to_pylist(), strict=True))
    assert kept == {**winners, "e": "alone"}
    assert out.schema == tables[0].schema
    assert not list(tmp_path.iterdir()), "the spool is removed"
