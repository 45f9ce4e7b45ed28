"""Building the client live queries use, with the configurable Query API budget.

Mixpanel allows 5 concurrent and 60 Query API requests per hour per project. Every
``MixpanelClient`` in a process draws from ONE shared budget per project (see
``mixpanel_data.api.limiter``), so library calls, dlt report resources and CLI commands never
add up to more than that. ``MP_QUERY_CONCURRENT`` and ``MP_QUERY_PER_HOUR`` change the numbers
(for a plan with other limits; ``0`` switches one off); the first client of a process fixes them.

``LazyClient`` resolves credentials only when the first request is about to go out, so the CLI
reports a bad date (exit 3) before it complains about missing credentials, and never builds a
client for input it is going to refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixpanel_data.api import ApiLimits, MixpanelClient
    from mixpanel_data.api.limiter import WaitHook
    from mixpanel_data.config.credentials import Credentials
    from mixpanel_data.config.settings import Settings

__all__ = ["LazyClient", "live_client", "query_limits"]


def query_limits(environ: Mapping[str, str] | None = None) -> ApiLimits:
    """Mixpanel's documented limits, overridden by ``MP_QUERY_CONCURRENT``/``MP_QUERY_PER_HOUR``.

    The same reading as ``Settings.from_env`` (one place knows the variables).
    """
    from mixpanel_data.config.settings import Settings

    return Settings.from_env(environ).limits


def live_client(
    *,
    credentials: Credentials | None = None,
    account: str | None = None,
    project_id: str | int | None = None,
    base_url: str | None = None,
    limits: ApiLimits | None = None,
    settings: Settings | None = None,
    on_wait: WaitHook | None = None,
) -> MixpanelClient:
    """A ``MixpanelClient`` for live queries: credentials resolved in the documented order.

    Built by ``api.factory.make_client`` from ``settings`` (``MP_*`` when not given);
    ``base_url`` and ``limits`` override those two settings.
    """
    from mixpanel_data.api.factory import make_client
    from mixpanel_data.config.resolve import resolve_credentials
    from mixpanel_data.config.settings import Settings

    conf = settings or Settings.from_env()
    if base_url or limits:
        conf = conf.with_(base_url=base_url or conf.base_url, limits=limits or conf.limits)
    creds = credentials or resolve_credentials(
        account=account, project_id=project_id, settings=conf
    )
    return make_client(creds, conf, on_wait=on_wait)


class LazyClient:
    """A ``QueryClient`` that builds the real client on first use; close it when done."""

    def __init__(self, build: Callable[[], MixpanelClient]) -> None:
        self._build = build
        self._client: MixpanelClient | None = None

    @property
    def client(self) -> MixpanelClient:
        """The real client, built now if it was not yet."""
        if self._client is None:
            self._client = self._build()
        return self._client

    @property
    def built(self) -> bool:
        """True once a request needed the real client."""
        return self._client is not None

    def query(
        self, path: str, params: Mapping[str, Any] | None = None, *, method: str = "GET"
    ) -> Any:
        return self.client.query(path, params, method=method)

    def engage_page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return self.client.engage_page(params)

    def app(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        method: str = "GET",
        json: Any = None,
    ) -> Any:
        return self.client.app(path, params, method=method, json=json)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> LazyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
