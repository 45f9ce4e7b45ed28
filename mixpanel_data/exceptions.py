"""One exception hierarchy for the whole library.

Every error carries a one-line message that names the problem and the fix, and an ``exit_code``
that the CLI's error boundary maps to the documented process exit status. Messages and reprs never
hold a secret: callers pass only safe text, and ``redact`` scrubs anything that slipped through.

    MixpanelDataError                 base; exit 1
    ├── ConfigError                   bad configuration or input; exit 3
    │   ├── InvalidArgumentError      bad argument value (date, unit, id); exit 3
    │   └── PipelineConfigError       pipelines.yaml problems; exit 3
    ├── AuthenticationError           credentials missing, wrong or without access; exit 2
    ├── NotFoundError                 something named does not exist; exit 4
    │   ├── AccountNotFoundError
    │   ├── TableNotFoundError
    │   ├── PipelineNotFoundError
    │   └── QueryFileNotFoundError
    ├── AccountExistsError            exit 3
    ├── TableExistsError              exit 3
    ├── RateLimitError                retries exhausted on 429; exit 5
    ├── DatabaseBusyError             the local database stayed locked too long; exit 6
    ├── QueryError                    Mixpanel or SQL rejected a query; exit 1
    │   └── PlanRestrictedError       402: the plan has no API access
    └── TransientError                retryable server/network failure (5xx, reset, truncation)
        └── IncompleteExportError     export stream ended early, dropped or truncated
"""

from __future__ import annotations

import re

__all__ = [
    "AccountExistsError",
    "AccountNotFoundError",
    "AuthenticationError",
    "ConfigError",
    "DatabaseBusyError",
    "IncompleteExportError",
    "InvalidArgumentError",
    "MixpanelDataError",
    "NotFoundError",
    "PipelineConfigError",
    "PipelineNotFoundError",
    "PlanRestrictedError",
    "QueryError",
    "QueryFileNotFoundError",
    "RateLimitError",
    "TableExistsError",
    "TableNotFoundError",
    "TransientError",
    "redact",
    "register_secret",
]

_SECRETS: set[str] = set()
_AUTH_IN_URL = re.compile(r"(://)[^/@\s]+@")


def register_secret(secret: str | None) -> None:
    """Remember a secret so that ``redact`` removes it from any message built later."""
    if secret and len(secret) >= 4:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Remove every registered secret and any ``user:pass@`` in URLs from ``text``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _AUTH_IN_URL.sub(r"\1***@", text)


class MixpanelDataError(Exception):
    """Base of every error this library raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        self.message = redact(" ".join(str(message).split()))
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(MixpanelDataError):
    """Configuration (credentials, config files, options) is missing or invalid."""

    exit_code = 3


class InvalidArgumentError(ConfigError):
    """An argument value is malformed; raised before any request is sent."""


class PipelineConfigError(ConfigError):
    """pipelines.yaml is malformed; the message names file, line and key."""


class AuthenticationError(MixpanelDataError):
    """Credentials are missing, wrong, or lack access to the project (``status_code`` 401/403)."""

    exit_code = 2

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotFoundError(MixpanelDataError):
    """Something referred to by name does not exist."""

    exit_code = 4


class AccountNotFoundError(NotFoundError):
    """A named account is not in the config file."""


class TableNotFoundError(NotFoundError):
    """A local table does not exist."""


class PipelineNotFoundError(NotFoundError):
    """A named pipeline is not defined."""


class QueryFileNotFoundError(NotFoundError):
    """A SQL or JQL file does not exist."""


class AccountExistsError(MixpanelDataError):
    """An account of that name already exists."""

    exit_code = 3


class TableExistsError(MixpanelDataError):
    """A table of that name already exists."""

    exit_code = 3


class RateLimitError(MixpanelDataError):
    """Mixpanel kept answering 429 after every retry; ``retry_after`` says how long to wait."""

    exit_code = 5

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseBusyError(MixpanelDataError):
    """The local database stayed locked by a load (or a reader) past the wait: try again."""

    exit_code = 6


class QueryError(MixpanelDataError):
    """Mixpanel (or the local database) rejected a query as invalid."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class PlanRestrictedError(QueryError):
    """HTTP 402: the Mixpanel plan does not include API access."""


class TransientError(MixpanelDataError):
    """A failure worth retrying: 5xx, connection reset, timeout."""


class IncompleteExportError(TransientError):
    """An export stream ended early (``terminated early``, dropped connection, truncated gzip)."""


def library_error(exc: BaseException) -> BaseException:
    """The library error a dlt ``PipelineStepFailed`` (or any wrapper) carries, else ``exc``.

    dlt wraps what a source raises (``ResourceExtractionError`` inside ``PipelineStepFailed``);
    callers of ``run_pipeline`` and the CLI's error boundary want the one-line error inside.
    """
    seen = exc
    while not isinstance(seen, MixpanelDataError) and seen.__cause__ is not None:
        seen = seen.__cause__
    inner = getattr(seen, "exception", None)
    if not isinstance(seen, MixpanelDataError) and isinstance(inner, BaseException):
        return library_error(inner)
    return seen if isinstance(seen, MixpanelDataError | KeyboardInterrupt) else exc
