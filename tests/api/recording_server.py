"""The server that cassettes are recorded against.

``MP_RECORD_CASSETTES=1`` records against the stand-in (``mixpanel_data.standin``), a small
generated project that accepts the test credentials. ``MP_RECORD_CASSETTES=wire`` records
against the scripted wire server instead, whose bodies copy the examples of the Mixpanel API
reference (§6.1 export, §6.2 engage, §6.3 segmentation, §6.4 funnels/list); use it for
endpoints a stand-in build does not serve yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from mixpanel_data.config.credentials import Credentials

from .wire import WireServer, export, jsonl, reply

SEGMENTATION = {
    "data": {
        "series": ["2024-03-01", "2024-03-02", "2024-03-03"],
        "values": {
            "Page View": {"2024-03-01": 147, "2024-03-02": 146, "2024-03-03": 776},
        },
    },
    "legend_size": 1,
}
FUNNELS = [{"funnel_id": 7509, "name": "Signup funnel"}, {"funnel_id": 9070, "name": "Checkout"}]
ENGAGE = {
    "page": 0,
    "page_size": 5,
    "session_id": "1234567890-EXAMPL",
    "status": "ok",
    "total": 2,
    "results": [
        {
            "$distinct_id": f"u-{i}",
            "$properties": {
                "$email": f"user{i}@example.com",
                "$last_seen": "2024-03-01T10:00:0{i}",
            },
        }
        for i in range(2)
    ],
}
EVENTS = [
    {
        "event": "Signed up" if i % 3 else "Purchase",
        "properties": {
            "time": 1709251200 + 97 * i,
            "distinct_id": f"u-{i % 7}",
            "$insert_id": f"ins{i:05d}",
            "mp_processing_time_ms": (1709251200 + 97 * i) * 1000 + 1500,
            "plan": ["free", "pro", None][i % 3],
            "note": "line\u2028sep" if i == 4 else "plain",
        },
    }
    for i in range(30)
]


@contextmanager
def recording_target(credentials: Credentials, *, mode: str | None) -> Iterator[str | None]:
    """The base URL to record against for ``mode`` ("1" or "wire"); None when only replaying."""
    if not mode:
        yield None
    elif mode == "wire":
        with _wire_server() as base_url:
            yield base_url
    else:
        with _standin(credentials) as base_url:
            yield base_url


@contextmanager
def _standin(credentials: Credentials) -> Iterator[str]:
    from mixpanel_data.standin import ProjectSpec, StandIn

    spec = ProjectSpec(
        seed=3,
        start=date(2024, 3, 1),
        days=3,
        events_per_day=25,
        profiles=12,
        project_id=int(credentials.project_id or 0),
        sa_username=credentials.username or "",
        sa_secret=credentials.secret,
    )
    with StandIn(spec) as mp:
        yield mp.base_url


@contextmanager
def _wire_server() -> Iterator[str]:
    with WireServer() as wire:
        wire.script("/api/query/segmentation", reply(200, SEGMENTATION))
        wire.script("/api/query/funnels/list", reply(200, FUNNELS))
        wire.script("/api/query/engage", reply(200, ENGAGE))
        wire.script("/api/2.0/export", export(jsonl(EVENTS), gzip=True))
        yield wire.base_url
