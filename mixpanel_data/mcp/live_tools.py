"""The live tools: discovery, segmentation, funnels, retention and ``mp verify``, from Mixpanel.

Every call is the library function behind the CLI command of the same name
(``mixpanel_data.live``, ``mixpanel_data.verify``) and spends the project's Query API budget
(60/hour, 5 at once, shared by the whole process). The client is built on the first live call,
from the settings read when the server started, so a server without credentials still answers
the local tools; a budget wait is capped as for live commands (``MP_MAX_WAIT``, default a
minute) and logged on stderr, never on the protocol's stdout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mixpanel_data.live.client import LazyClient
from mixpanel_data.mcp.answers import Caps, records_table

if TYPE_CHECKING:
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.config.settings import Settings

logger = logging.getLogger("mixpanel_data.mcp")


class LiveTools:
    """Answers straight from Mixpanel for the account and project the server started with."""

    def __init__(
        self,
        settings: Settings,
        caps: Caps,
        account: str | None,
        project: str | None,
        workspace: str | None = None,
    ) -> None:
        self.settings = settings
        self.caps = caps
        self.account = account
        self.project = project
        self.workspace = workspace
        self._clients: dict[str | None, LazyClient] = {}
        self._lock = threading.Lock()

    def client(self, account: str | None = None) -> LazyClient:
        """One lazily built client per account, shared by every call (and thread)."""
        from mixpanel_data.config.resolve import resolve_credentials
        from mixpanel_data.live import live_client

        name = account or self.account
        with self._lock:
            if name not in self._clients:
                self._clients[name] = SharedClient(
                    lambda: live_client(
                        credentials=resolve_credentials(
                            account=name,
                            project_id=self.project,
                            workspace_id=self.workspace,
                            settings=self.settings,
                        ),
                        settings=self.settings,
                        on_wait=_log_wait,
                    )
                )
            return self._clients[name]

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _table(self, columns: Any, records: list[dict[str, Any]], rows: int | None) -> str:
        max_rows, max_bytes = self.caps.clamp(rows, None)
        return records_table(columns, records, max_rows=max_rows, max_bytes=max_bytes)

    # -- discovery ----------------------------------------------------------------------------

    def events(self, limit: int = 50) -> str:
        from mixpanel_data.live import event_names

        found = event_names(self.client(), limit=limit)
        return self._table(found.columns, found.records(), limit)

    def properties(self, event: str, limit: int = 20) -> str:
        from mixpanel_data.live import event_properties

        found = event_properties(self.client(), event, limit=limit)
        return self._table(found.columns, found.records(), limit)

    def values(self, event: str, prop: str, limit: int = 20) -> str:
        from mixpanel_data.live import property_values

        found = property_values(self.client(), event, prop, limit=limit)
        return self._table(found.columns, found.records(), limit)

    def funnels(self) -> str:
        from mixpanel_data.live import funnels_list

        found = funnels_list(self.client())
        return self._table(found.columns, found.records(), None)

    # -- reports ------------------------------------------------------------------------------

    def segmentation(
        self,
        event: str,
        from_date: str,
        to_date: str,
        unit: str = "day",
        on: str | None = None,
        where: str | None = None,
        type: str = "general",
        limit: int | None = None,
    ) -> str:
        from mixpanel_data.live import segmentation

        found = segmentation(
            self.client(),
            event,
            from_date,
            to_date,
            on=on,
            unit=unit,
            where=where,
            type=type,
            limit=limit,
        )
        text = self._table(found.columns, found.records(), None)
        return f"{text}\n# total {found.total}" if found.points else text

    def funnel(
        self,
        funnel_id: int,
        from_date: str,
        to_date: str,
        on: str | None = None,
        where: str | None = None,
    ) -> str:
        from mixpanel_data.live import funnel

        found = funnel(self.client(), funnel_id, from_date, to_date, on=on, where=where)
        steps = ("step", "event", "count", "step_conversion", "overall_conversion", "avg_time")
        columns: tuple[str, ...] = ("segment", *steps) if on else steps
        text = self._table(columns, found.summary_records(), None)
        return f"{text}\n# conversion {round(found.conversion_rate, 4)}"

    def retention(
        self,
        born_event: str | None,
        from_date: str,
        to_date: str,
        return_event: str | None = None,
        unit: str = "day",
        interval_count: int = 1,
        retention_type: str = "birth",
        where: str | None = None,
    ) -> str:
        from mixpanel_data.live import retention

        found = retention(
            self.client(),
            born_event,
            return_event,
            from_date,
            to_date,
            unit=unit,
            interval_count=interval_count,
            retention_type=retention_type,
            where=where,
        )
        return self._table(found.columns, found.records(), None)

    # -- verify -------------------------------------------------------------------------------

    def verify(
        self,
        from_date: str | None = None,
        to_date: str | None = None,
        events: list[str] | None = None,
        pipeline: str = "events",
    ) -> str:
        """``mp verify``: the database is read and closed before Mixpanel is asked."""
        from mixpanel_data.config.pipelines import get_pipeline
        from mixpanel_data.verify import compare
        from mixpanel_data.verify.report import read_local_database

        spec = get_pipeline(pipeline, self.settings.pipelines_file)
        local = read_local_database(
            spec, self.settings, from_date=from_date, to_date=to_date, events=events
        )
        result = compare(local, self.client(spec.options.get("account")), self.settings)
        lines = [result.summary()]
        if result.mismatches:
            lines.append(self._table(result.columns, result.records(), None))
        if result.skipped:
            shown = "; ".join(str(s) for s in result.skipped[:3])
            more = f" (+{len(result.skipped) - 3} more)" if len(result.skipped) > 3 else ""
            lines.append(f"# skipped {len(result.skipped)}: {shown}{more}")
        if result.reload_command:
            lines.append(f"# reload the differing days: {result.reload_command}")
        return "\n".join(lines)


class SharedClient(LazyClient):
    """A ``LazyClient`` built once even when two tool calls (threads) need it at once."""

    def __init__(self, build: Callable[[], MixpanelClient]) -> None:
        super().__init__(build)
        self._build_lock = threading.Lock()

    @property
    def client(self) -> MixpanelClient:
        with self._build_lock:
            return LazyClient.client.fget(self)  # type: ignore[attr-defined]


def _log_wait(label: str, seconds: float) -> None:
    """A budget wait starts: say so on stderr (stdout is the protocol)."""
    from mixpanel_data.api.limiter import duration_text

    logger.warning("waiting %s for Mixpanel's %s", duration_text(seconds), label)
