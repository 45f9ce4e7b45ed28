"""The embedded DuckDB's load settings, read once into ``Settings``: memory limit, compression."""

from __future__ import annotations

import duckdb
import pytest

from mixpanel_data.config.settings import DUCKDB_COMPRESSIONS, Settings
from mixpanel_data.exceptions import ConfigError


def test_memory_is_capped_by_default():
    assert Settings.from_env({}).duckdb_config() == {
        "memory_limit": "512MB",
        "preserve_insertion_order": False,
    }
    settings = Settings.from_env({"MP_DUCKDB_MEMORY_LIMIT": "2GB"})
    assert settings.duckdb_config()["memory_limit"] == "2GB"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "zstd"), ("", "zstd"), (" ZSTD ", "zstd"), ("auto", "auto")],
    ids=["unset", "empty", "spaced_upper", "auto"],
)
def test_compression_values(value: str | None, expected: str):
    environ = {} if value is None else {"MP_DUCKDB_COMPRESSION": value}
    assert Settings.from_env(environ).duckdb_compression == expected


def test_unknown_compression_is_a_one_line_config_error():
    with pytest.raises(ConfigError, match="MP_DUCKDB_COMPRESSION='brotli' is not one of"):
        Settings.from_env({"MP_DUCKDB_COMPRESSION": "brotli"})


@pytest.mark.parametrize("value", [v for v in DUCKDB_COMPRESSIONS if v != "auto"])
def test_every_accepted_value_is_one_duckdb_takes_for_a_json_column(value: str, tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute(f"CREATE TABLE t (p JSON USING COMPRESSION {value})")
    con.execute(
        "INSERT INTO t SELECT json_object('k', repeat('ab', 50) || i) FROM range(1000) t(i)"
    )
    con.execute("CHECKPOINT")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1000,)
