"""Export workers take turns on one parsing DuckDB: a second parse waits for the first file."""

from __future__ import annotations

import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from mixpanel_data.sources.mixpanel import events_arrow
from mixpanel_data.sources.mixpanel import timezones as tz_
from mixpanel_data.sources.mixpanel.events_arrow import EventParser


def _spool(path: Path, rows: int) -> str:
    lines = (
        orjson.dumps(
            {
                "event": "e",
                "properties": {
                    "time": 1_709_251_200 + i,
                    "distinct_id": f"u{i}",
                    "$insert_id": f"id{i}",
                    "mp_processing_time_ms": 1_709_251_200_000 + i,
                },
            }
        )
        for i in range(rows)
    )
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


def test_a_second_parse_waits_until_the_first_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(events_arrow, "FILE_BATCH_ROWS", 10)
    path = _spool(tmp_path / "spool.ndjson", 50)
    parser = EventParser(ZoneInfo("UTC"), tz_.LegacySwitch(False))
    first = parser.parse_file(path)
    taken = [next(first)]  # mid-file: this parse holds its turn
    finished = threading.Event()
    other_rows: list[int] = []

    def other() -> None:
        other_rows.append(sum(t.num_rows for t in parser.parse_file(path)))
        finished.set()

    worker = threading.Thread(target=other)
    worker.start()
    try:
        assert not finished.wait(0.5), "a second parse ran while the first was mid-file"
        taken += list(first)
        assert finished.wait(30)
    finally:
        first.close()
        worker.join(30)
    assert sum(t.num_rows for t in taken) == 50 and other_rows == [50]


def test_an_abandoned_parse_gives_its_turn_back(tmp_path, monkeypatch):
    monkeypatch.setattr(events_arrow, "FILE_BATCH_ROWS", 10)
    path = _spool(tmp_path / "spool.ndjson", 50)
    parser = EventParser(ZoneInfo("UTC"), tz_.LegacySwitch(False))
    first = parser.parse_file(path)
    next(first)
    first.close()  # a window abandoned mid-file (a failing run, a consumer gone)
    rows: list[int] = []
    worker = threading.Thread(
        target=lambda: rows.append(sum(t.num_rows for t in parser.parse_file(path)))
    )
    worker.start()
    worker.join(30)
    if worker.is_alive():
        pytest.fail("the abandoned parse kept its turn")
    assert rows == [50]
