"""Assemble the route table from every endpoint family."""

from __future__ import annotations

from mixpanel_data.standin.appapi import (
    handle_annotation_tags,
    handle_annotations,
    handle_legacy_annotations,
    handle_me,
)
from mixpanel_data.standin.engage import handle_engage
from mixpanel_data.standin.export import handle_export
from mixpanel_data.standin.lexicon import handle_schemas
from mixpanel_data.standin.queries import register_queries
from mixpanel_data.standin.routes import Router
from mixpanel_data.standin.state import ServerState
from mixpanel_data.standin.wire import Exchange

CONTROL_NAMES = (
    "faults",
    "reset",
    "requests",
    "today",
    "now",
    "spend",
    "late",
    "limits",
    "touch_profiles",
    "info",
)


def _noop(state: ServerState, ex: Exchange) -> None:
    """Placeholder for control routes (dispatched by name in the server)."""


def build_router() -> Router:
    """Every route the stand-in serves."""
    router = Router()
    router.add(r"/api/2\.0/export", "export", "export", handle_export)
    router.add(r"/api/2\.0/annotations", "query", "annotations", handle_legacy_annotations)
    router.add_query("engage", handle_engage)
    router.add(r"/api/app/me", "app", "me", handle_me)
    app = r"/api/app/projects/([^/]+)"
    router.add(app + r"/annotations/tags", "app", "annotations/tags", handle_annotation_tags)
    router.add(app + r"/annotations(?:/(\d+))?", "app", "annotations", handle_annotations)
    router.add(app + r"/schemas(?:/([^/]+)(?:/(.+))?)?", "app", "schemas", handle_schemas)
    for name in CONTROL_NAMES:
        router.add(rf"/_standin/{name}", "control", name, _noop)
    register_queries(router)
    return router
