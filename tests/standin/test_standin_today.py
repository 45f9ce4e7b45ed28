""" "Today" is the project zone's date at the clock; ``/events`` counts exactly what export has."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from mixpanel_data.standin import FakeClock, ProjectSpec, StandIn
from mixpanel_data.standin.tz import local_date

from .standin_helpers import params

LA = ProjectSpec(
    seed=41,
    start=date(2024, 3, 7),
    days=4,
    events_per_day=400,
    profiles=60,
    timezone="America/Los_Angeles",
)
AT_0200_UTC = datetime(2024, 3, 10, 2, tzinfo=UTC)  # 18:00 on 2024-03-09 in Los Angeles
JQL = (
    'function main() { return Events({from_date: "2024-03-08", to_date: "%s"})'
    ".reduce(mixpanel.reducer.count()); }"
)

ENDPOINTS = [
    ("export", {}),
    ("segmentation", {"event": "Login"}),
    ("segmentation/sum", {"event": "Purchase", "on": 'properties["amount"]'}),
    ("funnels", {"funnel_id": 7509}),
    ("retention", {"born_event": "Sign Up"}),
    ("retention/addiction", {}),
    ("events", {"event": '["Login"]'}),
    ("events/properties", {"event": "Purchase", "name": "currency"}),
    ("stream/query", {"distinct_ids": '["u-3"]'}),
    ("jql", {}),
]


def _call(
    c: httpx.Client, mp: StandIn, endpoint: str, to_date: str, extra: dict[str, str]
) -> httpx.Response:
    if endpoint == "jql":
        return c.post("/api/query/jql", params=params(mp), data={"script": JQL % to_date})
    path = "/api/2.0/export" if endpoint == "export" else f"/api/query/{endpoint}"
    return c.get(path, params=params(mp, from_date="2024-03-08", to_date=to_date, **extra))


@pytest.fixture(scope="module")
def la() -> Iterator[StandIn]:
    with StandIn(LA, clock=FakeClock(AT_0200_UTC)) as mp:
        yield mp


@pytest.mark.parametrize(("endpoint", "extra"), ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_the_utc_date_is_tomorrow_in_los_angeles(
    la: StandIn, endpoint: str, extra: dict[str, str]
) -> None:
    assert la.project.today == date(2024, 3, 9)
    with httpx.Client(base_url=la.base_url, auth=la.auth) as c:
        refused = _call(c, la, endpoint, "2024-03-10", extra)
        assert refused.status_code == 400
        assert "to_date cannot be later than today" in refused.json()["error"]
        assert _call(c, la, endpoint, "2024-03-09", extra).status_code == 200


def test_recent_endpoints_and_intervals_end_on_the_local_today(la: StandIn) -> None:
    with httpx.Client(base_url=la.base_url, auth=la.auth) as c:
        series = c.get(
            "/api/query/events", params=params(la, event='["Login"]', unit="day", interval=2)
        ).json()["data"]["series"]
        assert series == ["2024-03-08", "2024-03-09"]
        top = c.get("/api/query/events/top", params=params(la)).json()["events"]
    today_rows = [
        ev
        for ev, utc in la.project.iter_unique(date(2024, 3, 9), date(2024, 3, 10))
        if local_date(utc, LA.timezone) == date(2024, 3, 9)
    ]
    assert sum(e["amount"] for e in top) == len(today_rows)


def test_east_of_utc_today_is_ahead() -> None:
    spec = LA.with_(timezone="Asia/Tokyo")
    clock = FakeClock(datetime(2024, 3, 9, 20, tzinfo=UTC))  # 05:00 on 03-10 in Tokyo
    with StandIn(spec, clock=clock) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        resp = c.get(
            "/api/2.0/export", params=params(mp, from_date="2024-03-10", to_date="2024-03-10")
        )
        assert resp.status_code == 200 and resp.content == b""  # no UTC 03-10 row yet
        assert (
            c.get(
                "/api/2.0/export", params=params(mp, from_date="2024-03-11", to_date="2024-03-11")
            ).status_code
            == 400
        )


def _truth(mp: StandIn, first: date, last: date, kind: str) -> dict[str, dict[str, int]]:
    """Per event and project-local day, from ``unique_events`` of the export days around."""
    tz = mp.spec.timezone
    general: dict[str, Counter[str]] = {}
    users: dict[str, dict[str, set[str]]] = {}
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        for ev in mp.project.unique_events(day):
            local = local_date(mp.project.true_utc(ev), tz)
            if not first <= local <= last:
                continue
            general.setdefault(ev["event"], Counter())[local.isoformat()] += 1
            uid = ev["properties"].get("distinct_id")
            if uid is not None:
                users.setdefault(ev["event"], {}).setdefault(local.isoformat(), set()).add(uid)
        day += timedelta(days=1)
    if kind == "unique":
        return {name: {d: len(ids) for d, ids in per.items()} for name, per in users.items()}
    return {name: dict(per) for name, per in general.items()}


@pytest.mark.parametrize("legacy", [False, True], ids=["utc-export", "legacy"])
@pytest.mark.parametrize(
    ("tz", "now"),
    [
        ("America/Los_Angeles", datetime(2024, 3, 10, 16, tzinfo=UTC)),
        ("Asia/Kolkata", datetime(2024, 3, 10, 4, tzinfo=UTC)),
    ],
    ids=["west", "east"],
)
def test_events_counts_equal_processed_unique_rows(tz: str, now: datetime, legacy: bool) -> None:
    spec = LA.with_(timezone=tz, legacy_timezone=legacy, events_per_day=600)
    names = ["Login", "Page View", "Purchase", "Café ☕ ordered", "Sign Up"]
    with (
        StandIn(spec, clock=FakeClock(now)) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        today = mp.project.today
        for kind in ("general", "unique"):
            body = c.get(
                "/api/query/events",
                params=params(
                    mp,
                    event=json.dumps(names),
                    type=kind,
                    unit="day",
                    from_date="2024-03-07",
                    to_date=today.isoformat(),
                ),
            ).json()
            truth = _truth(mp, date(2024, 3, 7), today, kind)
            for name in names:
                assert body["data"]["values"][name] == truth.get(name, {}), (kind, name)
        full = sum(len(mp.project.full_batch(d).events) for d in mp.project.days)
        assert sum(mp.project.count(d) for d in mp.project.days) < full  # some not processed
