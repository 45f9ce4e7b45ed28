"""Lexicon Schemas API (README §6.12): list, get, batch upsert and delete, by entity type."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError

ENTITY_TYPES = ("event", "profile")


def handle_schemas(state: ServerState, ex: Exchange) -> None:
    """``/api/app/projects/{id}/schemas[/{entityType}[/{name}]]``."""
    args = ex.request.path_args
    entity = args[1] if len(args) > 1 and args[1] else None
    name = args[2] if len(args) > 2 and args[2] else None
    if entity is not None and entity not in ENTITY_TYPES:
        raise HttpError(400, f"entityType must be one of {ENTITY_TYPES}")
    name = unquote(name) if name else None
    with state.lock:
        if name is not None and entity is not None:
            _one(state, ex, entity, name)
        else:
            _many(state, ex, entity)


def _matches(entry: dict[str, Any], entity: str | None, name: str | None) -> bool:
    return (entity is None or entry["entityType"] == entity) and (
        name is None or entry["name"] == name
    )


def _many(state: ServerState, ex: Exchange, entity: str | None) -> None:
    schemas = state.project.schemas
    req = ex.request
    if req.method == "GET":
        only = req.params.get("entity_name")
        ex.send_json(
            200, {"status": "ok", "results": [s for s in schemas if _matches(s, entity, only)]}
        )
    elif req.method == "DELETE":
        keep = [s for s in schemas if not _matches(s, entity, None)]
        count = len(schemas) - len(keep)
        schemas[:] = keep
        ex.send_json(200, {"status": "ok", "results": {"delete_count": count}})
    elif req.method == "POST":
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise HttpError(400, 'body must be {"entries": [...], "truncate": false}')
        deleted = len(schemas) if body.get("truncate") else 0
        if deleted:
            schemas.clear()
        for entry in body["entries"]:
            _upsert(schemas, entry)
        ex.send_json(
            200, {"status": "ok", "results": {"added": len(body["entries"]), "deleted": deleted}}
        )
    else:
        raise HttpError(405, f"{req.method} is not allowed here")


def _upsert(schemas: list[dict[str, Any]], entry: Any) -> None:
    if (
        not isinstance(entry, dict)
        or entry.get("entityType") not in ENTITY_TYPES
        or not entry.get("name")
    ):
        raise HttpError(400, "each entry needs entityType (event|profile), name, schemaJson")
    schemas[:] = [s for s in schemas if not _matches(s, entry["entityType"], entry["name"])]
    schemas.append(
        {
            "entityType": entry["entityType"],
            "name": entry["name"],
            "schemaJson": entry.get("schemaJson", {}),
        }
    )


def _one(state: ServerState, ex: Exchange, entity: str, name: str) -> None:
    schemas = state.project.schemas
    found = next((s for s in schemas if _matches(s, entity, name)), None)
    if ex.request.method == "GET":
        if found is None:
            raise HttpError(404, f"no schema for {entity} {name!r}")
        ex.send_json(200, found["schemaJson"])
    elif ex.request.method == "POST":
        body = ex.request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a Schema object")
        _upsert(schemas, {"entityType": entity, "name": name, "schemaJson": body})
        ex.send_json(200, {"status": "ok"})
    elif ex.request.method == "DELETE":
        schemas[:] = [s for s in schemas if not _matches(s, entity, name)]
        ex.send_json(200, {"status": "ok", "results": {"delete_count": int(found is not None)}})
    else:
        raise HttpError(405, f"{ex.request.method} is not allowed here")
