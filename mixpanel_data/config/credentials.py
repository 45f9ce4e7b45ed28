"""The resolved credentials of one Mixpanel project: a frozen value that never shows its secret."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

from mixpanel_data.exceptions import ConfigError, register_secret

Region = Literal["us", "eu", "in"]
REGIONS: tuple[Region, ...] = ("us", "eu", "in")
LEGACY_SECRET_RETIREMENT = "2027-03-03"


@dataclass(frozen=True)
class Credentials:
    """A service account (username + secret + project_id) or a legacy project API secret.

    The legacy form has ``username=None``; Mixpanel retires it on 2027-03-03.
    """

    secret: str = field(repr=False)
    username: str | None = None
    project_id: str | None = None
    region: Region = "us"
    source: str = "explicit"

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
        """Warn once per call site that the legacy project secret is being retired."""
        if self.is_legacy:
            warnings.warn(
                "Using a legacy project API secret: Mixpanel retires it on "
                f"{LEGACY_SECRET_RETIREMENT}. Create a service account and run `mp auth add`.",
                DeprecationWarning,
                stacklevel=3,
            )

    def __repr__(self) -> str:
        return (
            f"Credentials(username={self.username!r}, secret='***', "
            f"project_id={self.project_id!r}, region={self.region!r}, source={self.source!r})"
        )

    __str__ = __repr__
