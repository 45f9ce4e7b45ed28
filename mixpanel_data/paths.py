"""Where local state lives: the accounts file and the data directory (DuckDB and dlt's state).

Defaults: ``~/.mp/config.toml`` (``MP_CONFIG_PATH``) and ``~/.mp/data`` (``MP_DATA_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATABASE_NAME = "mixpanel_data.duckdb"


def config_path() -> Path:
    """The accounts file; ``MP_CONFIG_PATH`` overrides ``~/.mp/config.toml``."""
    override = os.environ.get("MP_CONFIG_PATH")
    return Path(override).expanduser() if override else Path.home() / ".mp" / "config.toml"


def data_dir() -> Path:
    """The directory holding the DuckDB database and dlt's pipeline state; ``MP_DATA_DIR``."""
    override = os.environ.get("MP_DATA_DIR")
    return Path(override).expanduser() if override else Path.home() / ".mp" / "data"


def default_database_path() -> Path:
    """The embedded default DuckDB file."""
    return data_dir() / DEFAULT_DATABASE_NAME


def pipelines_dir() -> Path:
    """dlt's working directory (state, pending load packages), kept beside the database."""
    return data_dir() / "pipelines"
