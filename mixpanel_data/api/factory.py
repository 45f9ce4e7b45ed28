"""The one place a ``MixpanelClient`` is built: the settings' origin, limits and clock.

Events, profiles, report sources, live queries, ``mp auth test`` and ``mp verify`` all take
their client from here, so ``MP_QUERY_PER_HOUR``, ``MP_MAX_WAIT`` and ``--max-wait`` hold for
every request the process makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixpanel_data.api.client import MixpanelClient
from mixpanel_data.api.limiter import WaitHook

if TYPE_CHECKING:
    from mixpanel_data.config.credentials import Credentials
    from mixpanel_data.config.settings import Settings

__all__ = ["make_client"]


def make_client(
    credentials: Credentials, settings: Settings, *, on_wait: WaitHook | None = None
) -> MixpanelClient:
    """An authenticated client for ``credentials`` that obeys ``settings``."""
    return MixpanelClient(
        credentials,
        base_url=settings.base_url,
        limits=settings.limits,
        clock=settings.clock,
        on_wait=on_wait,
    )
