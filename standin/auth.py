"""Authentication as Mixpanel does it (README §2, §7.2): service account or legacy API secret."""

from __future__ import annotations

import base64
import binascii

from mixpanel_data.standin.spec import ProjectSpec
from mixpanel_data.standin.wire import HttpError, Request

BAD_CREDENTIALS = "Invalid credentials"


def _credentials(header: str | None) -> tuple[str, str] | None:
    """(user, secret) from ``Basic base64(user:secret)`` or the plain ``Basic user:secret``."""
    if not header or header[:6].lower() != "basic ":
        return None
    token = header[6:].strip()
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = token
    if ":" not in decoded:
        return None
    user, _, secret = decoded.partition(":")
    return user, secret


def authenticate(
    request: Request,
    spec: ProjectSpec,
    family: str,
    path_project: str | None = None,
    needs_project: bool = True,
) -> str:
    """Return the auth mode ("service_account" | "legacy") or raise the matching HttpError.

    Missing/garbled/wrong credentials -> 401; a service account without ``project_id`` -> 400;
    a valid service account on another project -> 403. The legacy secret (username = secret,
    empty password) needs no ``project_id`` but is refused on the App API. ``needs_project``
    is False for ``/api/app/me``, which is about the account, not a project.
    """
    creds = _credentials(request.headers.get("authorization"))
    if creds is None:
        raise HttpError(401, BAD_CREDENTIALS)
    user, secret = creds
    if user == spec.sa_username:
        if secret != spec.sa_secret:
            raise HttpError(401, BAD_CREDENTIALS)
        if not needs_project:
            return "service_account"
        project = path_project or request.params.get("project_id")
        if not project:
            raise HttpError(
                400, "project_id is required when authenticating with a service account"
            )
        if not project.isdigit():
            raise HttpError(400, f"project_id must be an integer, got {project!r}")
        if int(project) != spec.project_id:
            raise HttpError(403, f"service account {user!r} has no access to project {project}")
        return "service_account"
    if user == spec.api_secret and secret == "":
        if family == "app":
            raise HttpError(401, "the App API needs a service account, not a project secret")
        return "legacy"
    raise HttpError(401, BAD_CREDENTIALS)
