"""A tiny in-process Mixpanel client (export + engage) serving rows the test wrote itself."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson


class FakeMixpanel:
    """Serves ``events`` (export rows) and ``profiles`` (engage results) from memory."""

    def __init__(self, events: list[dict[str, Any]], profiles: list[dict[str, Any]]) -> None:
        self.events = events
        self.profiles = profiles

    def export_batches(self, from_date: date, to_date: date, **_: Any) -> Iterator[bytes]:
        lines = [
            orjson.dumps(e)
            for e in self.events
            if from_date <= datetime.fromtimestamp(e["properties"]["time"], UTC).date() <= to_date
        ]
        if lines:
            yield b"\n".join(lines) + b"\n"

    def engage_page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        page = int(params.get("page", 0))
        return {
            "results": self.profiles if page == 0 else [],
            "page": page,
            "page_size": 1000,
            "session_id": "s1",
            "total": len(self.profiles),
        }
