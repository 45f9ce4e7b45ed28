"""Cohorts: the saved list (``/cohorts/list``) and a cohort's members (``/engage``).

Both are Query API requests (60/hour, 5 concurrent per project); members page through engage
with ``filter_by_cohort={"id": N}``, one request per page of up to ``page_size`` profiles.

Wire shapes (API reference §6.8, §6.2)::

    /cohorts/list  [{"count", "is_visible": 0|1, "description", "created": "YYYY-MM-DD HH:MM:SS",
                     "project_id", "id", "name"}]      (bare array; a {"results": [...]} is ok)
    /engage        {"page", "page_size", "session_id", "total" (page 0), "results":
                    [{"$distinct_id", "$properties": {...}}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mixpanel_data.exceptions import QueryError
from mixpanel_data.live._base import LiveResult, QueryClient, check_id, check_positive, number
from mixpanel_data.live.cache import DiscoveryCache, cached

__all__ = [
    "Cohort",
    "CohortList",
    "CohortMember",
    "CohortMembers",
    "cohort_members",
    "cohorts_list",
]

MAX_PAGE_SIZE = 10_000


@dataclass(frozen=True)
class Cohort:
    """A saved cohort; ``created`` is naive project-local time (None if Mixpanel sent none)."""

    id: int
    name: str
    count: int
    description: str
    created: datetime | None
    is_visible: bool
    project_id: int | None


@dataclass(frozen=True)
class CohortList(LiveResult):
    """The project's saved cohorts."""

    cohorts: tuple[Cohort, ...]

    columns = ("id", "name", "count", "description", "created", "is_visible")

    def by_id(self, cohort_id: int) -> Cohort | None:
        return next((c for c in self.cohorts if c.id == cohort_id), None)

    def records(self) -> list[dict[str, Any]]:
        return [
            {
                "id": c.id,
                "name": c.name,
                "count": c.count,
                "description": c.description,
                "created": c.created,
                "is_visible": c.is_visible,
            }
            for c in self.cohorts
        ]


@dataclass(frozen=True)
class CohortMember:
    """A cohort member; ``properties`` is empty for members without a profile."""

    distinct_id: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CohortMembers(LiveResult):
    """Every member of cohort ``cohort_id`` (profiles via engage)."""

    cohort_id: int
    include_all_users: bool
    members: tuple[CohortMember, ...]

    columns = ("distinct_id", "properties")

    @property
    def distinct_ids(self) -> tuple[str, ...]:
        return tuple(m.distinct_id for m in self.members)

    def records(self) -> list[dict[str, Any]]:
        return [{"distinct_id": m.distinct_id, "properties": m.properties} for m in self.members]


def cohorts_list(client: QueryClient, *, cache: DiscoveryCache | None = None) -> CohortList:
    """The saved cohorts; cached when ``cache`` is given."""

    def fetch() -> CohortList:
        body = client.query("cohorts/list", method="POST")
        if isinstance(body, dict):
            body = body.get("results")
        if not isinstance(body, list):
            raise QueryError(
                "Mixpanel /cohorts/list did not answer a list: check MP_BASE_URL points at "
                "Mixpanel's Query API."
            )
        return CohortList(tuple(_cohort(c) for c in body if isinstance(c, dict) and "id" in c))

    return cached(cache, ("cohorts/list",), fetch)


def _cohort(raw: dict[str, Any]) -> Cohort:
    project = raw.get("project_id")
    return Cohort(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        count=int(number(raw.get("count"))),
        description=str(raw.get("description") or ""),
        created=_created(raw.get("created")),
        is_visible=bool(number(raw.get("is_visible"))),
        project_id=int(str(project)) if str(project).isdigit() else None,
    )


def _created(value: Any) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` (space, no zone); None when absent or unreadable."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def cohort_members(
    client: QueryClient,
    cohort_id: int | str,
    *,
    output_properties: list[str] | None = None,
    include_all_users: bool = True,
    page_size: int = 1000,
) -> CohortMembers:
    """Members of a saved cohort, paging engage's session until a short page.

    ``include_all_users`` (Mixpanel's default) also lists members that have no profile;
    ``output_properties`` limits which profile properties come back.
    """
    ident = check_id(cohort_id, "cohort id")
    check_positive(page_size, "page_size", MAX_PAGE_SIZE)
    base: dict[str, Any] = {
        "filter_by_cohort": {"id": ident},
        "page_size": page_size,
        "include_all_users": include_all_users,
        "output_properties": output_properties or None,
    }
    members: list[CohortMember] = []
    page, session = 0, None
    while True:
        body = client.engage_page({**base, "page": page, "session_id": session})
        results = body.get("results") or []
        members.extend(_member(r) for r in results if isinstance(r, dict))
        size = int(number(body.get("page_size"))) or page_size
        session = body.get("session_id") or session
        if len(results) < size or not session:
            break
        page += 1
    return CohortMembers(ident, include_all_users, tuple(members))


def _member(raw: dict[str, Any]) -> CohortMember:
    props = raw.get("$properties")
    return CohortMember(
        str(raw.get("$distinct_id")), dict(props) if isinstance(props, dict) else {}
    )
