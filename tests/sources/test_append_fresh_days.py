"""Days the table never held are appended (no staging copy, no merge); stored days merge.

Each export window is deduplicated in extract (``window_dedupe``), so a load's rows are unique
per key; a load holds one kind of day only, and state from before ``loaded`` recorded every
load counts every day it knew of as stored.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest

from mixpanel_data.sources.mixpanel.cursor import EventsState
from mixpanel_data.sources.mixpanel.window_dedupe import WindowDedupe
from mixpanel_data.sources.mixpanel.windows import Window, WindowPlanner

from ..harsh import utc

D = date(2024, 3, 1)


def _day(n: int) -> date:
    return D + timedelta(days=n - 1)


def _table(keys: list[str], order: list[int | None], tags: list[str]) -> pa.Table:
    return pa.table(
        {
            "event_key": pa.array(keys, pa.string()),
            "mp_processing_time_ms": pa.array(order, pa.int64()),
            "tag": tags,
        }
    )


@pytest.mark.parametrize("memory", [1 << 30, 0], ids=["in-memory", "spilled"])
def test_a_window_keeps_the_latest_copy_of_each_key(memory, tmp_path):
    window = WindowDedupe(memory, tmp_path)
    window.add(_table(["a", "b", "c"], [1, 5, None], ["a1", "b1", "c1"]))
    window.add(_table(["a", "d", "b"], [2, 1, 5], ["a2", "d1", "b2"]))
    window.add(_table(["c", "e"], [None, 3], ["c2", "e1"]))
    kept = pa.concat_tables(list(window.tables())).column("tag").to_pylist()
    # a: the higher processing time; b and c: a tie goes to the later copy in export order
    assert kept == ["a2", "d1", "b2", "c2", "e1"]
    assert window.dropped == 3
    assert list(tmp_path.iterdir()) == []  # the spill file has no name and is gone


def test_a_window_without_duplicates_passes_its_tables_through():
    window = WindowDedupe(1 << 30)
    tables = [_table(["a", "b"], [1, 2], ["a", "b"]), _table(["c"], [3], ["c"])]
    for table in tables:
        window.add(table)
    assert list(window.tables()) == tables and window.dropped == 0


def _plan(planner: WindowPlanner, target: int | None) -> list[tuple[bool, list[Window]]]:
    chunks = []
    while not planner.exhausted:
        fresh = planner.chunk(target)
        windows = []
        while (window := planner.next()) is not None:
            planner.observe(window, 10)
            windows.append(window)
        chunks.append((fresh, windows))
    return chunks


def test_a_chunk_holds_one_kind_of_day_and_no_window_mixes_them():
    planner = WindowPlanner(
        [Window(_day(1), _day(10))],
        window_days=3,
        target_bytes=1 << 20,
        stored=[Window(_day(4), _day(5)), Window(_day(9), _day(20))],
    )
    chunks = _plan(planner, target=1 << 20)
    assert chunks == [
        (True, [Window(_day(1), _day(3))]),
        (False, [Window(_day(4), _day(5))]),
        (True, [Window(_day(6), _day(8))]),
        (False, [Window(_day(9), _day(10))]),
    ]


def test_one_load_for_everything_appends_only_when_every_day_is_fresh():
    mixed = WindowPlanner(
        [Window(_day(1), _day(6))], window_days=2, target_bytes=1, stored=[Window(_day(3), _day(3))]
    )
    [(fresh, windows)] = _plan(mixed, target=None)
    assert not fresh and windows[:2] == [Window(_day(1), _day(2)), Window(_day(3), _day(3))]
    clean = WindowPlanner([Window(_day(1), _day(6))], window_days=2, target_bytes=1)
    [(fresh, _)] = _plan(clean, target=None)
    assert fresh


def test_state_from_before_loaded_was_complete_counts_every_known_day_as_stored():
    older = EventsState.read(
        {"version": 2, "cursor": "2024-03-05", "loaded": [["2024-03-04", "2024-03-05"]]}
    )
    assert older.stored_days() == [Window(date.min, _day(5))]
    incremental_layout = EventsState.read(
        {"incremental": {"export_date": {"last_value": "2024-03-07"}}}  # type: ignore[typeddict-item]
    )
    assert incremental_layout.stored_days() == [Window(date.min, _day(7))]
    assert EventsState.read({}).stored_days() == []  # a new pipeline: nothing is stored
    raw: dict = {}
    older.write(raw)  # carried over, and from now on every load is in ``loaded``
    again = EventsState.read(raw)  # type: ignore[arg-type]
    assert again.stored_days() == [Window(date.min, _day(5))]
    again.loaded.append(Window(_day(9), _day(9)))
    assert again.stored_days() == [Window(date.min, _day(5)), Window(_day(9), _day(9))]


def test_a_range_over_stored_and_fresh_days_merges_only_the_stored_ones(harsh, monkeypatch):
    monkeypatch.setenv("LOAD__TRUNCATE_STAGING_DATASET", "false")  # keep the last merge's rows
    monkeypatch.setenv("MP_LOAD_CHUNK_MB", "0.01")  # a load per window
    env = harsh(now=utc(2024, 3, 30, 12), start=D, days=10, duplicate_rate=0.1)
    env.run(from_date="2024-03-01", to_date="2024-03-06")
    assert env.rows("SELECT count(*) FROM mixpanel_staging.events") == [(0,)]  # all appended
    env.run(from_date="2024-03-05", to_date="2024-03-09")
    staged = {
        row[0] for row in env.rows("SELECT DISTINCT export_date FROM mixpanel_staging.events")
    }
    assert staged and staged <= {_day(5), _day(6)}  # 7..9 were never stored: appended
    assert env.export_counts() == env.export_truth(last=_day(9))


def test_where_a_spool_has_no_path_batches_load_the_same_rows(harsh, monkeypatch):
    """Linux hands DuckDB the verified spool (``/proc/self/fd``); elsewhere it is read back in
    batches. Both give the same rows, content keys of rows without ``$insert_id`` included."""
    from mixpanel_data.sources.mixpanel import events_fetch

    stored = {}
    for fd_dir in ("/proc/self/fd", None):
        monkeypatch.setattr(events_fetch, "FD_DIR", fd_dir)
        env = harsh(
            now=utc(2024, 3, 30, 12),
            start=D,
            days=4,
            duplicate_rate=0.1,
            missing_insert_id_rate=0.2,
            resend_rate=0.3,
        )
        env.run(from_date="2024-03-01", to_date="2024-03-04")
        assert env.export_counts() == env.export_truth(last=_day(4))
        stored[fd_dir] = env.rows(
            "SELECT event_key, mp_processing_time_ms FROM mixpanel.events ORDER BY 1"
        )
    assert stored["/proc/self/fd"] == stored[None]
