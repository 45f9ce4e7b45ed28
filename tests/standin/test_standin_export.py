"""Export over real HTTP: content equals the ground truth, gzip threshold, filters, 400s."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

import httpx
import orjson
import pytest

from mixpanel_data.standin import ProjectSpec, StandIn

from .standin_helpers import lines_of, params

EXPORT = "/api/2.0/export"


def _expected(mp: StandIn, first: date, last: date) -> list[dict]:
    out: list[dict] = []
    day = first
    while day <= last:
        out.extend(mp.project.raw_events(day))
        day += timedelta(days=1)
    return out


def _export(client: httpx.Client, mp: StandIn, **extra: object) -> httpx.Response:
    query = params(mp, from_date=mp.spec.start.isoformat(), to_date=mp.spec.end.isoformat())
    query.update(extra)
    return client.get(EXPORT, params=query)


def test_full_export_equals_ground_truth_gzipped(client: httpx.Client, mp: StandIn) -> None:
    resp = _export(client, mp)
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["content-type"].startswith("text/plain")
    rows = [orjson.loads(line) for line in lines_of(resp.content)]
    assert rows == _expected(mp, mp.spec.start, mp.spec.end)


def test_identity_encoding_and_trailing_slash(client: httpx.Client, mp: StandIn) -> None:
    day = mp.spec.start.isoformat()
    resp = client.get(
        EXPORT + "/",
        params=params(mp, from_date=day, to_date=day),
        headers={"Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in resp.headers
    assert int(resp.headers["content-length"]) == len(resp.content)
    assert [orjson.loads(x) for x in lines_of(resp.content)] == mp.project.raw_events(mp.spec.start)


def test_small_body_is_not_gzipped(client: httpx.Client, mp: StandIn) -> None:
    resp = _export(client, mp, limit=2)
    assert len(resp.content) <= 1400
    assert "content-encoding" not in resp.headers
    assert len(lines_of(resp.content)) == 2


def test_raw_wire_is_one_gzip_member(mp: StandIn) -> None:
    url = f"{mp.base_url}{EXPORT}"
    query = params(mp, from_date=mp.spec.start.isoformat(), to_date=mp.spec.end.isoformat())
    with httpx.stream("GET", url, params=query, auth=mp.auth) as resp:
        wire = b"".join(resp.iter_raw())
    assert len(wire) == int(resp.headers["content-length"])
    plain = gzip.decompress(wire)
    assert len(lines_of(plain)) == len(_expected(mp, mp.spec.start, mp.spec.end))


def test_no_data_gives_an_empty_body(client: httpx.Client, mp: StandIn) -> None:
    before = (mp.spec.start - timedelta(days=30)).isoformat()
    resp = client.get(EXPORT, params=params(mp, from_date=before, to_date=before))
    assert resp.status_code == 200 and resp.content == b""


def test_event_filter_where_and_time_in_ms(client: httpx.Client, mp: StandIn) -> None:
    resp = _export(
        client,
        mp,
        event='["Purchase", "Café ☕ ordered"]',
        where='properties["mp_country_code"] == "US" and defined(properties["plan"])',
        time_in_ms="true",
    )
    rows = [orjson.loads(x) for x in lines_of(resp.content)]
    want = [
        e
        for e in _expected(mp, mp.spec.start, mp.spec.end)
        if e["event"] in ("Purchase", "Café ☕ ordered")
        and e["properties"]["mp_country_code"] == "US"
    ]
    assert [r["properties"]["$insert_id"] for r in rows if "$insert_id" in r["properties"]] == [
        e["properties"]["$insert_id"] for e in want if "$insert_id" in e["properties"]
    ]
    for got, exp in zip(rows, want, strict=True):
        assert got["properties"]["time"] // 1000 == exp["properties"]["time"]


def test_where_on_time_with_datetime(client: httpx.Client, mp: StandIn) -> None:
    cut = mp.spec.start + timedelta(days=1)
    resp = _export(client, mp, where=f'properties["$time"] >= datetime("{cut}T06:00:00")')
    times = [orjson.loads(x)["properties"]["time"] for x in lines_of(resp.content)]
    boundary = (cut - date(1970, 1, 1)).days * 86_400 + 6 * 3600
    assert times and min(times) >= boundary


def test_limit_caps_rows(client: httpx.Client, mp: StandIn) -> None:
    assert len(lines_of(_export(client, mp, limit=7).content)) == 7


def test_post_form_body_is_accepted(client: httpx.Client, mp: StandIn) -> None:
    day = mp.spec.end.isoformat()
    resp = client.post(
        EXPORT,
        params={"project_id": mp.project_id},
        data={"from_date": day, "to_date": day, "limit": "3"},
    )
    assert resp.status_code == 200 and len(lines_of(resp.content)) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from_date": "2024/03/08", "to_date": "2024-03-08"}, "YYYY-MM-DD"),
        ({"from_date": "2024-03-09", "to_date": "2024-03-08"}, "from_date"),
        (
            {"from_date": "2024-03-08", "to_date": "2024-03-12"},
            "to_date cannot be later than today",
        ),
        ({"to_date": "2024-03-08"}, "from_date is a required parameter"),
        ({"from_date": "2024-03-08", "to_date": "2024-03-08", "where": "properties[1]"}, "where"),
        ({"from_date": "2024-03-08", "to_date": "2024-03-08", "limit": "0"}, "limit"),
        ({"from_date": "2024-03-08", "to_date": "2024-03-08", "event": "Purchase"}, "event"),
    ],
    ids=["bad-format", "reversed", "future", "missing", "bad-where", "limit-0", "event-not-json"],
)
def test_bad_requests_are_400(
    client: httpx.Client, mp: StandIn, query: dict[str, str], message: str
) -> None:
    resp = client.get(EXPORT, params=params(mp, **query))
    assert resp.status_code == 400
    body = resp.json()
    assert body["request"].startswith(EXPORT) and message in body["error"]


def test_today_is_movable(client: httpx.Client, mp: StandIn) -> None:
    mp.set_today(mp.spec.start)
    assert _export(client, mp).status_code == 400
    mp.set_today(mp.spec.end)
    assert _export(client, mp).status_code == 200


def test_late_events_appear_on_re_export(client: httpx.Client, mp: StandIn) -> None:
    day = mp.spec.start
    query = params(mp, from_date=day.isoformat(), to_date=day.isoformat())
    first = lines_of(client.get(EXPORT, params=query).content)
    mp.add_late_events(day, 12)
    second = lines_of(client.get(EXPORT, params=query).content)
    assert len(second) == len(first) + 12
    assert second[: len(first)] == first


def test_legacy_project_exports_local_days() -> None:
    spec = ProjectSpec(
        seed=2, start=date(2024, 11, 2), days=3, events_per_day=400, legacy_timezone=True
    )
    with StandIn(spec) as mp, httpx.Client(base_url=mp.base_url, auth=mp.legacy_auth) as c:
        resp = c.get(EXPORT, params={"from_date": "2024-11-03", "to_date": "2024-11-03"})
        rows = [orjson.loads(x) for x in lines_of(resp.content)]
    assert rows == mp.project.raw_events(date(2024, 11, 3))
    midnight = (date(2024, 11, 3) - date(1970, 1, 1)).days * 86_400
    assert all(midnight <= r["properties"]["time"] < midnight + 86_400 for r in rows)
    start, end = mp.project.day_span_utc(date(2024, 11, 3))
    assert end - start == 25 * 3600


@pytest.mark.parametrize("encoding", ["gzip", "identity"], ids=["gzip", "identity"])
def test_large_filtered_export_streams_chunked(encoding: str) -> None:
    spec = ProjectSpec(seed=8, start=date(2024, 5, 1), days=1, events_per_day=5_000)
    with StandIn(spec) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        resp = c.get(
            EXPORT,
            headers={"Accept-Encoding": encoding},
            params=params(
                mp,
                from_date="2024-05-01",
                to_date="2024-05-01",
                where='defined(properties["mp_lib"])',
            ),
        )
        expected = mp.project.raw_events(date(2024, 5, 1))
    assert resp.headers["transfer-encoding"] == "chunked"
    assert resp.headers.get("content-encoding") == (None if encoding == "identity" else "gzip")
    assert [orjson.loads(x) for x in lines_of(resp.content)] == expected


@pytest.mark.parametrize("cache_memory", [0, 256 << 20], ids=["spilled-to-disk", "in-memory"])
def test_prepared_bodies_equal_ground_truth(cache_memory: int) -> None:
    spec = ProjectSpec(seed=12, start=date(2024, 6, 1), days=3, events_per_day=800)
    mp = StandIn(spec, cache_memory=cache_memory)
    assert mp.prepare(workers=2) == sum(mp.project.count(d) for d in mp.project.days)
    with mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        resp = c.get(EXPORT, params=params(mp, from_date="2024-06-01", to_date="2024-06-03"))
        on_disk = [s.path is not None for cuts in mp.state.cache._entries.values() for s in cuts]
    assert all(on_disk) is (cache_memory == 0)
    assert [orjson.loads(x) for x in lines_of(resp.content)] == _expected(mp, spec.start, spec.end)
