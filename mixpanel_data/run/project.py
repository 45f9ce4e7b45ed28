"""What Mixpanel says about the project: its time zone, so "today" and ``event_date`` are right.

Mixpanel reports each project's zone to a service account on the App API's ``GET /api/app/me``
(``projects[<id>].timezone``; Mixpanel's own Python client ``mixpanel-headless`` reads it there,
``_internal/me.py``, and its test fixtures show values like ``US/Pacific``). It needs the
service account's ``user_details`` scope (a 403 otherwise) and is not offered to a legacy
project secret. A configured ``project_timezone`` always wins; when neither is known the run
warns once and holds "today" back (``windows.last_export_day``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mixpanel_data.exceptions import AuthenticationError, NotFoundError, QueryError

if TYPE_CHECKING:
    from mixpanel_data.api.payloads import MeAccount, MeBody, MeProject
    from mixpanel_data.config.credentials import Credentials

logger = logging.getLogger("mixpanel_data.project")

UNKNOWN_ZONE = (
    "The project's time zone is unknown{why}: event_date holds UTC days and the newest export "
    "day is held back to the earliest 'today' on Earth. Set project_timezone (pipelines.yaml "
    "options, SOURCES__MIXPANEL__PROJECT_TIMEZONE or [sources.mixpanel] in .dlt/config.toml)."
)


class MeClient(Protocol):
    """A client that can ask ``/me`` (``MixpanelClient``); an injected stand-in may not."""

    def me(self) -> MeBody: ...

    @property
    def credentials(self) -> Credentials: ...


@dataclass(frozen=True)
class ProjectInfo:
    """The project's zone and where it came from (``setting``, ``mixpanel`` or None)."""

    project_id: str | None
    timezone: str | None
    timezone_source: str | None
    name: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "name": self.name,
            "timezone": self.timezone,
            "timezone_source": self.timezone_source,
        }


def describe_project(client: object, configured_zone: str | None = None) -> ProjectInfo:
    """The project's zone: ``configured_zone``, else Mixpanel's ``/me``, else unknown (a note).

    ``client`` is any client: only one with credentials and ``me`` (a ``MeClient``) is asked.
    ``/me`` is asked even with a configured zone when it can be (it is the cheap first
    authenticated request); a 401 there raises ``AuthenticationError`` before anything else
    happens. A mismatch between the setting and Mixpanel is logged, the setting kept.
    """
    project_id = getattr(getattr(client, "credentials", None), "project_id", None)
    if not _can_ask(client):  # an injected stand-in client
        return _known(configured_zone, project_id, None, " (the client cannot ask Mixpanel)")
    if client.credentials.is_legacy:
        why = " (a legacy project secret cannot ask Mixpanel for it)"
        return _known(configured_zone, project_id, None, why)
    try:
        payload = client.me()
    except AuthenticationError as exc:
        if exc.status_code != 403:
            raise
        why = " (Mixpanel's /me refused: the service account lacks the user_details scope)"
        return _known(configured_zone, project_id, None, why)
    except (NotFoundError, QueryError) as exc:
        return _known(configured_zone, project_id, None, f" (Mixpanel's /me: {exc.message})")
    entry = _project_entry(payload, project_id)
    reported = _zone_name(entry.get("timezone")) if entry else None
    name = str(entry["name"]) if entry and entry.get("name") else None
    if configured_zone:
        if reported and reported != configured_zone and not _same(reported, configured_zone):
            logger.warning(
                "project_timezone %s differs from the zone Mixpanel reports (%s): using %s",
                configured_zone,
                reported,
                configured_zone,
            )
        return ProjectInfo(project_id, configured_zone, "setting", name)
    if reported:
        return ProjectInfo(project_id, reported, "mixpanel", name)
    return _known(None, project_id, name, " (Mixpanel's /me did not list it for this project)")


def _can_ask(client: object) -> TypeGuard[MeClient]:
    """Whether ``client`` has credentials and ``me`` (``hasattr``: a stand-in may proxy)."""
    return getattr(client, "credentials", None) is not None and hasattr(client, "me")


def _known(zone: str | None, project_id: str | None, name: str | None, why: str) -> ProjectInfo:
    if zone:
        return ProjectInfo(project_id, zone, "setting", name)
    return ProjectInfo(project_id, None, None, name, note=UNKNOWN_ZONE.format(why=why))


def _project_entry(payload: MeBody, project_id: str | None) -> MeProject | None:
    """``projects[project_id]`` of a ``/me`` body, bare or in a ``results`` wrapper."""
    account: MeAccount = payload
    if isinstance(payload, dict) and isinstance(payload.get("results"), dict):
        account = payload["results"]
    projects = account.get("projects") if isinstance(account, dict) else None
    if not isinstance(projects, dict) or project_id is None:
        return None
    entry = projects.get(str(project_id))
    return entry if isinstance(entry, dict) else None


def _zone_name(value: object) -> str | None:
    """An IANA name Python knows (``US/Pacific`` is one of tzdata's links), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Mixpanel reported the unknown time zone %r; ignoring it", value)
        return None
    return value.strip()


def _same(first: str, second: str) -> bool:
    """Whether two zone names agree on every offset this decade (``US/Pacific`` vs LA)."""
    from datetime import UTC, datetime, timedelta

    try:
        a, b = ZoneInfo(first), ZoneInfo(second)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    start = datetime(2020, 1, 1, tzinfo=UTC)
    return all(
        (start + timedelta(days=15 * i)).astimezone(a).utcoffset()
        == (start + timedelta(days=15 * i)).astimezone(b).utcoffset()
        for i in range(0, 365 * 10 // 15)
    )
