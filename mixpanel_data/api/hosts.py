"""Regional base URLs for the three Mixpanel API families this client calls.

Mixpanel serves each family from its own host per data-residency region (API reference §1):

    family   US                                  EU / IN
    export   https://data.mixpanel.com/api/2.0   https://data-eu / data-in .mixpanel.com/api/2.0
    query    https://mixpanel.com/api/query      https://eu. / in. mixpanel.com/api/query
    app      https://mixpanel.com/api/app        https://eu. / in. mixpanel.com/api/app

A base URL (``MP_BASE_URL`` or an explicit ``base_url=``) replaces the *origin* of every family
while keeping its normal path, so one local stand-in server can answer all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from mixpanel_data.config.credentials import REGIONS, Region
from mixpanel_data.exceptions import ConfigError

__all__ = ["BASE_URL_ENV", "FAMILIES", "Family", "Hosts", "resolve_hosts"]

Family = Literal["export", "query", "app"]
FAMILIES: tuple[Family, ...] = ("export", "query", "app")
BASE_URL_ENV = "MP_BASE_URL"

_PATHS: dict[Family, str] = {"export": "/api/2.0", "query": "/api/query", "app": "/api/app"}
_ORIGINS: dict[Region, dict[Family, str]] = {
    "us": {
        "export": "https://data.mixpanel.com",
        "query": "https://mixpanel.com",
        "app": "https://mixpanel.com",
    },
    "eu": {
        "export": "https://data-eu.mixpanel.com",
        "query": "https://eu.mixpanel.com",
        "app": "https://eu.mixpanel.com",
    },
    "in": {
        "export": "https://data-in.mixpanel.com",
        "query": "https://in.mixpanel.com",
        "app": "https://in.mixpanel.com",
    },
}


@dataclass(frozen=True)
class Hosts:
    """The base URL of each family, e.g. ``Hosts.query == "https://eu.mixpanel.com/api/query"``."""

    export: str
    query: str
    app: str

    def base(self, family: Family) -> str:
        """The base URL of ``family`` (no trailing slash)."""
        return str(getattr(self, family))

    def origin(self, family: Family) -> str:
        """``scheme://host[:port]`` of ``family``: the key that rate budgets are shared under."""
        parts = urlsplit(self.base(family))
        return f"{parts.scheme}://{parts.netloc}"


def resolve_hosts(
    region: Region = "us",
    base_url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Hosts:
    """Pick the hosts for ``region``, or put every family under one override origin.

    ``base_url`` wins over ``MP_BASE_URL`` in ``environ`` (pass the environment to honour it;
    the library's own callers pass the settings' ``base_url`` instead); empty counts as unset.
    """
    if region not in REGIONS:
        raise ConfigError(f"Unknown region {region!r}: use one of us, eu, in (MP_REGION).")
    env = environ or {}
    override = base_url or env.get(BASE_URL_ENV) or None
    if override is None:
        origins = _ORIGINS[region]
        return Hosts(**{family: origins[family] + _PATHS[family] for family in FAMILIES})
    root = _checked_override(override)
    return Hosts(**{family: root + _PATHS[family] for family in FAMILIES})


def _checked_override(url: str) -> str:
    """Reject override URLs that httpx could not use, before any request is built."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"Base URL {url!r} is not an http(s) URL: set MP_BASE_URL to e.g. http://127.0.0.1:8080."
        )
    if "@" in parts.netloc:
        raise ConfigError(
            "Base URL must not carry credentials (user:pass@): store them with `mp auth add`."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"Base URL {url!r} must not have a query or fragment: drop '?…' / '#…'.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
