"""What a ``Workspace(path=...)`` means: a data directory, or a ``.duckdb`` file in one.

The workspace then carries a ``Settings`` with that data directory, so two workspaces on two
directories load side by side (even from two threads) without touching the environment.
"""

from __future__ import annotations

from pathlib import Path

from mixpanel_data.config.settings import DATABASE_NAME
from mixpanel_data.exceptions import ConfigError


def split_path(path: str | Path) -> tuple[Path, Path]:
    """(data directory, database file) for a ``Workspace(path=...)``.

    A directory holds ``mixpanel_data.duckdb`` and dlt's ``pipelines/`` state; a path ending
    in ``.duckdb`` names the database file itself, its folder being the data directory.
    """
    path = Path(path).expanduser().resolve()
    if path.suffix == ".duckdb":
        return path.parent, path
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is neither a directory nor a .duckdb file: pass either.")
    return path, path / DATABASE_NAME
