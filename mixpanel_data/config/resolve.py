"""Credential resolution, in the documented order (the first level that yields a secret wins).

1. Explicit arguments (``username``/``secret``/... or an account named with ``account=``).
2. dlt's providers: ``SOURCES__MIXPANEL__CREDENTIALS__USERNAME`` (etc.) in the environment, or
   ``[sources.mixpanel.credentials]`` in ``.dlt/secrets.toml``.
3. ``MP_USERNAME``, ``MP_SECRET``, ``MP_PROJECT_ID``, ``MP_WORKSPACE_ID``, ``MP_REGION``.
4. The default account in ``~/.mp/config.toml`` (``MP_CONFIG_PATH``).

An explicit ``project_id``, ``workspace_id`` or ``region`` overrides that field of whichever level
supplied the rest. A workspace (Data View) belongs to its project: an explicit ``project_id`` that
changes the project drops the workspace found with the old one, unless ``workspace_id`` is given.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mixpanel_data.config.accounts import AccountStore
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.exceptions import AuthenticationError, ConfigError

if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings

_FIELDS = ("username", "secret", "project_id", "workspace_id", "region")


def resolve_credentials(
    *,
    username: str | None = None,
    secret: str | None = None,
    project_id: str | int | None = None,
    region: str | None = None,
    account: str | None = None,
    workspace_id: str | int | None = None,
    store: AccountStore | None = None,
    settings: Settings | None = None,
) -> Credentials:
    """Find credentials, or raise one AuthenticationError that lists every place looked in.

    The accounts file is the settings' ``config_path`` (``MP_CONFIG_PATH``) unless ``store``.
    """
    if store is None:
        from mixpanel_data.config.settings import Settings

        store = AccountStore((settings or Settings.from_env()).config_path)
    pid = None if project_id is None else str(project_id)
    wid = None if workspace_id is None else str(workspace_id)
    if secret:
        explicit = {
            "username": username,
            "secret": secret,
            "project_id": pid,
            "workspace_id": wid,
            "region": region,
        }
        found = _build(explicit, "explicit arguments")
    elif account:
        found = store.credentials(account)
    else:
        found = _first_found(
            [
                lambda: _build(_from_dlt(), "dlt config (SOURCES__MIXPANEL__CREDENTIALS__*)"),
                lambda: _build(_from_env(), "MP_* environment variables"),
                store.credentials,
            ]
        )
    if found is None:
        raise AuthenticationError(
            "No Mixpanel credentials found: set MP_USERNAME, MP_SECRET and MP_PROJECT_ID, "
            "add [sources.mixpanel.credentials] to .dlt/secrets.toml, or run `mp auth add NAME`."
        )
    overrides: dict[str, Any] = {}  # fields for dataclasses.replace; Credentials checks them
    if pid is not None:
        overrides["project_id"] = pid
        if pid != found.project_id and found.workspace_id:
            overrides["workspace_id"] = None  # another project's Data View
    if wid is not None:
        overrides["workspace_id"] = wid
    if region:
        overrides["region"] = region.lower()
    if overrides or (secret and found.project_id is None):
        overrides.setdefault("project_id", found.project_id or pid)
        found = dataclasses.replace(found, **overrides)
    found.warn_if_legacy()
    return found


def _first_found(levels: list[Callable[[], Credentials | None]]) -> Credentials | None:
    for level in levels:
        found = level()
        if found is not None:
            return found
    return None


def _build(values: Mapping[str, object], source: str) -> Credentials | None:
    if not values.get("secret"):
        return None
    return Credentials(
        secret=str(values["secret"]),
        username=_clean(values.get("username")),
        project_id=_clean(values.get("project_id")),
        region=(_clean(values.get("region")) or "us").lower(),  # type: ignore[arg-type]
        source=source,
        workspace_id=_clean(values.get("workspace_id")),
    )


def _clean(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _from_env() -> dict[str, str | None]:
    return {name: os.environ.get(f"MP_{name.upper()}") for name in _FIELDS}


def _from_dlt() -> dict[str, object]:
    """Ask dlt's own providers (environment and .dlt/*.toml) for sources.mixpanel.credentials.

    A TOML value may be a number (``project_id = 12345``): ``_build`` makes each one text."""
    import dlt
    from dlt.common.configuration.exceptions import ConfigProviderException

    values: dict[str, object] = {}
    for name in _FIELDS:
        try:
            values[name] = dlt.secrets.get(f"sources.mixpanel.credentials.{name}")
        except ConfigProviderException as exc:  # an unreadable secrets.toml: never skip it
            raise dlt_settings_error(exc) from None
    return values


def dlt_settings_error(exc: Exception) -> ConfigError:
    """dlt could not read one of its config files: one line naming the file and the position.

    dlt's own message quotes the TOML parser, which can quote the text around the error (a
    secret's), so only the file and the line/column are kept.
    """
    import re

    name = getattr(exc, "file_name", None) or getattr(exc, "provider_name", "its settings")
    paths = getattr(exc, "full_paths", None) or []
    where = re.search(r"line \d+ col(?:umn)? \d+", str(exc))
    at = f" at {where.group(0)}" if where else ""
    found = f" ({' or '.join(str(p) for p in paths)})" if paths else ""
    return ConfigError(f"dlt cannot read {name}{found}{at}: fix the file's TOML syntax.")
