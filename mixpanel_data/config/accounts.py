"""Named accounts in ``~/.mp/config.toml`` (written with mode 0600, never printed with secrets).

Read and written with tomlkit, so a rewrite keeps what we do not manage: comments, blank
lines, key order and keys or tables of other tools. The file is refused (exit 3) when it is a
symlink or open to group/others: it holds secrets, and a link could point anywhere.

Two layouts are read. Ours::

    default = "production"

    [accounts.production]
    username = "sa.user"
    secret = "..."
    project_id = "12345"
    workspace_id = "678"   # optional: a Data View
    region = "us"

and the one of ``mixpanel-headless`` (Mixpanel's own client library, which also installs ``mp``
and uses this path). Evidence: its ``src/mixpanel_headless/_internal/config.py``
(``ConfigManager``: ``[active]`` with ``account`` and ``workspace`` (int), ``[accounts.NAME]``
with ``type`` = service_account | oauth_browser | oauth_token, ``region``, ``default_project``,
``username``/``secret``, ``[targets.NAME]`` with ``account``, ``project``, ``workspace``; unknown
keys in an account block are refused there, so we never add ours to its blocks)::

    [active]
    account = "team"
    workspace = 678

    [accounts.team]
    type = "service_account"
    region = "us"
    default_project = "12345"
    username = "sa.user"
    secret = "..."

A file is in headless's layout when one of its accounts has a ``type`` (or it has ``[active]``
and no account yet and no ``default``); we then write accounts the way headless does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from tomlkit.exceptions import TOMLKitError

from mixpanel_data.config.credentials import REGIONS, Credentials
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    ConfigError,
)

Layout = Literal["mixpanel-data", "mixpanel-headless"]
HEADLESS: Layout = "mixpanel-headless"
OURS: Layout = "mixpanel-data"
SERVICE_ACCOUNT = "service_account"


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed to users: everything but the secret."""

    name: str
    username: str | None
    project_id: str | None
    region: str
    is_default: bool
    workspace_id: str | None = None
    kind: str = SERVICE_ACCOUNT
    """``service_account``, ``legacy`` (a project secret), or headless's ``oauth_*`` types."""


def check_private(path: Path) -> None:
    """Refuse a symlink, or a file that group/others may read or change (exit 3).

    The file holds secrets: a link may point anywhere (another user's file, a synced folder),
    and mode bits for group/others let other accounts read it or plant credentials.
    """
    if path.is_symlink():
        target = os.path.realpath(path)
        raise ConfigError(
            f"{path} is a symlink to {target}: refusing to read credentials through a link; "
            f"set MP_CONFIG_PATH={target} instead (and `chmod 600` it)."
        )
    if os.name != "posix" or not path.exists():
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} is open to group/others (mode {mode:04o}) and holds secrets: "
            f"run `chmod 600 {path}`."
        )


def file_layout(document: Mapping[str, Any]) -> Layout:
    """Which tool's layout ``document`` follows (ours for an empty or new file)."""
    accounts = document.get("accounts") or {}
    if any(isinstance(b, Mapping) and "type" in b for b in accounts.values()):
        return HEADLESS
    if not accounts and "active" in document and "default" not in document:
        return HEADLESS
    return OURS


class AccountStore:
    """Reads and writes the accounts file; every write leaves it with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> tomlkit.TOMLDocument:
        check_private(self.path)
        if not self.path.exists():
            document = tomlkit.document()
        else:
            try:
                # a tomlkit document: edited in place, it keeps comments and unknown keys
                document = tomlkit.parse(self.path.read_text(encoding="utf-8"))
            except TOMLKitError as exc:
                raise ConfigError(
                    f"{self.path} is not valid TOML ({exc}): fix or remove the file."
                ) from None
        if "accounts" not in document:
            document["accounts"] = tomlkit.table(is_super_table=True)
        return document

    def _save(self, data: tomlkit.TOMLDocument) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def layout(self) -> Layout:
        """The file's layout: ``mixpanel-data`` (ours) or ``mixpanel-headless``."""
        return file_layout(self._load())

    def list(self) -> list[AccountInfo]:
        """All accounts, default first flagged."""
        data = self._load()
        default = _default_name(data)
        infos = []
        for name, entry in data["accounts"].items():
            kind = str(entry.get("type") or ("legacy" if not entry.get("username") else ""))
            infos.append(
                AccountInfo(
                    name=name,
                    username=_opt_str(entry.get("username")),
                    project_id=_opt_str(entry.get("project_id", entry.get("default_project"))),
                    region=str(entry.get("region", "us")),
                    is_default=name == default,
                    workspace_id=_workspace_of(data, name, entry),
                    kind=kind or SERVICE_ACCOUNT,
                )
            )
        return infos

    def credentials(self, name: str | None = None) -> Credentials | None:
        """The named account's credentials, or the default account's (None when there is none).

        In headless's layout a name may also be one of its ``[targets.NAME]`` (an account with
        a project and a workspace).
        """
        data = self._load()
        accounts = data["accounts"]
        if name is None:
            name = _default_name(data) or (next(iter(accounts)) if len(accounts) == 1 else None)
            if name is None:
                return None
        target = (data.get("targets") or {}).get(name) if name not in accounts else None
        if isinstance(target, Mapping) and target.get("account") in accounts:
            base = self._credentials(data, str(target["account"]))
            return Credentials(
                secret=base.secret,
                username=base.username,
                project_id=_opt_str(target.get("project")) or base.project_id,
                region=base.region,
                source=f"target {name!r} in {self.path}",
                workspace_id=_opt_str(target.get("workspace")),
            )
        return self._credentials(data, name)

    def _credentials(self, data: tomlkit.TOMLDocument, name: str) -> Credentials:
        accounts = data["accounts"]
        if name not in accounts:
            known = ", ".join(sorted(accounts)) or "none"
            raise AccountNotFoundError(
                f"No account named {name!r} (known: {known}): add it with `mp auth add {name}`."
            )
        entry = accounts[name]
        kind = entry.get("type")
        if kind is not None and kind != SERVICE_ACCOUNT:
            raise AuthenticationError(
                f"Account {name!r} is a mixpanel-headless {kind} account: mixpanel-data needs "
                "a service account; add one with `mp auth add NAME -u USER --project ID`."
            )
        return Credentials(
            secret=str(entry.get("secret", "")),
            username=_opt_str(entry.get("username")),
            project_id=_opt_str(entry.get("project_id", entry.get("default_project"))),
            region=entry.get("region", "us"),
            source=f"account {name!r} in {self.path}",
            workspace_id=_workspace_of(data, name, entry),
        )

    def add(self, name: str, credentials: Credentials, *, make_default: bool = False) -> None:
        """Store a new account in the file's layout; the first one becomes the default."""
        data = self._load()
        if name in data["accounts"]:
            raise AccountExistsError(
                f"Account {name!r} already exists: remove it first with `mp auth remove {name}`."
            )
        if credentials.region not in REGIONS:
            raise ConfigError(f"Unknown region {credentials.region!r}: use us, eu or in.")
        becomes_default = make_default or not _default_name(data)
        if file_layout(data) == HEADLESS:
            _add_headless(data, name, credentials, becomes_default)
        else:
            entry: dict[str, str] = {"secret": credentials.secret, "region": credentials.region}
            if credentials.username:
                entry["username"] = credentials.username
            if credentials.project_id:
                entry["project_id"] = credentials.project_id
            if credentials.workspace_id:
                entry["workspace_id"] = credentials.workspace_id
            data["accounts"][name] = _table(entry)
            if becomes_default:
                data["default"] = name
        self._save(data)

    def remove(self, name: str) -> None:
        """Delete an account; the default moves to another account if it was this one."""
        data = self._load()
        if name not in data["accounts"]:
            raise AccountNotFoundError(f"No account named {name!r}: see `mp auth list`.")
        del data["accounts"][name]
        if _default_name(data) == name:
            remaining = list(data["accounts"])
            _set_default(data, remaining[0] if remaining else None)
        self._save(data)

    def set_default(self, name: str) -> None:
        """Make ``name`` the default account."""
        data = self._load()
        if name not in data["accounts"]:
            raise AccountNotFoundError(f"No account named {name!r}: see `mp auth list`.")
        _set_default(data, name)
        self._save(data)


def _add_headless(
    data: tomlkit.TOMLDocument, name: str, credentials: Credentials, becomes_default: bool
) -> None:
    """An ``[accounts.NAME]`` block the way mixpanel-headless writes one (its keys only)."""
    if credentials.is_legacy:
        raise ConfigError(
            f"{name!r} would be a legacy project secret, which mixpanel-headless's layout of "
            "this file cannot hold: add a service account (-u USER --project ID), or set "
            "MP_CONFIG_PATH to another file."
        )
    if credentials.workspace_id and not becomes_default:
        raise ConfigError(
            "mixpanel-headless keeps one workspace, the active account's: add the account "
            "with --default, or pass --workspace / MP_WORKSPACE_ID when you run."
        )
    block: dict[str, str] = {"type": SERVICE_ACCOUNT, "region": credentials.region}
    if credentials.project_id:
        block["default_project"] = credentials.project_id
    block["username"] = str(credentials.username)
    block["secret"] = credentials.secret
    data["accounts"][name] = _table(block)
    if becomes_default:
        _set_default(data, name)
        if credentials.workspace_id:
            data["active"]["workspace"] = int(credentials.workspace_id)


def _table(values: Mapping[str, str]) -> Any:
    """A TOML table followed by a blank line, so a table after it stays visibly apart."""
    table = tomlkit.table()
    table.update(values)
    table.add(tomlkit.nl())
    return table


def _default_name(data: Mapping[str, Any]) -> str | None:
    """Our ``default`` key, else headless's ``[active].account``."""
    if data.get("default"):
        return str(data["default"])
    active = data.get("active")
    account = active.get("account") if isinstance(active, Mapping) else None
    return str(account) if account else None


def _set_default(data: tomlkit.TOMLDocument, name: str | None) -> None:
    """Point the file's default (its layout's key) at ``name``; None clears it.

    In headless's layout ``[active].workspace`` belongs to the active account's project, so it
    goes when the active account changes (as headless drops it when that account is removed).
    """
    if file_layout(data) == OURS:
        if name is None:
            data.pop("default", None)
        else:
            data["default"] = name
        return
    if "active" not in data:
        data["active"] = tomlkit.table()
    active = data["active"]
    if active.get("account") != name:
        active.pop("workspace", None)
    if name is None:
        active.pop("account", None)
    else:
        active["account"] = name


def _workspace_of(data: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> str | None:
    """Our ``workspace_id`` key; in headless's layout ``[active].workspace`` of the active one."""
    if "type" not in entry:
        return _opt_str(entry.get("workspace_id"))
    active = data.get("active")
    if isinstance(active, Mapping) and active.get("account") == name:
        return _opt_str(active.get("workspace"))
    return None


def _opt_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
