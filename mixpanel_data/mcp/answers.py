"""Compact answers for an agent's context: CSV rows under a row and a byte cap.

An MCP answer lands in a model's context, so it is CSV (the most compact table text: a header
and one line per row), floats are rounded to 4 significant decimals, JSON values stay JSON text,
and a table that does not fit ends with one ``# truncated: ...`` line saying what was cut and
how to get the rest. A typical answer stays under 1 KB (SKILL.md's budget).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

#: Defaults of a tool call; ``Caps.ceiling_*`` bound what a call may ask for.
DEFAULT_ROWS = 50
DEFAULT_BYTES = 2_000
CEILING_ROWS = 1_000
CEILING_BYTES = 32_000


@dataclass(frozen=True)
class Caps:
    """The most rows and bytes one answer may hold, as the server was started with."""

    max_rows: int = CEILING_ROWS
    max_bytes: int = CEILING_BYTES

    def clamp(self, rows: int | None, size: int | None) -> tuple[int, int]:
        """A call's ``max_rows``/``max_bytes`` (None: the default), held under the ceilings."""
        wanted_rows = DEFAULT_ROWS if rows is None else rows
        wanted_bytes = DEFAULT_BYTES if size is None else size
        return (
            max(1, min(wanted_rows, self.max_rows)),
            max(200, min(wanted_bytes, self.max_bytes)),
        )


def cell(value: Any) -> str:
    """One value as CSV text: JSON values as JSON, floats rounded, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 4))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list | tuple):
        import orjson

        return orjson.dumps(value, default=str).decode()
    return str(value)


def _line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([cell(v) for v in values])
    return buffer.getvalue()


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    max_rows: int,
    max_bytes: int,
    more: bool = False,
    hint: str = "aggregate, filter or add LIMIT",
) -> str:
    """CSV of ``rows`` cut at ``max_rows`` rows or ``max_bytes`` bytes, saying so when cut.

    ``rows`` may hold one row past ``max_rows`` (or ``more`` says there were more): that is how
    a cut is told from a table that just fits.
    """
    out = [_line(columns)]
    size = len(out[0].encode())
    shown = 0
    cut = ""
    iterator: Iterator[Sequence[Any]] = iter(rows)
    for row in iterator:
        if shown == max_rows:
            cut = f"max_rows={max_rows}"
            break
        text = _line(row)
        if size + len(text.encode()) > max_bytes:
            cut = f"max_bytes={max_bytes}"
            break
        out.append(text)
        size += len(text.encode())
        shown += 1
    if not cut and more:
        cut = f"max_rows={max_rows}"
    if cut:
        out.append(f"# truncated: first {shown} rows shown ({cut}); {hint}\n")
    return "".join(out).rstrip("\n")


def records_table(
    columns: Sequence[str], records: Sequence[dict[str, Any]], *, max_rows: int, max_bytes: int
) -> str:
    """``table`` over dict records (a live result's ``records()``)."""
    rows = [[r.get(c) for c in columns] for r in records]
    return table(
        columns,
        rows,
        max_rows=max_rows,
        max_bytes=max_bytes,
        hint="narrow the dates, use a coarser unit or a smaller limit",
    )


def compact_json(value: Any) -> str:
    """JSON without spaces, None-valued keys left out (they say nothing)."""
    import orjson

    return orjson.dumps(_drop_none(value), default=str).decode()


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value
