"""Output formats: every one parses back to the same data."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from mixpanel_data.cli.output import (
    FORMATS,
    default_format,
    render_rows,
    render_scalar,
    render_value,
)

COLUMNS = ["day", "event", "n", "share", "props"]
ROWS = [
    (date(2024, 3, 4), "Sign Up", 3, Decimal("0.5"), {"plan": "pro"}),
    (date(2024, 3, 5), 'Café ☕, "quoted"', 0, None, [1, 2]),
]
JSON_ROWS = [
    {"day": "2024-03-04", "event": "Sign Up", "n": 3, "share": 0.5, "props": {"plan": "pro"}},
    {"day": "2024-03-05", "event": 'Café ☕, "quoted"', "n": 0, "share": None, "props": [1, 2]},
]


def parse(text: str, fmt: str) -> list[dict[str, object]]:
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_round_trip(fmt):
    assert parse(render_rows(COLUMNS, ROWS, fmt), fmt) == JSON_ROWS


def test_json_puts_one_record_per_line():
    lines = render_rows(COLUMNS, ROWS, "json").splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4


def test_csv_round_trips_with_quotes_and_json_cells():
    rows = parse(render_rows(COLUMNS, ROWS, "csv"), "csv")
    assert rows[1]["event"] == 'Café ☕, "quoted"'
    assert json.loads(rows[0]["props"]) == {"plan": "pro"}
    assert rows[1]["share"] == ""
    assert rows[0]["day"] == "2024-03-04"


def test_table_shows_every_value_without_colour():
    text = render_rows(COLUMNS, ROWS, "table")
    assert "Café ☕" in text and "2024-03-04" in text and '{"plan": "pro"}' in text
    assert "\x1b[" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_results(fmt):
    text = render_rows(["a"], [], fmt)
    if fmt == "json":
        assert json.loads(text) == []
    elif fmt == "jsonl":
        assert text == ""
    elif fmt == "csv":
        assert text == "a"


def test_documents_in_every_format():
    doc = {"database": "/x.duckdb", "size": 10, "tables": [{"table": "events", "rows": 5}]}
    assert json.loads(render_value(doc, "json")) == doc
    assert json.loads(render_value(doc, "jsonl")) == doc
    pairs = {r["key"]: r["value"] for r in parse(render_value(doc, "csv"), "csv")}
    assert pairs["size"] == "10"
    assert json.loads(pairs["tables"]) == doc["tables"]
    table = render_value(doc, "table")
    assert "tables:" in table and "events" in table and "/x.duckdb" in table


def test_scalar_is_plain_text():
    assert render_scalar(None) == ""
    assert render_scalar(42) == "42"
    assert render_scalar(datetime(2024, 3, 4, 5, 6)) == "2024-03-04T05:06:00"
    assert render_scalar({"a": 1}) == '{"a": 1}'


def test_default_format(monkeypatch):
    monkeypatch.delenv("MP_FORMAT", raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert default_format() == "json"
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert default_format() == "table"
    monkeypatch.setenv("MP_FORMAT", "csv")
    assert default_format() == "csv"
