"""Look for strings everywhere a load can leave them: files as stored and decoded, and DuckDB.

dlt compresses its intermediate files (gzip ``insert_values``, parquet pages) and DuckDB
compresses its columns, so a plain ``grep`` could miss a value that is there. Each file is
searched raw, gunzipped when it is gzip, decoded when it is parquet; each DuckDB file is also
read table by table through SQL.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import duckdb
import pyarrow.parquet as pq


def file_texts(path: Path) -> list[bytes]:
    """The bytes of ``path`` and every decoded form of it this helper understands."""
    raw = path.read_bytes()
    texts = [raw]
    if raw[:2] == b"\x1f\x8b":
        texts.append(gzip.decompress(raw))
    if raw[:4] == b"PAR1":
        table = pq.read_table(io.BytesIO(raw))
        texts.append(repr(table.to_pylist()).encode())
        texts.append(str(table.to_pylist()).encode("unicode_escape"))
    return texts


def database_text(path: Path) -> bytes:
    """Every row of every table of a DuckDB file, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        parts = [
            str(con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
            for schema, table in tables
        ]
    finally:
        con.close()
    return "\n".join(parts).encode()


def find_traces(root: Path, needles: list[str]) -> dict[str, list[str]]:
    """``{needle: [files where it was found]}`` over every file under ``root``."""
    found: dict[str, list[str]] = {}
    wanted = [(n, n.encode()) for n in needles]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        texts = file_texts(path)
        if path.suffix == ".duckdb":
            texts.append(database_text(path))
        for needle, encoded in wanted:
            if any(encoded in text for text in texts):
                found.setdefault(needle, []).append(str(path.relative_to(root)))
    return found


def searched_kinds(root: Path) -> set[str]:
    """Which kinds of files the search covered (to prove it looked at dlt's intermediates)."""
    kinds = set()
    for path in root.rglob("*"):
        if path.is_file():
            head = path.read_bytes()[:4]
            kinds.add(
                "parquet"
                if head == b"PAR1"
                else "gzip"
                if head[:2] == b"\x1f\x8b"
                else path.suffix or path.name
            )
    return kinds
