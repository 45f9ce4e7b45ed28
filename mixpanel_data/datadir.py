"""Run library code against another data directory without leaking an environment change.

The runner and the destinations find the database and dlt's state through ``MP_DATA_DIR``
(``paths.data_dir``). A ``Workspace`` with its own path, or an ephemeral one, points that
variable at its directory only while it fetches or drops, then restores the previous value
(or its absence), even on error. A process-wide lock keeps two such scopes from interleaving.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mixpanel_data.exceptions import ConfigError
from mixpanel_data.paths import DEFAULT_DATABASE_NAME

_LOCK = threading.RLock()
ENV = "MP_DATA_DIR"


@contextmanager
def using_data_dir(directory: Path) -> Iterator[Path]:
    """``MP_DATA_DIR=directory`` for the body of the ``with``; restored afterwards."""
    with _LOCK:
        saved = os.environ.get(ENV)
        os.environ[ENV] = str(directory)
        try:
            yield directory
        finally:
            if saved is None:
                os.environ.pop(ENV, None)
            else:
                os.environ[ENV] = saved


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
    return path, path / DEFAULT_DATABASE_NAME
