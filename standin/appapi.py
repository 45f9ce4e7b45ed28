"""App API (README §6.11, §6.12): annotations, annotation tags, Lexicon schemas; plus the
legacy ``/api/2.0/annotations``. State lives on the project so writes are visible to reads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange, HttpError


def _in_range(entry: dict[str, Any], first: date | None, last: date | None) -> bool:
    day = date.fromisoformat(entry["date"][:10])
    return (first is None or day >= first) and (last is None or day <= last)


def handle_annotations(state: ServerState, ex: Exchange) -> None:
    """``/api/app/projects/{id}/annotations[/{annotationId}]``."""
    req, project = ex.request, state.project
    ann_id = ex.request.path_args[1] if len(req.path_args) > 1 and req.path_args[1] else None
    with state.lock:
        if ann_id is None and req.method == "GET":
            first, last = req.get_date("fromDate", False), req.get_date("toDate", False)
            ex.send_json(
                200,
                {
                    "status": "ok",
                    "results": [a for a in project.annotations if _in_range(a, first, last)],
                },
            )
        elif ann_id is None and req.method == "POST":
            body = _object(req.json())
            tags = [t for t in project.annotation_tags if t["id"] in body.get("tags", [])]
            entry = {
                "id": max((a["id"] for a in project.annotations), default=0) + 1,
                "date": str(body.get("date", "")),
                "description": body.get("description"),
                "user": {"id": 1, "first_name": "John", "last_name": "Smith"},
                "tags": tags,
            }
            project.annotations.append(entry)
            ex.send_json(201, {"status": "ok", "results": entry})
        else:
            _one_annotation(state, ex, int(ann_id or 0))


def _one_annotation(state: ServerState, ex: Exchange, ann_id: int) -> None:
    project = state.project
    entry = next((a for a in project.annotations if a["id"] == ann_id), None)
    if entry is None:
        raise HttpError(404, f"annotation {ann_id} not found")
    if ex.request.method == "DELETE":
        project.annotations.remove(entry)
        ex.send_json(200, {"status": "ok", "results": {"id": ann_id}})
        return
    if ex.request.method == "PATCH":
        body = _object(ex.request.json())
        if "description" in body:
            entry["description"] = body["description"]
        if "tags" in body:
            entry["tags"] = [t for t in project.annotation_tags if t["id"] in body["tags"]]
    ex.send_json(200, {"status": "ok", "results": entry})


def handle_annotation_tags(state: ServerState, ex: Exchange) -> None:
    """``/api/app/projects/{id}/annotations/tags``: bare arrays / a single tag."""
    project = state.project
    with state.lock:
        used = {t["id"] for a in project.annotations for t in a["tags"]}
        if ex.request.method == "POST":
            name = _object(ex.request.json()).get("name")
            if not name:
                raise HttpError(400, "name is required")
            tag = {"id": max(t["id"] for t in project.annotation_tags) + 1, "name": name}
            project.annotation_tags.append(tag)
            ex.send_json(
                200, {**tag, "project_id": project.spec.project_id, "has_annotations": False}
            )
            return
        ex.send_json(
            200,
            [
                {**t, "project_id": project.spec.project_id, "has_annotations": t["id"] in used}
                for t in project.annotation_tags
            ],
        )


def handle_legacy_annotations(state: ServerState, ex: Exchange) -> None:
    """``GET /api/2.0/annotations?from_date=&to_date=`` -> ``{"annotations": [...]}``."""
    first, last = ex.request.get_date("from_date"), ex.request.get_date("to_date")
    pid = state.project.spec.project_id
    with state.lock:
        items = [
            {"date": a["date"], "project_id": pid, "id": a["id"], "description": a["description"]}
            for a in state.project.annotations
            if _in_range(a, first, last)
        ]
    ex.send_json(200, {"annotations": items, "error": False})


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    return body


ME_NO_SCOPE = "This service account lacks the user_details scope needed for /me."


def handle_me(state: ServerState, ex: Exchange) -> None:
    """``GET /api/app/me``: the service account's projects, each with its ``timezone``.

    The App API wrapper ``{"status": "ok", "results": {...}}``, with ``projects`` keyed by
    id, as Mixpanel's MCP server and ``mixpanel-headless`` (``_internal/me.py``) read it.
    ``Options.me``: ``"ok"``, ``"no_scope"`` (403, the account lacks ``user_details``),
    ``"bare"`` (no wrapper) or ``"unlisted"`` (the project is not in the map).
    """
    spec, mode = state.project.spec, state.options.me
    if mode == "no_scope":
        raise HttpError(403, ME_NO_SCOPE)
    projects: dict[str, Any] = {
        "1": {
            "name": "Another project",
            "organization_id": 7,
            "timezone": "Asia/Tokyo",
            "has_workspaces": False,
        }
    }
    if mode != "unlisted":
        projects[str(spec.project_id)] = {
            "name": "Stand-in project",
            "organization_id": 7,
            "timezone": spec.timezone,
            "has_workspaces": True,
            "domain": "mixpanel.com",
            "type": "project",
        }
    body = {
        "user_id": 4242,
        "user_name": spec.sa_username,
        "projects": projects,
        "organizations": {"7": {"id": 7, "name": "Stand-in org"}},
    }
    ex.send_json(200, body if mode == "bare" else {"status": "ok", "results": body})
