"""An offline dictionary attack on a finished load, as someone holding the files would run it.

The attacker has the data directory (DuckDB, dlt's working folder, the pipeline state) and a
list of candidate values (emails, user ids, cities), the true ones among decoys, but not the
PII salt. For every stored row it rebuilds, from each candidate, every digest the loader ever
keyed rows with, in the exact format earlier versions used:

- ``md5("k" 0x1f event 0x1f distinct_id 0x1f time 0x1f $insert_id)`` (Mixpanel's dedupe 4-tuple,
  ``time`` in whole seconds), and its sha256;
- ``md5("c" + canonical JSON)`` for a row without ``$insert_id`` (the row's properties as stored,
  with the candidate put back in place of the hashed or dropped value, ``mp_processing_time_ms``
  left out, keys sorted) and ``md5(key + "#n")`` for its identical copies;
- ``md5(value)`` and ``sha256(value)`` of each candidate on its own.

Then it looks for any of them anywhere: every hex run in every file under the data directory
(raw, gunzipped, parquet decoded), every column of every table of the database, and dlt's
pipeline state (stored compressed in ``_dlt_pipeline_state``, decoded here).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from .traces import database_text, file_texts

_HEX = re.compile(rb"[0-9a-fA-F]{32,}")
_SEP = "\x1f"
_KEEP = object()
"""A candidate meaning "the value as stored": the row did not hold the property."""


@dataclass(frozen=True)
class StoredEvent:
    """What the attacker reads back from one stored ``events`` row."""

    event: str
    time: int
    insert_id: str | None
    properties: dict[str, Any]


def stored_events(database: Path) -> list[StoredEvent]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT event_name, epoch(event_time)::BIGINT, insert_id, properties::VARCHAR "
            "FROM mixpanel.events"
        ).fetchall()
    finally:
        con.close()
    return [StoredEvent(name, time, iid, json.loads(props)) for name, time, iid, props in rows]


def tuple_digests(rows: Iterable[StoredEvent], ids: Sequence[str]) -> dict[str, str]:
    """Digest -> the guess it stands for, over Mixpanel's dedupe 4-tuple."""
    found: dict[str, str] = {}
    for row in rows:
        if not row.insert_id:
            continue
        for uid in [*ids, ""]:
            text = _SEP.join(["k", row.event, uid, str(row.time), row.insert_id]).encode()
            found[hashlib.md5(text).hexdigest()] = f"tuple md5 distinct_id={uid}"
            found[hashlib.sha256(text).hexdigest()] = f"tuple sha256 distinct_id={uid}"
    return found


def content_digests(
    rows: Iterable[StoredEvent], guesses: dict[str, Sequence[Any]], copies: int = 4
) -> dict[str, str]:
    """Digest -> guess, over the canonical content of rows without ``$insert_id``.

    ``guesses`` maps a property name to its candidate values; every combination is tried,
    and a property the stored row lacks is also tried absent (it may have been dropped, or the
    row never had it).
    """
    found: dict[str, str] = {}
    names = list(guesses)
    for row in rows:
        if row.insert_id:
            continue
        options = [[_KEEP, *guesses[name]] for name in names]
        for combo in itertools.product(*options):
            if all(value is _KEEP for value in combo):
                continue  # no guess: what anyone can compute from the stored row
            props = dict(row.properties)
            props.pop("mp_processing_time_ms", None)
            for name, value in zip(names, combo, strict=True):
                if value is not _KEEP:
                    props[name] = value
            event = {"event": row.event, "properties": props}
            key = hashlib.md5(b"c" + orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()
            label = "content " + " ".join(
                f"{name}={'stored' if value is _KEEP else value}"
                for name, value in zip(names, combo, strict=True)
            )
            found[key] = label
            for n in range(2, copies + 1):
                found[hashlib.md5(f"{key}#{n}".encode()).hexdigest()] = f"{label} copy {n}"
    return found


def value_digests(values: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        found[hashlib.md5(value.encode()).hexdigest()] = f"md5 {value}"
        found[hashlib.sha256(value.encode()).hexdigest()] = f"sha256 {value}"
    return found


Stored = list[tuple[str, bytes]]
"""(where, text) pairs: everything a load left, as ``everything_stored`` reads it."""


def everything_stored(root: Path) -> Stored:
    return list(_stored(root))


def _stored(root: Path) -> Iterator[tuple[str, bytes]]:
    """(where, text) for every file under ``root`` in every decoded form, every table of every
    DuckDB file, and dlt's pipeline state decoded from the database."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        where = str(path.relative_to(root))
        for text in file_texts(path):
            yield where, text
        if path.suffix == ".duckdb":
            yield f"{where} (tables)", database_text(path)
            yield f"{where} (dlt state)", _dlt_states(path)


def _dlt_states(path: Path) -> bytes:
    from dlt.common.versioned_state import decompress_state

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name FROM duckdb_tables() WHERE table_name = '_dlt_pipeline_state'"
        ).fetchall()
        states = [
            row[0]
            for (schema,) in tables
            for row in con.execute(f'SELECT state FROM "{schema}"._dlt_pipeline_state').fetchall()
        ]
    finally:
        con.close()
    return "\n".join(json.dumps(decompress_state(s), default=str) for s in states).encode()


def matches(stored: Stored, digests: dict[str, str]) -> dict[str, list[str]]:
    """``{guess: [where its digest was found]}``: empty when the attack fails."""
    found: dict[str, set[str]] = {}
    for where, text in stored:
        for run in _HEX.findall(text):
            run = run.lower().decode()
            for size in (32, 64):
                for start in range(len(run) - size + 1):
                    guess = digests.get(run[start : start + size])
                    if guess is not None:
                        found.setdefault(guess, set()).add(where)
    return {guess: sorted(places) for guess, places in found.items()}


def raw_hits(stored: Stored, values: Iterable[str]) -> dict[str, list[str]]:
    """``{value: [where it was found in plain text]}`` (JSON-escaped forms included)."""
    wanted = {
        v: {v.encode(), json.dumps(v).strip('"').encode(), v.encode("unicode_escape")}
        for v in values
    }
    found: dict[str, set[str]] = {}
    for where, text in stored:
        for value, forms in wanted.items():
            if any(form in text for form in forms):
                found.setdefault(value, set()).add(where)
    return {value: sorted(places) for value, places in found.items()}
