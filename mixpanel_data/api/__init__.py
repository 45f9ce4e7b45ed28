"""HTTP client for Mixpanel's Query, App and raw Export APIs (httpx).

The public surface is what ``__all__`` lists; the modules behind it are implementation detail:

    hosts     regional base URLs per family, MP_BASE_URL override
    client    MixpanelClient: auth, request path, export spooling and batching
    factory   make_client: the one way the library builds a client from its settings
    export    export stream decoding, end-of-stream checks, line batching
    retry     RetryPolicy: backoff with jitter, Retry-After
    limiter   ApiLimits and the process-wide shared rate budgets
    errors    HTTP answer -> mixpanel_data.exceptions
    payloads  TypedDicts of the raw JSON bodies (export lines, engage pages, /me)
"""

from __future__ import annotations

from mixpanel_data.api.client import MixpanelClient
from mixpanel_data.api.export import ExportStats
from mixpanel_data.api.factory import make_client
from mixpanel_data.api.hosts import Hosts, resolve_hosts
from mixpanel_data.api.limiter import ApiLimits, reset_budgets
from mixpanel_data.api.retry import RetryPolicy

__all__ = [
    "ApiLimits",
    "ExportStats",
    "Hosts",
    "MixpanelClient",
    "RetryPolicy",
    "make_client",
    "reset_budgets",
    "resolve_hosts",
]
