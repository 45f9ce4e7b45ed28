"""Data to stdout in json, jsonl, csv or table; status and progress to stderr.

The default format is ``table`` on a terminal and ``json`` otherwise; ``MP_FORMAT`` overrides.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMATS = ("json", "jsonl", "csv", "table")


def default_format() -> str:
    """``MP_FORMAT``, else ``table`` on a terminal and ``json`` when piped."""
    env = os.environ.get("MP_FORMAT")
    if env:
        return env
    return "table" if sys.stdout.isatty() else "json"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def render_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """Rows as text in ``fmt`` (json: a list of objects)."""
    records = [dict(zip(columns, row, strict=False)) for row in rows]
    if fmt == "json":
        return _json_lines_array(records)
    if fmt == "jsonl":
        return "\n".join(_compact(r) for r in records)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    return _table(columns, rows)


def write_rows(
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    fmt: str,
    raw_json: Sequence[bool] = (),
    out: TextIO | None = None,
) -> None:
    """Rows to ``out`` (stdout) batch by batch in ``fmt``: json, jsonl and csv never hold more
    than one batch, so a large ``mp sql`` answer streams in flat memory. ``raw_json`` marks the
    columns whose values are already JSON text (a DuckDB ``JSON`` column, for csv); a table needs
    every row to size its columns, so it is rendered at the end.
    """
    try:
        _write_rows(columns, batches, fmt, raw_json, out or sys.stdout)
    except BrokenPipeError:  # `mp sql ... | head`: the reader has all it wanted
        reader_gone()


def reader_gone() -> None:
    """Point stdout at /dev/null so nothing else (the exit flush included) fails on the pipe;
    the command then ends normally (exit 0), as the error boundary does for the same case."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _write_rows(
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    fmt: str,
    raw_json: Sequence[bool],
    out: TextIO,
) -> None:
    if fmt == "table":
        rows = [row for batch in batches for row in batch]
        emit(_table(columns, rows))
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        raw = list(raw_json) + [False] * (len(columns) - len(raw_json))
        for batch in batches:
            writer.writerows(
                [[v if r else csv_cell(v) for v, r in zip(row, raw, strict=False)] for row in batch]
            )
    else:
        count = 0
        for batch in batches:
            lines = [_compact(dict(zip(columns, row, strict=False))) for row in batch]
            if fmt == "json":
                lead = "[\n" if count == 0 else ",\n"
                out.write(lead + ",\n".join(lines))
            else:
                out.write("".join(line + "\n" for line in lines))
            count += len(lines)
        if fmt == "json":
            out.write("\n]\n" if count else "[]\n")
    out.flush()


def csv_cell(value: Any) -> Any:
    """A csv cell: lists, structs and maps as compact JSON text, never a Python repr."""
    if isinstance(value, dict | list | tuple):
        return _compact(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dt.timedelta):
        return duration(value)
    return value


def duration(value: dt.timedelta) -> str:
    """An interval as ISO 8601 (``P1DT3600S``), not Python's ``1 day, 1:00:00``."""
    seconds = value.seconds + value.microseconds / 1e6
    text = f"{seconds:g}" if value.microseconds else str(value.seconds)
    return f"P{value.days}DT{text}S"


def _compact(value: Any) -> str:
    return json.dumps(
        finite(value), default=_json_default, ensure_ascii=False, separators=(",", ":")
    )


def finite(value: Any) -> Any:
    """``value`` with NaN and ±Infinity as None: JSON has no such numbers (Python's ``json``
    would print ``NaN``, which no JSON reader accepts). DuckDB DOUBLE columns and lists of them
    are where they come from; JSON columns cannot hold them, so nested objects are not walked."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        if any(isinstance(v, float | list | tuple) for v in value.values()):
            return {k: finite(v) for k, v in value.items()}
        return value
    if isinstance(value, list | tuple) and any(isinstance(v, float) for v in value):
        return [finite(v) for v in value]
    return value


def _json_lines_array(records: Sequence[Any]) -> str:
    """A JSON array with one compact record per line: readable, and small in an agent's context."""
    if not records:
        return "[]"
    return "[\n" + ",\n".join(_compact(r) for r in records) + "\n]"


def render_value(value: Any, fmt: str) -> str:
    """A single document (an object or list) in ``fmt``; tables/csv of a list of dicts."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(k for v in value for k in v))
        return render_rows(columns, [[v.get(c) for c in columns] for v in value], fmt)
    if isinstance(value, dict) and fmt == "table":
        return _document_table(value)
    if isinstance(value, dict) and fmt == "csv":
        return render_rows(["key", "value"], list(value.items()), fmt)
    if fmt == "jsonl" and isinstance(value, list):
        return "\n".join(_compact(v) for v in value)
    indent = None if fmt == "jsonl" else 2
    return json.dumps(finite(value), default=_json_default, ensure_ascii=False, indent=indent)


def render_records(columns: Sequence[str], records: Sequence[dict[str, Any]], fmt: str) -> str:
    """Dicts as rows of ``columns`` (so an empty result still has its csv/table header)."""
    return render_rows(columns, [[r.get(c) for c in columns] for r in records], fmt)


def render_scalar(value: Any) -> str:
    """One value as plain text for shell capture (``$(mp sql --scalar ...)``); NULL is empty."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _document_table(doc: dict[str, Any]) -> str:
    """Scalars as a key/value table, then each list of objects as its own titled table."""
    scalars = [(k, v) for k, v in doc.items() if not _is_records(v)]
    parts = [_table(["key", "value"], [(k, _cell(v)) for k, v in scalars])] if scalars else []
    for key, value in doc.items():
        if _is_records(value) and value:
            columns = list(dict.fromkeys(c for row in value for c in row))
            rows = [[_cell(row.get(c)) for c in columns] for row in value]
            parts.append(f"{key}:\n{_table(columns, rows)}")
    return "\n".join(parts)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, bytes | bytearray | dt.timedelta):
        return csv_cell(value)
    return value


def emit(text: str) -> None:
    """Write data to stdout."""
    if text:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(_cell(v)) for v in row))
    console = Console(file=io.StringIO(), width=terminal_width(), no_color=True)
    console.print(table)
    return console.file.getvalue().rstrip("\n")  # type: ignore[attr-defined]


def terminal_width(default: int = 100_000) -> int:
    """Columns of the terminal showing the table: ``COLUMNS``, else stdout's terminal; piped to
    a file or a program, ``default``: as wide as the table needs, so no cell is wrapped."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return default
