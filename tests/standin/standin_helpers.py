"""Plain helpers for the stand-in tests (a uniquely named module: ``conftest`` is not)."""

from __future__ import annotations

from mixpanel_data.standin import StandIn


def params(mp: StandIn, **extra: object) -> dict[str, object]:
    """Query params with the project id."""
    return {"project_id": mp.project_id, **extra}


def lines_of(body: bytes) -> list[bytes]:
    """JSONL lines, split on \\n only (never str.splitlines)."""
    assert body == b"" or body.endswith(b"\n")
    return body.split(b"\n")[:-1] if body else []
