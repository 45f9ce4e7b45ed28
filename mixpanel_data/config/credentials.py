"""The resolved credentials of one Mixpanel project: a frozen value that never shows its secret."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

from mixpanel_data.exceptions import ConfigError, register_secret

Region = Literal["us", "eu", "in"]
REGIONS: tuple[Region, ...] = ("us", "eu", "in")
LEGACY_SECRET_RETIREMENT = "2027-03-03"
LEGACY_SECRET_NOTICE = (
    "Using a legacy project API secret: Mixpanel retires project secrets on "
    f"{LEGACY_SECRET_RETIREMENT}. Create a service account and run `mp auth add`."
)


class LegacySecretWarning(DeprecationWarning):
    """Mixpanel retires project API secrets on 2027-03-03.

    A ``DeprecationWarning`` (hidden by default) for library callers; the CLI shows it once per
    command on stderr (``--quiet`` silences it) and in ``mp auth test``.
    """


@dataclass(frozen=True)
class Credentials:
    """A service account (username + secret + project_id) or a legacy project API secret.

    The legacy form has ``username=None``; Mixpanel retires it on 2027-03-03. ``workspace_id``
    names a Data View of the project: Query and App API calls then carry ``workspace_id``.
    """

    secret: str = field(repr=False)
    username: str | None = None
    project_id: str | None = None
    region: Region = "us"
    source: str = "explicit"
    workspace_id: str | None = None

    def __post_init__(self) -> None:
        register_secret(self.secret)
        if not self.secret:
            raise ConfigError("Mixpanel secret is empty: set MP_SECRET or run `mp auth add`.")
        if self.region not in REGIONS:
            raise ConfigError(
                f"Unknown region {self.region!r}: use one of us, eu, in (MP_REGION or --region)."
            )
        if self.username and not self.project_id:
            raise ConfigError(
                "A service account needs a project id: set MP_PROJECT_ID or pass --project."
            )
        if self.project_id is not None and not str(self.project_id).isdigit():
            raise ConfigError(
                f"Project id {self.project_id!r} is not a number: use the numeric id "
                "from your Mixpanel project settings."
            )
        if self.workspace_id is not None and not str(self.workspace_id).isdigit():
            raise ConfigError(
                f"Workspace id {self.workspace_id!r} is not a number: use the Data View's "
                "numeric id (the number after /view/ in a Mixpanel report URL)."
            )

    @property
    def is_legacy(self) -> bool:
        """True for a project API secret (no service-account username)."""
        return not self.username

    def basic_auth(self) -> tuple[str, str]:
        """The (user, password) pair for HTTP Basic auth."""
        if self.is_legacy:
            return (self.secret, "")
        assert self.username is not None
        return (self.username, self.secret)

    def warn_if_legacy(self) -> None:
        """Warn that the legacy project secret is being retired (``LegacySecretWarning``)."""
        if self.is_legacy:
            warnings.warn(LEGACY_SECRET_NOTICE, LegacySecretWarning, stacklevel=3)

    def __repr__(self) -> str:
        return (
            f"Credentials(username={self.username!r}, secret='***', "
            f"project_id={self.project_id!r}, workspace_id={self.workspace_id!r}, "
            f"region={self.region!r}, source={self.source!r})"
        )

    __str__ = __repr__
