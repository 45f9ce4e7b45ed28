"""Annotations: the notes pinned to dates on Mixpanel charts (App API, service account).

``GET /api/app/projects/{id}/annotations?fromDate=&toDate=`` (camelCase, both optional, API
reference §6.11) answers ``{"status": "ok", "results": [{"id", "date": "YYYY-MM-DD HH:MM:SS",
"description", "user": {"id", "first_name", "last_name"}, "tags": [{"id", "name"}]}]}``.
The App API needs a service account with a project id; it has no Query API budget of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mixpanel_data.config.dates import parse_day
from mixpanel_data.exceptions import QueryError
from mixpanel_data.live._base import LiveResult, QueryClient, check_range

__all__ = ["Annotation", "AnnotationList", "annotations_list"]


@dataclass(frozen=True)
class Annotation:
    """One annotation; ``date`` is the naive project-local time Mixpanel stores."""

    id: int
    date: datetime | None
    description: str
    user: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class AnnotationList(LiveResult):
    """Annotations between ``from_date`` and ``to_date`` (None: unbounded), oldest first."""

    from_date: date | None
    to_date: date | None
    annotations: tuple[Annotation, ...]

    columns = ("id", "date", "description", "user", "tags")

    def records(self) -> list[dict[str, Any]]:
        return [
            {
                "id": a.id,
                "date": a.date,
                "description": a.description,
                "user": a.user,
                "tags": list(a.tags),
            }
            for a in self.annotations
        ]


def annotations_list(
    client: QueryClient,
    from_date: date | str | None = None,
    to_date: date | str | None = None,
) -> AnnotationList:
    """The project's annotations, optionally limited to a range of days (inclusive)."""
    first = parse_day(from_date, "from_date") if from_date is not None else None
    last = parse_day(to_date, "to_date") if to_date is not None else None
    if first is not None and last is not None:
        first, last = check_range(first, last)
    body = client.app("annotations", {"fromDate": first, "toDate": last})
    results = body.get("results") if isinstance(body, dict) else body
    if not isinstance(results, list):
        raise QueryError(
            'Mixpanel annotations answered an unexpected shape (expected {"results": [...]}): '
            "check MP_BASE_URL points at Mixpanel."
        )
    items = tuple(_annotation(a) for a in results if isinstance(a, dict) and "id" in a)
    ordered = tuple(sorted(items, key=lambda a: (a.date or datetime.min, a.id)))
    return AnnotationList(first, last, ordered)


def _annotation(raw: dict[str, Any]) -> Annotation:
    user = raw.get("user")
    name = None
    if isinstance(user, dict):
        name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k)) or None
    tags = tuple(str(t.get("name")) for t in raw.get("tags") or [] if isinstance(t, dict))
    return Annotation(
        int(raw["id"]), _when(raw.get("date")), str(raw.get("description") or ""), name, tags
    )


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
