"""Parse a batch of export JSON Lines into an Arrow table, without a Python loop per row.

The bytes become a zero-copy Arrow string column (offsets found with numpy), DuckDB's JSON
reader pulls every needed field in one parse per line, and numpy fixes up the times. That keeps
the fast path in C++ on every core while dlt receives typed Arrow tables with ``properties``
as one JSON text column.

The dedupe key (``event_key``) must not depend on how Mixpanel serialized a row: another export
of the same events can order keys differently or escape text differently. An event with
``$insert_id`` is keyed on Mixpanel's own 4-tuple (event, distinct_id, time, $insert_id), with
``time`` written canonically. An event without one is keyed on its content in canonical form:
parsed, ``mp_processing_time_ms`` (ingestion metadata) removed, keys sorted, re-serialized.
Under a PII policy the keys are keyed with the salt, or leave the protected properties out
(``pii_keys.KeyProtection``), the same way in a full parse and in a tally.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from mixpanel_data.exceptions import MixpanelDataError
from mixpanel_data.local.connection import memory_database
from mixpanel_data.local.sqltext import json_path, literal, path_list
from mixpanel_data.sources.mixpanel import timezones as tz_
from mixpanel_data.sources.mixpanel.daysums import DayTally
from mixpanel_data.sources.mixpanel.pii_keys import KeyProtection

PROMOTE_TYPES = {
    "text": ("VARCHAR", pa.string()),
    "bigint": ("BIGINT", pa.int64()),
    "double": ("DOUBLE", pa.float64()),
    "bool": ("BOOLEAN", pa.bool_()),
    "timestamp": ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
}
CORE_COLUMNS = (
    "event_key",
    "event_name",
    "event_time",
    "event_date",
    "export_date",
    "distinct_id",
    "insert_id",
    "mp_processing_time_ms",
    "properties",
)
_REQUIRED = ("event_key", "export_date")
_KEY_PATHS = [
    "$.event",
    "$.properties.time",
    '$.properties."distinct_id"',
    '$.properties."$insert_id"',
    "$.properties.mp_processing_time_ms",
]
"""What a row's key and export day come from (the first paths of every parse)."""
_SEPARATOR = "\x1f"


class _ParseTurns:
    """The one in-memory DuckDB every parse uses, one parse at a time.

    DuckDB already spreads one parse over every core, so the export workers take turns instead
    of each running its own: three at once only contended, and each database kept its own
    buffers. Measured at 1M events on 2 cores: 30.4 -> 25.9 CPU-s and less peak RSS; downloads
    still overlap the parse.
    """

    def __init__(self, threads: int, memory_limit: str) -> None:
        self._threads = threads
        self._memory_limit = memory_limit
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def turn(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection, held by this thread until the ``with`` ends."""
        with self._lock:
            if self._con is None:
                self._con = memory_database(self._threads, self._memory_limit)
            yield self._con


_PARSER = _ParseTurns(threads=max(2, min(os.cpu_count() or 2, 4)), memory_limit="256MB")
"""A parse reads ~32 MB at a time per thread (``_MAX_LINE_BYTES``), so the parser stays small."""


@dataclass(frozen=True)
class Promoted:
    """A property also landed as a typed column (``column``) beside the JSON."""

    prop: str
    column: str
    type: str


_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class EventParser:
    """Parses export batches for one project: its zone, export-day rule and promoted columns."""

    project_tz: ZoneInfo | None
    """The project's zone; None when unknown: ``event_date`` then holds UTC days."""
    legacy: tz_.LegacySwitch
    promote: tuple[Promoted, ...] = ()
    keys: KeyProtection = field(default_factory=KeyProtection)
    """How ``event_key`` is made under a PII policy (the default: as Mixpanel dedupes)."""
    _sql: str = field(init=False, repr=False)
    _key_sql: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sql", _build_sql(self.promote, self.keys))
        object.__setattr__(self, "_key_sql", _key_sql(self.keys))

    def parse(
        self,
        data: bytes | bytearray,
        seen: dict[str, int] | None = None,
        tally: DayTally | None = None,
    ) -> pa.Table:
        """One Arrow table per batch of complete ``\\n``-terminated lines.

        ``seen`` counts the content keys of rows without ``$insert_id`` across the batches of
        one export window (``_with_content_keys``); without it each batch counts on its own.
        ``tally`` adds the batch's rows to per-day fingerprints (``daysums``).
        """
        parsed = _run(self._sql, lines_to_arrow(data), self.keys.params())
        return self._table(parsed, {} if seen is None else seen, tally)

    def parse_file(
        self, path: str, seen: dict[str, int] | None = None, tally: DayTally | None = None
    ) -> Iterator[pa.Table]:
        """``parse`` over a whole verified spool file, read by DuckDB in parallel.

        The same SQL as a batch parse, over ``read_json_objects``: no read-back into Python,
        no line splitting. Tables of about ``FILE_BATCH_ROWS`` rows, in the file's order.
        """
        seen = {} if seen is None else seen
        for parsed in _run_file(self._sql, path, self.keys.params()):
            yield self._table(parsed, seen, tally)

    def tally(self, data: bytes | bytearray, seen: dict[str, int], tally: DayTally) -> None:
        """Add a batch to per-day fingerprints without parsing it into rows: the key columns
        only (``properties`` untouched), for a re-read that may turn out to change nothing."""
        self._tally(_run(self._key_sql, lines_to_arrow(data), self.keys.params()), seen, tally)

    def tally_file(self, path: str, seen: dict[str, int], tally: DayTally) -> None:
        """``tally`` over a whole verified spool file."""
        for keyed in _run_file(self._key_sql, path, self.keys.params()):
            self._tally(keyed, seen, tally)

    def _table(self, parsed: pa.Table, seen: dict[str, int], tally: DayTally | None) -> pa.Table:
        """The stored table of one parsed batch: content keys, times, fingerprints."""
        parsed = _with_content_keys(parsed, seen, self.keys)
        table = self._finish(parsed)
        if tally is not None:
            _add_to(tally, table.column("export_date"), parsed)
        return table

    def _tally(self, keyed: pa.Table, seen: dict[str, int], tally: DayTally) -> None:
        parsed = _with_content_keys(keyed, seen, self.keys)
        raw_us = tz_.raw_time_to_us(parsed.column("time_raw").to_numpy(zero_copy_only=False))
        _add_to(tally, pa.array(tz_.days_since_epoch(raw_us), type=pa.date32()), parsed)

    def _finish(self, parsed: pa.Table) -> pa.Table:
        raw_us = tz_.raw_time_to_us(parsed.column("time_raw").to_numpy(zero_copy_only=False))
        processing = parsed.column("mp_processing_time_ms").to_numpy(zero_copy_only=False)
        if self.legacy.decide(raw_us, processing, self.project_tz):
            if self.project_tz is None:  # never decided so: no zone, no local reading
                raise MixpanelDataError("Project-local export times need project_timezone.")
            local_us = raw_us
            utc_us = tz_.local_to_utc_us(raw_us, self.project_tz, processing)
            export_day = tz_.days_since_epoch(local_us)
        else:
            utc_us = raw_us
            local_us = tz_.utc_to_local_us(raw_us, self.project_tz or _UTC)
            export_day = tz_.days_since_epoch(utc_us)
        columns = {
            "event_key": parsed.column("event_key"),
            "event_name": parsed.column("event_name"),
            "event_time": pa.array(utc_us, type=pa.timestamp("us", tz="UTC")),
            "event_date": pa.array(tz_.days_since_epoch(local_us), type=pa.date32()),
            "export_date": pa.array(export_day, type=pa.date32()),
            "distinct_id": parsed.column("distinct_id"),
            "insert_id": parsed.column("insert_id"),
            "mp_processing_time_ms": parsed.column("mp_processing_time_ms"),
            "properties": parsed.column("properties"),
        }
        for item in self.promote:
            columns[item.column] = parsed.column(item.column)
        fields = [
            pa.field(name, col.type, nullable=name not in _REQUIRED)
            for name, col in columns.items()
        ]
        return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))


def lines_to_arrow(data: bytes | bytearray) -> pa.Array:
    """Split on ``\\n`` only (never U+2028 or ``\\r``) into a zero-copy Arrow string array.

    Each string keeps its trailing newline, which JSON treats as whitespace, so the offsets are
    simply the newline positions and no byte is copied.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(view == 10) + 1
    if len(ends) == 0 or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    if len(data) == 0:
        offsets = np.zeros(1, dtype=np.int64)
    elif np.any(np.diff(offsets) <= 1) or view[0] == 10:
        # Blank lines carry no event: drop them (rare, so the copy does not matter).
        kept = [line + b"\n" for line in data.split(b"\n") if line.strip()]
        return pa.array(kept, type=pa.large_binary()).cast(pa.large_string())
    return pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )


def _run(sql: str, lines: pa.Array, params: dict[str, bytes] | None = None) -> pa.Table:
    """``sql`` over one batch of lines, in the parser's turn."""
    with _PARSER.turn() as con:
        try:
            con.register("batch_lines", pa.table({"line": lines}))
            return con.sql(sql, params=params or None).to_arrow_table()
        except duckdb.Error as exc:
            raise _not_json(exc) from None
        finally:
            con.unregister("batch_lines")


FILE_BATCH_ROWS = 32 * 1024
"""Rows per table of a file parse: about 32 MB of fat events, as a batch parse."""
_MAX_LINE_BYTES = 16 * 2**20
"""The longest export line a file parse reads (DuckDB's reader needs a bound, and buffers twice
it per thread). Mixpanel takes events of at most 1 MB (API reference digest, Import events:
"fewer than 255 properties, at most 1 MB per event"), so an export line never comes close."""


def _run_file(sql: str, path: str, params: dict[str, bytes] | None) -> Iterator[pa.Table]:
    """``sql`` over the lines of the file at ``path`` (in place of ``batch_lines``), streamed
    as Arrow tables."""
    source = (
        "(SELECT json AS line FROM read_json_objects("
        f"{literal(path)}, format = 'newline_delimited', compression = 'none', "
        f"maximum_object_size = {_MAX_LINE_BYTES}))"
    )
    try:
        with _PARSER.turn() as con:  # held while the caller takes the tables: the whole file
            text = sql.replace("FROM batch_lines", f"FROM {source}")
            query = con.sql(text, params=params or None)
            for batch in query.to_arrow_reader(FILE_BATCH_ROWS):
                yield pa.Table.from_batches([batch])
    except duckdb.Error as exc:
        raise _not_json(exc) from None


def _not_json(exc: duckdb.Error) -> MixpanelDataError:
    """What a parse that DuckDB refused raises: the window is fetched again on a re-run."""
    return MixpanelDataError(
        f"Mixpanel export returned a line that is not valid JSON ({exc}); "
        "re-run to fetch the window again."
    )


def _add_to(tally: DayTally, export_days: pa.Array | pa.ChunkedArray, parsed: pa.Table) -> None:
    """A batch's rows into ``tally``: the same columns whether it was parsed or only keyed.

    The export day is the day of the raw ``time`` (a UTC day, or a local day for a legacy
    project, whose raw ``time`` is local): the day Mixpanel files the row under.
    """
    days = np.asarray(_day_numbers(export_days))
    tally.add(days, parsed.column("event_key"), parsed.column("mp_processing_time_ms"))


def _day_numbers(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """date32 values as day numbers since 1970-01-01."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.cast(pa.int32()).to_numpy(zero_copy_only=False)


def _build_sql(promote: tuple[Promoted, ...], keys: KeyProtection) -> str:
    """One multi-path extraction per line (a single parse), then typed columns and the key."""
    paths = [*_KEY_PATHS, "$.properties"] + [
        json_path(p.prop, root="$.properties") for p in promote
    ]
    promoted = "".join(
        f',\n  TRY_CAST(ex[{7 + i}] AS {PROMOTE_TYPES[p.type][0]}) AS "{p.column}"'
        for i, p in enumerate(promote)
    )
    return f"""
WITH x AS (SELECT json_extract_string(line, {path_list(paths)}) AS ex, line FROM batch_lines)
SELECT
  {_key_expression(keys)} AS event_key,
  ex[1] AS event_name,
  TRY_CAST(ex[2] AS DOUBLE) AS time_raw,
  ex[3] AS distinct_id,
  NULLIF(ex[4], '') AS insert_id,
  TRY_CAST(ex[5] AS BIGINT) AS mp_processing_time_ms,
  ex[6] AS properties{promoted},
  {_RAW_LINE}
FROM x"""


_RAW_LINE = "CASE WHEN ex[4] IS NULL OR ex[4] = '' THEN line END AS raw_line"
"""The line of a row without ``$insert_id`` (its content key is made from it); NULL otherwise."""
_CANONICAL_TIME = (
    "CASE WHEN TRY_CAST(ex[2] AS DOUBLE) = floor(TRY_CAST(ex[2] AS DOUBLE)) "
    "THEN CAST(CAST(TRY_CAST(ex[2] AS DOUBLE) AS HUGEINT) AS VARCHAR) ELSE ex[2] END"
)
"""``time`` as a whole number when it is one (``1709251200`` and ``1709251200.0`` are one key),
as Mixpanel's text otherwise; the integer form is what earlier versions keyed on."""


def _key_expression(keys: KeyProtection) -> str:
    """``event_key`` from Mixpanel's dedupe 4-tuple (NULL without ``$insert_id``), keyed under a
    policy: the one expression of a full parse and of a tally."""
    tuple_md5 = (
        f"md5(concat_ws('{_SEPARATOR}', 'k', ex[1], coalesce(ex[3], ''), {_CANONICAL_TIME}, ex[4]))"
    )
    return f"CASE WHEN ex[4] IS NOT NULL AND ex[4] <> '' THEN {keys.sql(tuple_md5)} END"


def _key_sql(keys: KeyProtection) -> str:
    """The key columns of a batch only (``EventParser.tally``): the same key expression as the
    full parse, without extracting and re-serializing ``properties``."""
    return f"""
WITH x AS (SELECT json_extract_string(line, {path_list(_KEY_PATHS)}) AS ex, line FROM batch_lines)
SELECT
  {_key_expression(keys)} AS event_key,
  TRY_CAST(ex[2] AS DOUBLE) AS time_raw,
  TRY_CAST(ex[5] AS BIGINT) AS mp_processing_time_ms,
  {_RAW_LINE}
FROM x"""


INGESTION_METADATA = ("mp_processing_time_ms",)
"""Properties Mixpanel sets when it processes an event: not part of the event's identity."""


def content_key(line: bytes | str, without: frozenset[str] = frozenset()) -> str:
    """The key of an event without ``$insert_id``: md5 of its canonical JSON.

    Canonical: parsed, ingestion metadata (and the properties ``without`` names) removed, keys
    sorted at every level, written by orjson (UTF-8, no escapes beyond JSON's own, shortest
    float form), so key order, unicode escapes and ``\\/`` in another export give the same key.
    """
    event: Any = orjson.loads(line)
    if isinstance(event, dict) and isinstance(event.get("properties"), dict):
        props = dict(event["properties"])
        for name in (*INGESTION_METADATA, *without):
            props.pop(name, None)
        event = {**event, "properties": props}
    canonical = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    return hashlib.md5(b"c" + canonical, usedforsecurity=False).hexdigest()


def _with_content_keys(
    parsed: pa.Table, seen: dict[str, int], protection: KeyProtection
) -> pa.Table:
    """Fill the keys SQL left empty (rows without ``$insert_id``) from the rows' content.

    Mixpanel never deduplicates such rows: a client that sent one twice has it twice in every
    count. So identical rows of one export day are numbered: the first keeps its content key
    (the key earlier versions stored), the n-th gets ``md5(key#n)``. Another export of the same
    day holds the same identical rows, so it gets the same keys, in whatever order or JSON form.
    ``seen`` carries the counts across the batches of one window (whole days: identical rows
    share their ``time``, so they never fall in two windows). Such rows are a small share of
    real exports, so a Python pass over just them is cheap. Under a PII policy the content
    key is keyed or leaves the protected properties out first (``protection``).
    """
    keys = parsed.column("event_key")
    lines = parsed.column("raw_line")
    parsed = parsed.drop_columns(["raw_line"])
    if not keys.null_count:
        return parsed
    flat = keys.combine_chunks()
    where = np.flatnonzero(~np.asarray(flat.is_valid().to_numpy(zero_copy_only=False)))
    filled = flat.to_pylist()
    for i in where:
        key = protection.finish(content_key(lines[int(i)].as_py(), protection.without))
        count = seen.get(key, 0)
        seen[key] = count + 1
        filled[i] = key if count == 0 else _nth(key, count + 1)
    index = parsed.schema.get_field_index("event_key")
    return parsed.set_column(index, "event_key", pa.array(filled, type=pa.string()))


def _nth(key: str, n: int) -> str:
    """The key of the n-th identical copy (n >= 2) of a row without ``$insert_id``."""
    return hashlib.md5(f"{key}#{n}".encode(), usedforsecurity=False).hexdigest()


def promoted_columns(spec: dict[str, str] | list[str] | None) -> tuple[Promoted, ...]:
    """Read the ``promote`` option: a list of names (text) or a mapping name -> type."""
    if not spec:
        return ()
    items = spec.items() if isinstance(spec, dict) else ((name, "text") for name in spec)
    out = []
    for prop, type_name in items:
        if type_name not in PROMOTE_TYPES:
            raise MixpanelDataError(
                f"promote: unknown type {type_name!r} for {prop!r}: use one of "
                f"{', '.join(PROMOTE_TYPES)}."
            )
        column = re.sub(r"[^0-9a-zA-Z]+", "_", prop).strip("_").lower() or "prop"
        if column in CORE_COLUMNS:
            column = f"prop_{column}"
        out.append(Promoted(prop=prop, column=column, type=type_name))
    return tuple(out)
