"""dlt's DuckDB connections take the database's lock (``local.dblock``) while they are open.

dlt opens the embedded file when it syncs state and when it loads, through one connection pool
per credentials object (``DuckDbConnectionPool``: the first borrow opens the file, the last
return closes it). The pool below takes the exclusive lock before that first open and lets go
after the close, so a load waits for readers to finish instead of failing on DuckDB's own file
lock, and readers wait for the load; extract and normalize, which never open the file, hold
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlt.common.configuration import configspec
from dlt.destinations.impl.duckdb.configuration import (
    DuckDbClientConfiguration,
    DuckDbConnectionPool,
    DuckDbCredentials,
)
from dlt.destinations.impl.duckdb.factory import duckdb

from mixpanel_data.local import dblock


class LockingConnectionPool(DuckDbConnectionPool):
    """dlt's pool, holding the database's lock from the file's open to its close."""

    _release: Callable[[], None] | None = None

    def borrow_conn(
        self,
        global_config: dict[str, Any] | None = None,
        local_config: dict[str, Any] | None = None,
        pragmas: list[str] | None = None,
    ) -> Any:
        with self._conn_lock:
            if self._conn is None and self._conn_owner and self._release is None:
                database = Path(self.credentials._conn_str())
                write = not self.credentials.read_only
                self._release = dblock.acquire(database, write=write, notify=_tell_waiting)
            try:
                return super().borrow_conn(global_config, local_config, pragmas)  # type: ignore[arg-type]
            except BaseException:
                if self._conn is None:
                    self._let_go()
                raise

    def _close_conn(self) -> None:
        super()._close_conn()
        self._let_go()

    def _let_go(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


@configspec(init=False)
class LockingDuckDbCredentials(DuckDbCredentials):
    """``DuckDbCredentials`` whose pool takes the lock (see the module's docstring)."""

    def on_resolved(self) -> None:
        super().on_resolved()
        self.conn_pool = LockingConnectionPool(self)


@configspec(init=False)
class LockingDuckDbClientConfiguration(DuckDbClientConfiguration):
    """dlt's DuckDB configuration with the locking credentials (dlt's resolver builds the
    credentials from the field's type, so the type is what keeps the lock)."""

    credentials: LockingDuckDbCredentials = None  # type: ignore[assignment]


class locking_duckdb(duckdb):  # dlt names destination factories in lower case
    """dlt's ``duckdb`` destination, its connections holding the database's lock.

    It keeps dlt's destination type, so config sections (``DESTINATION__DUCKDB__...``),
    capabilities and the type stored in the pipeline's state stay those of ``duckdb``.
    """

    spec = LockingDuckDbClientConfiguration

    @property
    def destination_type(self) -> str:
        return "dlt.destinations.duckdb"


def _tell_waiting(message: str) -> None:
    import logging

    logging.getLogger("mixpanel_data.destinations").warning(message)
