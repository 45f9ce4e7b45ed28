"""Lexicon schemas: the documented events and profile properties (App API, service account).

``GET /api/app/projects/{id}/schemas[/{entityType}]`` (API reference §6.12) answers
``{"status": "ok", "results": [{"entityType": "event"|"profile", "name", "schemaJson":
{"description", "properties": {name: {"type", "description", "metadata"}}, "metadata"}}]}``.
Only entities that have a schema come back (a subset of what the Lexicon UI shows). Mixpanel
allows 5 Lexicon requests per minute, so results are cached with a ``DiscoveryCache``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mixpanel_data.exceptions import QueryError
from mixpanel_data.live._base import LiveResult, QueryClient, check_choice
from mixpanel_data.live.cache import DiscoveryCache, cached

__all__ = ["ENTITY_TYPES", "SchemaEntry", "SchemaList", "SchemaProperty", "schemas"]

ENTITY_TYPES = ("event", "profile")


@dataclass(frozen=True)
class SchemaProperty:
    """A documented property: its JSON type (``string``, ``number`` ...) and description."""

    name: str
    type: str | None
    description: str


@dataclass(frozen=True)
class SchemaEntry:
    """One event's (or the profile's) schema; ``schema`` keeps the raw ``schemaJson``."""

    entity_type: str
    name: str
    description: str
    properties: tuple[SchemaProperty, ...]
    schema: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SchemaList(LiveResult):
    """Lexicon entries, optionally of one ``entity_type``."""

    entity_type: str | None
    entries: tuple[SchemaEntry, ...]

    columns = ("entity_type", "name", "property", "type", "description")

    def get(self, entity_type: str, name: str) -> SchemaEntry | None:
        return next(
            (e for e in self.entries if e.entity_type == entity_type and e.name == name), None
        )

    def records(self) -> list[dict[str, Any]]:
        """One row per documented property (an entry without properties: one row, no property)."""
        rows: list[dict[str, Any]] = []
        for e in self.entries:
            base = {"entity_type": e.entity_type, "name": e.name}
            if not e.properties:
                rows.append({**base, "property": None, "type": None, "description": e.description})
            rows.extend(
                {**base, "property": p.name, "type": p.type, "description": p.description}
                for p in e.properties
            )
        return rows


def schemas(
    client: QueryClient,
    entity_type: str | None = None,
    *,
    cache: DiscoveryCache | None = None,
) -> SchemaList:
    """Lexicon schemas of every entity, or of ``entity_type`` (``event`` or ``profile``)."""
    if entity_type is not None:
        check_choice(entity_type, ENTITY_TYPES, "entity type")

    def fetch() -> SchemaList:
        path = f"schemas/{entity_type}" if entity_type else "schemas"
        body = client.app(path)
        results = body.get("results") if isinstance(body, dict) else body
        if not isinstance(results, list):
            raise QueryError(
                'Mixpanel Lexicon schemas answered an unexpected shape (expected {"results": '
                "[...]}): check MP_BASE_URL points at Mixpanel."
            )
        entries = tuple(_entry(r) for r in results if isinstance(r, dict) and r.get("name"))
        return SchemaList(
            entity_type, tuple(sorted(entries, key=lambda e: (e.entity_type, e.name)))
        )

    return cached(cache, ("schemas", entity_type), fetch)


def _entry(raw: dict[str, Any]) -> SchemaEntry:
    schema: dict[str, Any] = raw["schemaJson"] if isinstance(raw.get("schemaJson"), dict) else {}
    props: dict[str, Any] = schema.get("properties") or {}
    if not isinstance(props, dict):
        props = {}
    properties = tuple(
        SchemaProperty(str(name), _text(info.get("type")), str(info.get("description") or ""))
        for name, info in props.items()
        if isinstance(info, dict)
    )
    return SchemaEntry(
        str(raw.get("entityType") or ""),
        str(raw["name"]),
        str(schema.get("description") or ""),
        properties,
        schema,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, list):  # JSON Schema allows ["string", "null"]
        return "|".join(str(v) for v in value)
    return str(value) if value is not None else None
