"""``Workspace``: one object for a notebook or script over both data paths.

Load once with ``fetch_events``/``fetch_profiles`` (the same dlt pipeline ``mp run`` runs) and
ask the local DuckDB file with ``sql``; or ask Mixpanel directly with the live queries
(``workspace_live``). The methods are thin: each calls the library function the CLI calls.

    ws = Workspace()                       # credentials resolve on first API use
    ws.fetch_events(from_date="2024-01-01", to_date="2024-01-31")
    ws.sql("SELECT event_name, count(*) FROM events GROUP BY 1")

    with Workspace.ephemeral() as ws:      # a temporary directory, deleted on exit
        ...
    ws = Workspace.open("data/mixpanel_data.duckdb")   # query-only, no credentials

Connections: ``Workspace()`` opens its DuckDB file read-write (``connection`` can create
tables), ``Workspace.open`` read-only. ``fetch_*`` and ``drop*`` close the connection while dlt
writes and reopen it afterwards, so take ``ws.connection`` again after them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import ConfigError, NotFoundError
from mixpanel_data.results import DatabaseInfo, FetchResult, TableInfo, TableSchema
from mixpanel_data.workspace.live import LiveQueries

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.config.credentials import Credentials
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.live import DiscoveryCache
    from mixpanel_data.sources.mixpanel.events_fetch import FetchObserver
    from mixpanel_data.verify import VerifyResult


class Workspace(LiveQueries):
    """A local database plus (lazily) an authenticated Mixpanel client.

    Live queries and discovery (``segmentation``, ``funnel``, ``retention``, ``jql``,
    ``events``, ``properties``, ``property_values`` ...) come from ``LiveQueries``.
    """

    def __init__(
        self,
        account: str | None = None,
        project_id: str | int | None = None,
        region: str | None = None,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        credentials: Credentials | None = None,
        client: MixpanelClient | None = None,
        settings: Settings | None = None,
    ) -> None:
        """``path``: a data directory (holding ``mixpanel_data.duckdb`` and dlt's state) or a
        ``.duckdb`` file; default ``MP_DATA_DIR``. ``credentials``/``client`` inject ready ones;
        ``settings`` the library's settings (``Settings.from_env()`` when not given; a ``path``
        replaces its data directory, for this workspace only).
        """
        from mixpanel_data.config.paths import split_path
        from mixpanel_data.config.settings import Settings

        self._account = account
        self._project_id = None if project_id is None else str(project_id)
        self._region = region
        base = settings or Settings.from_env()
        self.data_dir, self.path = split_path(path if path is not None else base.data_dir)
        self.settings = base.with_(data_dir=self.data_dir)
        self.read_only = read_only
        self._credentials = credentials
        self._client = client
        self._owns_client = client is None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cache: DiscoveryCache | None = None

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    @contextmanager
    def ephemeral(
        cls,
        account: str | None = None,
        project_id: str | int | None = None,
        region: str | None = None,
        **kwargs: Any,
    ) -> Iterator[Workspace]:
        """A workspace in a fresh temporary directory, deleted on exit even on error.

        ``kwargs`` are the constructor's keyword arguments (``credentials``, ``settings``...).
        """
        directory = tempfile.mkdtemp(prefix="mp-ephemeral-")
        try:
            with cls(account, project_id, region, path=directory, **kwargs) as workspace:
                yield workspace
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        """An existing database, query-only; needs no credentials."""
        from mixpanel_data.config.paths import split_path

        _, database = split_path(path)
        if not database.exists():
            raise NotFoundError(f"No database at {database}: pass a .duckdb file or its folder.")
        return cls(path=database, read_only=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection and the HTTP client (if this workspace made it)."""
        self._close_connection()
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Workspace(path={str(self.path)!r}, {mode})"

    # -- escape hatches -------------------------------------------------------------------------

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (dataset schemas on the search path: ``events`` just works)."""
        if self._con is None:
            from mixpanel_data.local.connection import open_database

            self._con = open_database(
                self.path, read_only=self.read_only, wait=self.settings.lock_wait
            )
        return self._con

    @property
    def credentials(self) -> Credentials:
        """Resolved on first use (explicit > dlt config > MP_* > accounts file)."""
        if self._credentials is None:
            if self.read_only:
                raise ConfigError(
                    "This workspace was opened query-only (Workspace.open): "
                    "use Workspace() to reach Mixpanel."
                )
            from mixpanel_data.config.resolve import resolve_credentials

            self._credentials = resolve_credentials(
                account=self._account,
                project_id=self._project_id,
                region=self._region,
                settings=self.settings,
            )
        return self._credentials

    @property
    def api(self) -> MixpanelClient:
        """The authenticated HTTP client (``query``, ``app``, ``engage_page``, exports)."""
        if self._client is None:
            from mixpanel_data.live import live_client

            self._client = live_client(credentials=self.credentials, settings=self.settings)
            self._owns_client = True
        return self._client

    # -- local queries --------------------------------------------------------------------------

    def sql(self, query: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
        """SQL (or a ``.sql`` file) on the local database as a DataFrame; ``$name`` bound."""
        import duckdb

        from mixpanel_data.local.catalog import read_query, sql_error
        from mixpanel_data.local.sqlparams import bind

        text = read_query(query)
        values = bind(text, _strings(params))
        try:
            cursor = (
                self.connection.execute(text, values) if values else self.connection.execute(text)
            )
            return cursor.df()
        except duckdb.Error as exc:
            raise sql_error(exc, values) from None

    def sql_rows(
        self, query: str, params: Mapping[str, object] | None = None
    ) -> list[tuple[Any, ...]]:
        """SQL on the local database as a list of tuples (no pandas)."""
        from mixpanel_data.local.catalog import read_query, run_sql

        return run_sql(self.connection, read_query(query), _strings(params)).rows

    def sql_scalar(self, query: str, params: Mapping[str, object] | None = None) -> Any:
        """The first value of the first row (None when there is no row)."""
        from mixpanel_data.local.catalog import read_query, run_sql

        return run_sql(self.connection, read_query(query), _strings(params)).scalar()

    # -- introspection and table management -----------------------------------------------------

    def tables(self) -> list[TableInfo]:
        """Local tables with type and row count."""
        from mixpanel_data.local.catalog import list_tables

        return list_tables(self.connection)

    def schema(self, table: str) -> TableSchema:
        """Columns of ``table`` (``events`` or ``dataset.events``)."""
        from mixpanel_data.local.catalog import table_schema

        return table_schema(self.connection, table)

    def info(self) -> DatabaseInfo:
        """Path, size, tables, date ranges loaded and last run per pipeline."""
        from mixpanel_data.local.catalog import database_info

        con = self.connection if self.path.exists() else None
        return database_info(self.settings, con=con, path=self.path)

    def drop(self, *names: str) -> list[TableInfo]:
        """Drop the named tables (and, for dlt tables, their cursors); returns what went."""
        return self._drop(names, all_=False, type_=None)

    def drop_all(self, type: str | None = None) -> list[TableInfo]:
        """Drop every local table, or every one of ``type`` (``events`` or ``profiles``)."""
        return self._drop((), all_=type is None, type_=type)

    def _drop(self, names: tuple[str, ...], *, all_: bool, type_: str | None) -> list[TableInfo]:
        from mixpanel_data.destinations.drop import drop_tables, plan_drop
        from mixpanel_data.local.catalog import list_tables

        self._writable("drop tables")
        chosen = plan_drop(
            self.connection, list_tables(self.connection), names, all_=all_, type_=type_
        )
        if chosen:
            self._close_connection()
            drop_tables(self.settings, chosen)
        return chosen

    # -- fetching -------------------------------------------------------------------------------

    def fetch_events(
        self,
        name: str = "events",
        from_date: str | date | None = None,
        to_date: str | date | None = None,
        *,
        events: list[str] | None = None,
        where: str | None = None,
        progress: bool | FetchObserver = True,
        options: Mapping[str, object] | None = None,
    ) -> FetchResult:
        """Load events (inclusive days) into ``events``, merged and deduplicated by dlt.

        Without dates the run continues from the stored cursor; with them it is a backfill
        that leaves the cursor alone. ``name`` must be ``"events"`` (see ``workspace.fetch``).
        ``progress``: a bar on a terminal (True), none (False), or your own hooks (any of
        ``FetchObserver``'s).
        """
        from mixpanel_data.workspace.fetch import check_table_name

        check_table_name(name, "events")
        extra = {"events": events, "where": where, **(options or {})}
        return self._fetch("events", from_date, to_date, extra, progress)

    def fetch_profiles(
        self,
        name: str = "profiles",
        *,
        where: str | None = None,
        cohort_id: int | None = None,
        progress: bool | FetchObserver = True,
        options: Mapping[str, object] | None = None,
    ) -> FetchResult:
        """Load user profiles into ``profiles`` (merged on ``distinct_id``)."""
        from mixpanel_data.workspace.fetch import check_table_name

        check_table_name(name, "profiles")
        extra = {"profiles_where": where, "cohort_id": cohort_id, **(options or {})}
        return self._fetch("profiles", None, None, extra, progress)

    def _fetch(
        self,
        resource: str,
        from_date: str | date | None,
        to_date: str | date | None,
        options: dict[str, object],
        progress: bool | FetchObserver,
    ) -> FetchResult:
        from mixpanel_data.workspace.fetch import run_fetch

        self._writable("fetch")
        if self.path.name != "mixpanel_data.duckdb":
            raise ConfigError(
                "Fetching writes mixpanel_data.duckdb in the data directory, not "
                f"{self.path.name}: pass the directory (or that file) as path."
            )
        credentials = self.credentials
        self._close_connection()
        return run_fetch(
            resource,
            self.settings,
            credentials,
            from_date=from_date,
            to_date=to_date,
            options=options,
            progress=progress,
        )

    def verify(
        self,
        from_date: str | date | None = None,
        to_date: str | date | None = None,
        *,
        events: list[str] | None = None,
        pipeline: str = "events",
    ) -> VerifyResult:
        """Local per-day, per-event counts against Mixpanel's own (``mp verify``); ``.ok``.

        Bad input and missing local data are refused before credentials are needed (the client
        is this workspace's, built on the first request and closed with the workspace).
        """
        from mixpanel_data.config.pipelines import get_pipeline
        from mixpanel_data.live import LazyClient
        from mixpanel_data.verify import verify_events

        spec = get_pipeline(pipeline, self.settings.pipelines_file)
        return verify_events(
            self.connection,
            LazyClient(lambda: self.api),
            spec,
            self.settings,
            from_date=from_date,
            to_date=to_date,
            events=events,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise ConfigError(f"Cannot {what}: this workspace was opened query-only.")

    def _close_connection(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _strings(params: Mapping[str, object] | None) -> dict[str, str]:
    """Parameter values as the text DuckDB casts (dates as ISO days)."""
    out = {}
    for name, value in (params or {}).items():
        out[name] = value.isoformat() if isinstance(value, date) else str(value)
    return out
