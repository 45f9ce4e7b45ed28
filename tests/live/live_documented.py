"""Mixpanel's documented response bodies (API reference §6, the openapi examples) and a tiny
server that answers them, for recording the cassettes under ``cassettes/test_live_documented``.

Replay (the default) never starts the server. ``MP_RECORD_CASSETTES=1`` records against it:
the cassettes then hold exactly these bodies, as Mixpanel documents them. The segmented funnel
shape (``$overall`` plus one list of steps per property value) is not in the openapi file; it
follows Mixpanel's Data Export API documentation of ``/funnels`` with ``on``.

Every body names its source: ``query.openapi.yaml`` and ``export.openapi.yaml`` are the
official specs in ``/work/shared/mixpanel-api/openapi/`` (the path, then "example"); [OBS]
marks shapes real Mixpanel sends that the spec does not show, with who saw them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SEGMENTATION = {  # §6.3: series not sorted
    "data": {
        "series": ["2011-08-08", "2011-08-09", "2011-08-06", "2011-08-07"],
        "values": {
            "Signed up": {
                "2011-08-06": 147,
                "2011-08-07": 146,
                "2011-08-08": 776,
                "2011-08-09": 1376,
            }
        },
    },
    "legend_size": 1,
}
SEGMENTATION_ON = {  # §6.7 /events example: a segment leaves out dates without data
    "data": {
        "series": ["2010-05-29", "2010-05-30", "2010-05-31"],
        "values": {
            "account-page": {"2010-05-30": 1},
            "splash features": {"2010-05-29": 6, "2010-05-30": 4, "2010-05-31": 5},
        },
    },
    "legend_size": 2,
}
NUMERIC = {
    "data": {
        "series": ["2011-08-08", "2011-08-09", "2011-08-06", "2011-08-07"],
        "values": {
            "2,000 - 2,100": {"2011-08-06": 1, "2011-08-07": 5, "2011-08-08": 4, "2011-08-09": 15},
            "2,100 - 2,200": {"2011-08-07": 2, "2011-08-08": 7, "2011-08-09": 15},
        },
    },
    "legend_size": 2,
}
SUM = {
    "status": "ok",
    "computed_at": "2019-10-07T23:02:11.666218+00:00",
    "results": {"2019-10-07": 4, "2019-10-06": 7},
}
AVERAGE = {"results": {"2011-08-06": 8.64705882352939, "2011-08-07": 4.640625}, "status": "ok"}


def _step(count: int, ratio: float, name: str, avg: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "count": count,
        "avg_time": avg,
        "avg_time_from_start": avg,
        "step_conv_ratio": ratio,
        "overall_conv_ratio": ratio,
        "goal": name,
        "event": name,
        **extra,
    }


_GAME = {"step_label": "Game Played", "custom_event": True, "custom_event_id": 12345}
FUNNEL = {  # §6.4, two of the spec's three weeks
    "meta": {"dates": ["2016-09-12", "2016-09-19"]},
    "data": {
        "2016-09-12": {
            "steps": [
                _step(32688, 1, "App Open", 2),
                _step(20524, 0.627875673029858, "$custom_event:12345", 133, **_GAME),
            ],
            "analysis": {"completion": 20524, "starting_amount": 32688, "steps": 2, "worst": 1},
        },
        "2016-09-19": {
            "steps": [
                _step(32486, 1, "App Open", 10),
                _step(20809, 0.6405528535369082, "$custom_event:12345", 75, **_GAME),
            ],
            "analysis": {"completion": 20809, "starting_amount": 32486, "steps": 2, "worst": 1},
        },
    },
}
FUNNEL_ON = {  # with on=properties["$browser"]: per date, $overall plus one list per value
    "meta": {"dates": ["2016-09-12"]},
    "data": {
        "2016-09-12": {
            "$overall": [_step(100, 1, "App Open", None), _step(40, 0.4, "Purchase", 60)],
            "Chrome": [_step(70, 1, "App Open", None), _step(35, 0.5, "Purchase", 50)],
            "Firefox": [_step(30, 1, "App Open", None), _step(5, 0.1667, "Purchase", 120)],
        }
    },
}
FUNNELS_LIST = [
    {"funnel_id": 7509, "name": "Signup funnel"},
    {"funnel_id": 9070, "name": "Funnel tutorial"},
]
RETENTION = {
    "2012-01-01": {"counts": [2, 1, 2], "first": 2},
    "2012-01-02": {"counts": [9, 7, 6], "first": 10},
    "2012-01-03": {"counts": [9, 6, 4], "first": 10},
}
ADDICTION_SPEC = {"data": {"2012-01-01": [305, 107, 60, 41], "2012-01-02": [495, 204, 117, 77]}}
ADDICTION_DOCS = {"2012-01-01": [305, 107, 60, 41]}  # the docs page: no "data" wrapper
INSIGHTS = {
    "computed_at": "2020-09-21T16:35:41.252314+00:00",
    "date_range": {
        "from_date": "2020-08-31T00:00:00-07:00",
        "to_date": "2020-09-12T23:59:59.999000-07:00",
    },
    "headers": ["$event"],
    "series": {
        "Logged in": {"2020-08-31T00:00:00-07:00": 9852, "2020-09-07T00:00:00-07:00": 4325},
        "Viewed page": {"2020-08-31T00:00:00-07:00": 10246, "2020-09-07T00:00:00-07:00": 11432},
    },
}
EVENT_NAMES = ["battle", "click signup button", "View homepage"]
TOP_EVENTS = {
    "events": [
        {"amount": 2, "event": "funnel", "percent_change": -0.35635745999582824},
        {"amount": 75, "event": "pages", "percent_change": -0.20209602478821687},
        {"amount": 2, "event": "projects", "percent_change": 1},
    ],
    "type": "unique",
}
TOP_PROPERTIES = {"ad version": {"count": 295}, "user type": {"count": 91}, "$duration_s": {}}
VALUES = ["cat", "dog", "rabbit", "gecko"]
COHORTS = [
    {
        "count": 150,
        "is_visible": 1,
        "description": "This cohort is visible.",
        "created": "2019-03-19 23:49:51",
        "project_id": 1,
        "id": 1000,
        "name": "Cohort One",
    },
    {
        "count": 25,
        "is_visible": 0,
        "description": "This cohort isn't visible.",
        "created": "2019-04-02 23:22:01",
        "project_id": 1,
        "id": 2000,
        "name": "Cohort Two",
    },
]
ENGAGE = {
    "page": 0,
    "page_size": 1000,
    "session_id": "1234567890-EXAMPL",
    "status": "ok",
    "total": 1,
    "results": [
        {
            "$distinct_id": "4",
            "$properties": {
                "$created": "2008-12-12T11:20:47",
                "$email": "example@mixpanel.com",
                "$first_name": "Example",
                "$last_name": "Name",
                "$last_seen": "2008-06-09T23:08:40",
            },
        }
    ],
}
JQL = [{"key": ["Signed up", "US"], "value": 147}, {"key": ["Signed up", "DE"], "value": 12}]
ANNOTATIONS = {
    "status": "ok",
    "results": [
        {
            "id": 1,
            "date": "2022-02-15 12:00:00",
            "description": "Something interesting happened!",
            "user": {"id": 1, "first_name": "John", "last_name": "Smith"},
            "tags": [{"id": 3, "name": "release"}],
        }
    ],
}
SCHEMAS = {
    "status": "ok",
    "results": [
        {
            "entityType": "event",
            "name": "Added To Cart",
            "schemaJson": {
                "description": "User added an item to the cart",
                "properties": {
                    "Item Price": {"type": "number", "description": "Price in USD"},
                    "Item Name": {"type": "string", "description": "Product name"},
                },
                "metadata": {
                    "com.mixpanel": {
                        "$source": "api",
                        "displayName": "Add to cart",
                        "tags": ["checkout"],
                        "hidden": False,
                        "dropped": False,
                        "contacts": ["owner@example.com"],
                        "teamContacts": [],
                    }
                },
            },
        },
        {
            "entityType": "profile",
            "name": "$user",
            "schemaJson": {
                "description": "",
                "properties": {"plan": {"type": ["string", "null"], "description": "Billing plan"}},
            },
        },
    ],
}


# --- export.openapi.yaml paths./export get responses.200 text/plain example (JSONL, verbatim)
EXPORT = (
    b'{"event":"Signed up","properties":{"time":1602611311,'
    b'"$insert_id":"hpuDqcvpltpCjBsebtxwadtEBDnFAdycabFb","mp_processing_time_ms":1602625711874}}\n'
    b'{"event":"Signed up","properties":{"time":1602787121,'
    b'"$insert_id":"jajcebutltmvhbbholfhxtCcycwnBjDtndha","mp_processing_time_ms":1602801521561}}\n'
)
# --- query.openapi.yaml paths./engage post responses.200 example, verbatim: ``$distinct_id``
# is the integer 4 there (the schema says integer; practice sends strings: README §8.3).
ENGAGE_SPEC = {**ENGAGE, "results": [{**ENGAGE["results"][0], "$distinct_id": 4}]}

# --- /insights variants real saved reports send [OBS] ---------------------------------------
# A bar/metric chart (not over time) broken down, with $overall beside the values: the shape
# of Mixpanel's own client tests (mixpanel/mixpanel-headless, QueryResult segmented "total"
# mode: {"Login [Total Events]": {"$overall": {"all": 500}, "US": {"all": 300}, ...}}).
INSIGHTS_BAR_OVERALL = {
    "computed_at": "2025-12-09T10:51:02.723593+00:00",
    "date_range": {
        "from_date": "2025-12-02T00:00:00-03:00",
        "to_date": "2025-12-09T07:51:02.544012-03:00",
    },
    "headers": ["$event", "mp_country_code"],
    "series": {
        "Login [Total Events]": {"$overall": {"all": 10}, "US": {"all": 6}, "DE": {"all": 4}}
    },
}
# $overall at each of two breakdown levels, a leaf beside the values (a user's export of a saved
# report, headers ["$metric", "$time", "email"]; values here are made up, no personal data).
INSIGHTS_NESTED_OVERALL = {
    "computed_at": "2025-12-09T10:51:02.723593+00:00",
    "date_range": {
        "from_date": "2025-12-02T00:00:00-03:00",
        "to_date": "2025-12-09T07:51:02.544012-03:00",
    },
    "headers": ["$metric", "$os", "plan"],
    "series": {
        "Uniques of Invited user": {
            "$overall": {"2025-12-02T00:00:00-03:00": 4, "2025-12-03T00:00:00-03:00": 3},
            "iOS": {
                "$overall": {"2025-12-02T00:00:00-03:00": 3, "2025-12-03T00:00:00-03:00": 1},
                "free": {"2025-12-02T00:00:00-03:00": 2, "2025-12-03T00:00:00-03:00": 1},
                "pro": {"2025-12-02T00:00:00-03:00": 1},
            },
            "Android": {
                "$overall": {"2025-12-02T00:00:00-03:00": 1, "2025-12-03T00:00:00-03:00": 2},
                "free": {"2025-12-02T00:00:00-03:00": 1, "2025-12-03T00:00:00-03:00": 2},
            },
        }
    },
}
# A funnels bookmark through /insights, "normalized" (Mixpanel's mixpanel-headless research
# notes and tests: {"count": {"1. sign up": {"all": 6030}, ...}, "step_conv_ratio": ...}).
INSIGHTS_FUNNEL = {
    "computed_at": "2025-12-25T04:45:53.842011+00:00",
    "date_range": {
        "from_date": "2025-11-25T00:00:00-08:00",
        "to_date": "2025-12-25T00:00:00-08:00",
    },
    "headers": ["$metric"],
    "series": {
        "Signup funnel": {
            "count": {"1. sign up": {"all": 6030}, "2. integrate SDK": {"all": 2844}},
            "step_conv_ratio": {"1. sign up": {"all": 1.0}, "2. integrate SDK": {"all": 0.47}},
            "overall_conv_ratio": {"1. sign up": {"all": 1.0}, "2. integrate SDK": {"all": 0.47}},
            "avg_time": {"2. integrate SDK": {"all": 18.0}},
            "avg_time_from_start": {"2. integrate SDK": {"all": 18.0}},
        }
    },
}
# A retention bookmark through /insights (same notes: headers ["$retention", "segment"], cohort
# leaves {"first", "counts", "rates"} under "$overall" and each segment).
INSIGHTS_RETENTION = {
    "computed_at": "2025-12-25T04:45:53.842011+00:00",
    "date_range": {
        "from_date": "2024-03-18T00:00:00-07:00",
        "to_date": "2024-04-01T00:00:00-07:00",
    },
    "headers": ["$retention", "segment"],
    "series": {
        "integrate SDK and then Any event": {
            "2024-03-18T00:00:00-07:00": {
                "$overall": {"first": 3123, "counts": [1317, 1296], "rates": [0.4217, 0.415]},
                "SMB": {"first": 1543, "counts": [700, 690], "rates": [0.4537, 0.4472]},
            }
        }
    },
}
INSIGHTS_BY_BOOKMARK = {
    "44004": INSIGHTS_BAR_OVERALL,
    "44005": INSIGHTS_NESTED_OVERALL,
    "44006": INSIGHTS_FUNNEL,
    "44007": INSIGHTS_RETENTION,
}
# /funnels with ``on`` where a value nests one more breakdown [INF: a funnel saved with its own
# breakdown; the flat form is FUNNEL_ON]. Each nested "$overall" is its parent value's total.
FUNNEL_ON_NESTED = {
    "meta": {"dates": ["2016-09-12"]},
    "data": {
        "2016-09-12": {
            "$overall": [_step(100, 1, "App Open", None), _step(40, 0.4, "Purchase", 60)],
            "Chrome": {
                "$overall": [_step(70, 1, "App Open", None), _step(35, 0.5, "Purchase", 50)],
                "US": [_step(50, 1, "App Open", None), _step(30, 0.6, "Purchase", 40)],
                "DE": [_step(20, 1, "App Open", None), _step(5, 0.25, "Purchase", 110)],
            },
            "Firefox": [_step(30, 1, "App Open", None), _step(5, 0.1667, "Purchase", 120)],
        }
    },
}


def _funnels(params: dict[str, str]) -> Any:
    if "on" not in params:
        return FUNNEL
    return FUNNEL_ON_NESTED if params.get("funnel_id") == "9070" else FUNNEL_ON


def _pick(when: str, with_it: Any, without: Any) -> Callable[[dict[str, str]], Any]:
    return lambda params: with_it if when in params else without


#: Path after /api/query/ or /api/app/projects/{id}/ -> body, or a function of the parameters.
ROUTES: dict[str, Any] = {
    "segmentation": _pick("on", SEGMENTATION_ON, SEGMENTATION),
    "segmentation/numeric": NUMERIC,
    "segmentation/sum": SUM,
    "segmentation/average": AVERAGE,
    "funnels": _funnels,
    "funnels/list": FUNNELS_LIST,
    "retention": RETENTION,
    "retention/addiction": _pick("event", ADDICTION_DOCS, ADDICTION_SPEC),
    "insights": lambda params: INSIGHTS_BY_BOOKMARK.get(params.get("bookmark_id", ""), INSIGHTS),
    "events/names": EVENT_NAMES,
    "events/top": TOP_EVENTS,
    "events/properties/top": TOP_PROPERTIES,
    "events/properties/values": VALUES,
    "cohorts/list": COHORTS,
    "engage": ENGAGE_SPEC,
    "jql": JQL,
    "annotations": ANNOTATIONS,
    "schemas": SCHEMAS,
}


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        form = self.rfile.read(length).decode() if length else ""
        params = dict(parse_qsl(url.query)) | dict(parse_qsl(form))
        path = url.path.split("/api/query/", 1)[-1].split("/api/2.0/", 1)[-1]
        if "/api/app/projects/" in url.path:
            path = url.path.split("/", 5)[-1]
        if path.strip("/") == "export":
            self._send(200, "text/plain", EXPORT)
            return
        body = ROUTES.get(path.strip("/"))
        status = 200 if body is not None else 404
        if callable(body):
            body = body(params)
        data = json.dumps(body if body is not None else {"error": "no such endpoint"}).encode()
        self._send(status, "application/json", data)

    def _send(self, status: int, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def documented_server() -> Iterator[str]:
    """Serve ``ROUTES`` on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
