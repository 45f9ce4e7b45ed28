"""Named accounts in ``~/.mp/config.toml`` (written with mode 0600, never printed with secrets).

Read and written with tomlkit, so a rewrite keeps what we do not manage: comments, blank
lines, key order and keys or tables of other tools.

Format::

    default = "production"

    [accounts.production]
    username = "sa.user"
    secret = "..."
    project_id = "12345"
    region = "us"
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

import tomlkit
from tomlkit.exceptions import TOMLKitError

from mixpanel_data.config.credentials import REGIONS, Credentials, Region
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    ConfigError,
)


class AccountEntry(TypedDict, total=False):
    """One ``[accounts.NAME]`` table. A hand-edited file may hold a number as ``project_id``;
    ``Credentials`` refuses a region that is not one of ``REGIONS``."""

    username: str
    secret: str
    project_id: str | int
    region: Region


class AccountsFile(TypedDict, total=False):
    """The whole file: the default account's name and every account by name."""

    default: str | None
    accounts: dict[str, AccountEntry]


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed to users: everything but the secret."""

    name: str
    username: str | None
    project_id: str | None
    region: str
    is_default: bool


class AccountStore:
    """Reads and writes the accounts file; every write leaves it with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> AccountsFile:
        if not self.path.exists():
            return cast(AccountsFile, tomlkit.document() | {"accounts": {}})
        try:
            # a tomlkit document: edited in place, it keeps comments and unknown keys
            document = tomlkit.parse(self.path.read_text(encoding="utf-8"))
        except TOMLKitError as exc:
            raise ConfigError(
                f"{self.path} is not valid TOML ({exc}): fix or remove the file."
            ) from None
        if "accounts" not in document:
            document["accounts"] = tomlkit.table(is_super_table=True)
        return cast(AccountsFile, document)

    def _save(self, data: AccountsFile) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def list(self) -> list[AccountInfo]:
        """All accounts, default first flagged."""
        data = self._load()
        default = data.get("default")
        return [
            AccountInfo(
                name=name,
                username=entry.get("username"),
                project_id=_opt_str(entry.get("project_id")),
                region=entry.get("region", "us"),
                is_default=name == default,
            )
            for name, entry in data["accounts"].items()
        ]

    def credentials(self, name: str | None = None) -> Credentials | None:
        """The named account's credentials, or the default account's (None when there is none)."""
        data = self._load()
        accounts = data["accounts"]
        if name is None:
            name = data.get("default") or (next(iter(accounts)) if len(accounts) == 1 else None)
            if name is None:
                return None
        if name not in accounts:
            known = ", ".join(sorted(accounts)) or "none"
            raise AccountNotFoundError(
                f"No account named {name!r} (known: {known}): add it with `mp auth add {name}`."
            )
        entry = accounts[name]
        return Credentials(
            secret=str(entry.get("secret", "")),
            username=entry.get("username") or None,
            project_id=_opt_str(entry.get("project_id")),
            region=entry.get("region", "us"),
            source=f"account {name!r} in {self.path}",
        )

    def add(self, name: str, credentials: Credentials, *, make_default: bool = False) -> None:
        """Store a new account; the first one becomes the default."""
        data = self._load()
        if name in data["accounts"]:
            raise AccountExistsError(
                f"Account {name!r} already exists: remove it first with `mp auth remove {name}`."
            )
        if credentials.region not in REGIONS:
            raise ConfigError(f"Unknown region {credentials.region!r}: use us, eu or in.")
        entry: AccountEntry = {"secret": credentials.secret, "region": credentials.region}
        if credentials.username:
            entry["username"] = credentials.username
        if credentials.project_id:
            entry["project_id"] = credentials.project_id
        data["accounts"][name] = entry
        if make_default or not data.get("default"):
            data["default"] = name
        self._save(data)

    def remove(self, name: str) -> None:
        """Delete an account; the default moves to another account if it was this one."""
        data = self._load()
        if name not in data["accounts"]:
            raise AccountNotFoundError(f"No account named {name!r}: see `mp auth list`.")
        del data["accounts"][name]
        if data.get("default") == name:
            remaining = list(data["accounts"])
            if remaining:
                data["default"] = remaining[0]
            else:
                data.pop("default", None)
        self._save(data)

    def set_default(self, name: str) -> None:
        """Make ``name`` the default account."""
        data = self._load()
        if name not in data["accounts"]:
            raise AccountNotFoundError(f"No account named {name!r}: see `mp auth list`.")
        data["default"] = name
        self._save(data)


def _opt_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
