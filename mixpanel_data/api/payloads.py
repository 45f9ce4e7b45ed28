"""The raw JSON bodies Mixpanel answers with, as ``TypedDict``s: what each reader may expect.

Nothing here is checked at runtime: a body is still read defensively (``.get``, ``isinstance``),
because a stand-in, an older answer or a proxy may leave keys out. The types say which keys
and values a reader handles, so a misspelt key or a wrong value type is a type error.

    ExportEvent   one line of ``/api/2.0/export``
    EngagePage    one page of ``/api/query/engage`` (``EngageParams`` is what it is asked with)
    MeBody        ``/api/app/me``: the service account's projects and their time zones
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "EngagePage",
    "EngageParams",
    "EngageProfile",
    "ExportEvent",
    "MeAccount",
    "MeBody",
    "MeProject",
]


class ExportEvent(TypedDict):
    """One export line: ``properties`` holds ``time``, ``distinct_id``, ``$insert_id``,
    ``mp_processing_time_ms`` and whatever the project tracked (any JSON value)."""

    event: str
    properties: dict[str, Any]


# "$distinct_id" is no identifier, hence the functional form.
EngageProfile = TypedDict(
    "EngageProfile",
    {"$distinct_id": str | int, "$properties": dict[str, Any]},
    total=False,
)
"""One profile of an engage page; ``$properties`` holds ``$last_seen`` and any JSON value."""


class EngagePage(TypedDict, total=False):
    """One engage page. ``total`` and ``session_id`` come with page 0 (API reference §6.2)."""

    page: int
    page_size: int
    session_id: str
    total: int
    results: list[EngageProfile]


class _CohortFilter(TypedDict):
    id: int


class EngageParams(TypedDict, total=False):
    """What an engage page is asked with (form fields, JSON-encoded by the client)."""

    page: int
    page_size: int
    session_id: str
    where: str
    filter_by_cohort: _CohortFilter


class MeProject(TypedDict, total=False):
    """One project the service account sees; ``timezone`` is an IANA name (``US/Pacific``)."""

    name: str
    timezone: str


class MeAccount(TypedDict, total=False):
    """The account's projects by project id (as text)."""

    projects: dict[str, MeProject]


class MeBody(MeAccount, total=False):
    """``/me``'s body: the account itself, or the same wrapped in ``results``."""

    results: MeAccount
