"""The server's small parts, in process: the SQL timeout, error lines, CSV cells and caps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from mixpanel_data.exceptions import QueryError, TableNotFoundError, register_secret
from mixpanel_data.mcp.answers import Caps, cell, table
from mixpanel_data.mcp.errors import message_for
from mixpanel_data.mcp.local_tools import capped_fetch


def test_a_runaway_query_is_stopped_after_the_timeout():
    con = duckdb.connect(":memory:")
    with pytest.raises(QueryError, match=r"SQL stopped after 0\.5 s: aggregate"):
        capped_fetch(con, "SELECT count(*) FROM range(10000000000) a, range(100) b", {}, 5, 0.5)


def test_capped_fetch_reads_one_row_past_the_cap_and_locks_file_access():
    con = duckdb.connect(":memory:")
    columns, rows = capped_fetch(con, "SELECT range AS i FROM range(100)", {}, 3, 10)
    assert columns == ("i",) and rows == [(0,), (1,), (2,), (3,)]
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute("SET enable_external_access = true")


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (TableNotFoundError("No table 'x': see `mp tables`."), "not found: No table 'x'"),
        (QueryError("SQL failed:\n  two lines"), "error: SQL failed: two lines"),
        (ValueError("boom with s3cr3t-token-xyz\nFile x, line 3"), "error: ValueError: boom with"),
    ],
    ids=["library", "multi-line", "unexpected"],
)
def test_errors_are_one_redacted_line(exc, line):
    register_secret("s3cr3t-token-xyz")
    message = message_for(exc)
    assert message.startswith(line) and "\n" not in message and "s3cr3t" not in message


def test_cells_are_compact_and_json_stays_json():
    assert [cell(v) for v in (None, True, 0.123456789, 3, date(2024, 3, 4))] == [
        "",
        "true",
        "0.1235",
        "3",
        "2024-03-04",
    ]
    assert cell({"a": [1, "b"]}) == '{"a":[1,"b"]}' and cell(Decimal("1.50")) == "1.50"


def test_a_table_that_just_fits_says_nothing_and_caps_clamp_to_the_server():
    assert table(("n",), [(1,), (2,)], max_rows=2, max_bytes=100) == "n\n1\n2"
    assert Caps(max_rows=10, max_bytes=500).clamp(None, None) == (10, 500)
    assert Caps().clamp(5000, 10) == (1000, 200)
