"""The SQL text helpers the events parser, the PII policy and the audit share."""

from __future__ import annotations

import json
import threading

import duckdb
import pytest

from mixpanel_data.local.connection import ThreadConnections
from mixpanel_data.local.sqltext import json_path, literal, path_list

NAMES = ["plain", "$insert_id", 'say "hi"', "back\\slash", "it's", "a.b", "[0]", "ünï"]


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
@pytest.mark.parametrize("root", ["$", "$.properties"], ids=["properties-column", "export-line"])
def test_a_json_path_reads_exactly_the_named_key(name: str, root: str):
    """Any property name is one key, in a ``properties`` column or under an export line's
    ``properties`` (the root only the events parser used)."""
    props = {name: "hit", "a": {"b": "nested"}, "other": 1}
    doc = props if root == "$" else {"event": "E", "properties": props}
    con = duckdb.connect()
    try:
        one = con.execute(
            f"SELECT json_extract_string(?, {literal(json_path(name, root))})", [json.dumps(doc)]
        ).fetchone()
        many = con.execute(
            f"SELECT json_extract_string(?, {path_list([json_path(name, root)] * 2)})",
            [json.dumps(doc)],
        ).fetchone()
    finally:
        con.close()
    assert one == ("hit",)
    assert many == (["hit", "hit"],)


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    row = con.execute("SELECT current_setting('threads'), current_setting('memory_limit')")
    threads, memory = row.fetchone() or ("", "")
    return str(threads), str(memory)


def test_each_thread_gets_its_own_connection_with_the_limits():
    connections = ThreadConnections(threads=1, memory_limit="64MB")
    held: list[duckdb.DuckDBPyConnection] = []
    together = threading.Barrier(3)

    def work() -> None:
        con = connections.get()
        assert connections.get() is con
        held.append(con)
        together.wait(timeout=10)  # all alive at once: three connections, not one reused

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = duckdb.connect()
    expected.execute("SET threads = 1")
    expected.execute("SET memory_limit = '64MB'")
    assert len({id(con) for con in held}) == 3
    assert {_settings(con) for con in held} == {_settings(expected)}
