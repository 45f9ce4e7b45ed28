"""Destinations: DuckDB embedded by default; any other dlt destination by name.

A pipeline names its destination in pipelines.yaml (``duckdb``, ``postgres``, ``motherduck``,
``bigquery``, ``snowflake``, ``filesystem``, ...). Its credentials come from dlt's own config
(``.dlt/secrets.toml`` or ``DESTINATION__<NAME>__CREDENTIALS``), never from pipelines.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixpanel_data.paths import default_database_path


def database_path() -> Path:
    """The embedded DuckDB file (``MP_DATA_DIR``/mixpanel.duckdb), its folder created."""
    path = default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def make_destination(name: str) -> Any:
    """A dlt destination object for ``name``; DuckDB points at the embedded default file."""
    import dlt

    if name == "duckdb":
        return dlt.destinations.duckdb(credentials=str(database_path()))
    return name
