"""One SQL statement's rows in batches, with JSON columns as values, for ``mp sql``.

``catalog.run_sql`` returns every row at once (what ``Workspace.sql_rows`` needs); a CLI that
prints 50k rows of events that way peaks near 500 MB of Python objects. Here DuckDB's result
is read ``fetchmany`` batch by batch (DuckDB's ``execute`` streams: it does not materialize the
result before the first fetch), so memory stays flat whatever the row count.

DuckDB hands a ``JSON`` column back as its text; ``decoder`` turns it (also inside lists,
structs and maps) into the value it holds, so ``-f json`` prints JSON, not a string of JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mixpanel_data.exceptions import InvalidArgumentError

#: Rows per fetch: large enough to amortize the call, small enough to keep memory flat.
BATCH_ROWS = 2048

Decoder = Callable[[Any], Any]


@dataclass
class SqlStream:
    """Column names and their DuckDB types, and the rows still to read (``batches()``)."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    _cursor: Any = field(repr=False, default=None)
    _decoders: tuple[Decoder | None, ...] = ()
    _error: Callable[[Exception], Exception] | None = field(repr=False, default=None)

    @property
    def json_columns(self) -> tuple[bool, ...]:
        """Which columns are DuckDB ``JSON`` (their fetched values are JSON text)."""
        return tuple(t == "JSON" for t in self.types)

    def batches(
        self, size: int = BATCH_ROWS, json_text: bool = False
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Lists of up to ``size`` rows, JSON values decoded, until the result is exhausted.

        ``json_text`` leaves ``JSON`` columns as the text DuckDB returns (csv prints it as is).
        """
        if self._cursor is None or not self.columns:
            return
        decoders = self._decoders
        if json_text:
            json_columns = zip(decoders, self.json_columns, strict=True)
            decoders = tuple(None if is_json else d for d, is_json in json_columns)
        fetchmany = getattr(self._cursor, "fetchmany", None)
        while True:
            rows = self._fetch(fetchmany, size)
            if not rows:
                return
            yield [self._decode(row, decoders) for row in rows] if any(decoders) else rows
            if fetchmany is None:
                return

    def _fetch(self, fetchmany: Any, size: int) -> list[tuple[Any, ...]]:
        try:
            return list(fetchmany(size) if fetchmany else self._cursor.fetchall())
        except Exception as exc:  # an error met while the result streams (a bad cast)
            if self._error is None:
                raise
            raise self._error(exc) from None

    @staticmethod
    def _decode(row: tuple[Any, ...], decoders: tuple[Decoder | None, ...]) -> tuple[Any, ...]:
        return tuple(
            value if decode is None or value is None else decode(value)
            for value, decode in zip(row, decoders, strict=False)
        )

    def one(self) -> Any:
        """The single value of a one-row, one-column result; anything else is bad input."""
        rows = next(self.batches(2), [])
        if len(rows) == 1 and len(self.columns) == 1:
            return rows[0][0]
        shape = ("no rows", "one row", "more than one row")[len(rows)]
        if len(self.columns) != 1:
            shape = f"{len(self.columns)} columns" if rows else "no rows"
        raise InvalidArgumentError(
            f"--scalar needs exactly one row of one column; the query returned {shape}: "
            "aggregate or add LIMIT 1 (and select one column), or drop --scalar."
        )


def stream_sql(
    con: Any, text: str, values: dict[str, str], error: Callable[[Exception], Exception]
) -> SqlStream:
    """Run ``text`` with bound ``values``; errors (at start or mid-stream) pass through ``error``.

    A statement that returns nothing (``SET``, a comment) is a stream with no columns.
    """
    if not has_statement(text):
        raise InvalidArgumentError(
            "No SQL to run: pass a query, a .sql file, or - to read it from stdin."
        )
    try:
        cursor = con.execute(text, values) if values else con.execute(text)
    except Exception as exc:
        raise error(exc) from None
    description = getattr(cursor, "description", None) if cursor is not None else None
    columns = tuple(str(d[0]) for d in description or [])
    types = tuple(str(d[1]) for d in description or [])
    decoders = tuple(decoder(d[1]) for d in description or [])
    return SqlStream(columns, types, cursor, decoders, error)


def has_statement(text: str) -> bool:
    """Whether ``text`` holds anything but blanks, ``;`` and comments."""
    from mixpanel_data.local.sqlparams import without_comments

    return bool(without_comments(text).replace(";", "").strip())


def decoder(duck_type: Any) -> Decoder | None:
    """A function turning a fetched value of ``duck_type`` into plain JSON-able values.

    ``None`` when the type holds no JSON (nothing to do). Types that are not DuckDB's (a
    warehouse driver's type codes) hold no JSON either: their values are already parsed.
    """
    if str(duck_type) == "JSON":
        return _json_value
    kind = getattr(duck_type, "id", None)
    if kind not in ("list", "array", "struct", "map"):
        return None
    children = [(name, decoder(child)) for name, child in duck_type.children]
    if not any(d for _, d in children):
        return None
    if kind in ("list", "array"):
        inner = children[0][1]
        if inner is None:
            return None
        each: Decoder = inner
        return lambda value: [None if v is None else each(v) for v in value]
    if kind == "map":
        value_decoder = dict(children).get("value")
        if value_decoder is None:
            return None
        values: Decoder = value_decoder
        return lambda value: {k: None if v is None else values(v) for k, v in dict(value).items()}
    fields = {name: d for name, d in children if d is not None}
    return lambda value: {
        k: v if v is None or k not in fields else fields[k](v) for k, v in value.items()
    }


def _json_value(text: Any) -> Any:
    """A JSON column's text as the value it holds (DuckDB only stores valid JSON there)."""
    return json.loads(text) if isinstance(text, str) else text
