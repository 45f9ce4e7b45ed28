"""The embedded DuckDB's load settings: memory limit and text compression, from the environment."""

from __future__ import annotations

import duckdb
import pytest
from mixpanel_data.destinations import duckdb_config

from mixpanel_data.exceptions import ConfigError


def test_defaults_cap_memory_and_compress_text_with_zstd(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MP_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("MP_DUCKDB_COMPRESSION", raising=False)
    assert duckdb_config() == {
        "memory_limit": "512MB",
        "preserve_insertion_order": False,
        "force_compression": "zstd",
    }


@pytest.mark.parametrize(
    ("value", "expected"), [("", "zstd"), (" ZSTD ", "zstd"), ("fsst", "fsst")]
)
def test_compression_values(monkeypatch: pytest.MonkeyPatch, value: str, expected: str):
    monkeypatch.setenv("MP_DUCKDB_COMPRESSION", value)
    assert duckdb_config()["force_compression"] == expected


def test_auto_leaves_the_choice_to_duckdb(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MP_DUCKDB_COMPRESSION", "auto")
    assert "force_compression" not in duckdb_config()


def test_unknown_compression_is_a_one_line_config_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MP_DUCKDB_COMPRESSION", "brotli")
    with pytest.raises(ConfigError, match="MP_DUCKDB_COMPRESSION='brotli' is not one of"):
        duckdb_config()


@pytest.mark.parametrize("value", ["zstd", "uncompressed", "fsst", "dictionary"])
def test_every_accepted_value_is_one_duckdb_takes(value: str, tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"), config={"force_compression": value})
    con.execute("CREATE TABLE t AS SELECT repeat('ab', 50) || i AS s FROM range(1000) t(i)")
    con.execute("CHECKPOINT")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1000,)
