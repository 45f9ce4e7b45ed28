"""Processing-lag profiles (shares measured on a 20k-row day) and long sparse ranges."""

from __future__ import annotations

import time
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from mixpanel_data.standin import Project, ProjectSpec, StandIn, dedupe_key
from mixpanel_data.standin.generator import generate_day

from .standin_helpers import lines_of, params

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
BASE = ProjectSpec(seed=31, start=date(2024, 3, 8), days=1, events_per_day=20_000)


def _shares(spec: ProjectSpec) -> dict[str, float]:
    batch = generate_day(spec, spec.start)
    lags = [p - u for p, u in zip(batch.proc_ms, batch.utc_ms, strict=True)]
    bands = {
        "<10m": (0, 10 * MIN),
        "10m-3h": (10 * MIN, 3 * HOUR),
        "3-14h": (3 * HOUR, 14 * HOUR),
        "14h-1d": (14 * HOUR, DAY),
        "1-4d": (DAY, 4 * DAY + HOUR),
        "4-6d": (4 * DAY + HOUR, 6 * DAY),
        "6-30d": (6 * DAY, 30 * DAY + HOUR),
    }
    assert all(0 < lag < 30 * DAY + HOUR for lag in lags)
    return {k: sum(lo <= x < hi for x in lags) / len(lags) for k, (lo, hi) in bands.items()}


def test_mixed_is_the_default_and_mostly_hours_late() -> None:
    assert ProjectSpec().lag == "mixed"
    s = _shares(BASE)
    assert 0.50 <= s["3-14h"] <= 0.65
    assert 0.30 <= s["<10m"] <= 0.40
    assert 0.04 <= s["1-4d"] <= 0.08
    assert 0.003 <= s["10m-3h"] <= 0.05  # a few within the first hours
    assert s["6-30d"] == 0


def test_realtime_keeps_the_original_distribution() -> None:
    s = _shares(BASE.with_(lag="realtime"))
    assert s["<10m"] + s["10m-3h"] == 1 and 0.45 <= s["<10m"] <= 0.60


def test_realtime_rows_are_the_pre_lag_generators_bytes() -> None:
    """CRC of the same day from the generator before lag profiles existed (commit e6d65c4).

    The original rows only: duplicates carry ``"$import"`` and rows without ``$insert_id``
    are re-sent since the stand-in learnt Mixpanel's dedupe rules; neither existed then."""
    spec = BASE.with_(lag="realtime", events_per_day=2_000, resend_rate=0.0)
    events = generate_day(spec, spec.start).events
    originals = [e if not e["properties"].get("$import") else _before_import(e) for e in events]
    body = b"\n".join(map(orjson.dumps, originals))
    assert (zlib.crc32(body), len(body)) == (1775500033, 976340)


def _before_import(event: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in event["properties"].items() if k != "$import"}
    return {"event": event["event"], "properties": props}


def test_batch_has_nothing_real_time() -> None:
    s = _shares(BASE.with_(lag="batch"))
    assert s["<10m"] == 0 and s["10m-3h"] == 0
    assert 0.93 <= s["3-14h"] <= 0.98 and 0.02 <= s["1-4d"] <= 0.06


@pytest.mark.parametrize("lag", ["realtime", "mixed", "batch"])
def test_very_late_rate_lands_beyond_a_five_day_lookback(lag: str) -> None:
    s = _shares(BASE.with_(lag=lag, very_late_rate=0.1))
    assert 0.08 <= s["6-30d"] <= 0.12


def test_duplicates_are_processed_after_their_original() -> None:
    batch = generate_day(BASE, BASE.start)
    first: dict[object, int] = {}
    dupes = 0
    for ev in batch.events:
        key, proc = dedupe_key(ev), ev["properties"]["mp_processing_time_ms"]
        if key in first:
            dupes += 1
            assert proc > first[key]
        else:
            first[key] = proc
    assert dupes > 100


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Asia/Tokyo"])
def test_legacy_lag_counts_from_the_true_utc_time(tz: str) -> None:
    spec = BASE.with_(legacy_timezone=True, timezone=tz, lag="batch", events_per_day=2_000)
    project = Project(spec)
    for ev in project.raw_events(spec.start):
        lag = ev["properties"]["mp_processing_time_ms"] - project.true_utc(ev) * 1000
        assert 3 * HOUR <= lag < 4 * DAY + 2 * HOUR
    shifted = project.raw_events(spec.start)[0]["properties"]["time"]
    assert shifted != project.true_utc(project.raw_events(spec.start)[0])


def test_ground_truth_equals_export_mid_processing() -> None:
    """Half-processed days: every ground-truth view is cut at the same instant as export."""
    spec = ProjectSpec(seed=32, start=date(2024, 3, 8), days=3, events_per_day=800)
    clock_now = datetime(2024, 3, 10, 9, tzinfo=UTC)
    with (
        StandIn(spec.with_(now=clock_now)) as mp,
        httpx.Client(base_url=mp.base_url, auth=mp.auth) as c,
    ):
        resp = c.get(
            "/api/2.0/export", params=params(mp, from_date="2024-03-08", to_date="2024-03-09")
        )
        rows = [orjson.loads(x) for x in lines_of(resp.content)]
        days = [date(2024, 3, 8), date(2024, 3, 9)]
        assert rows == [e for d in days for e in mp.project.raw_events(d)]
        assert len(rows) == sum(mp.project.count(d) for d in days)
        unique = sum(mp.project.unique_count(d) for d in days)
        assert unique == sum(1 for _ in mp.project.iter_unique(days[0], days[-1]))
        assert sum(len(mp.project.full_batch(d).events) for d in days) > len(rows)


def test_sparse_ten_year_range_exports_fast_and_exact() -> None:
    spec = ProjectSpec(
        seed=33,
        start=date(2014, 1, 1),
        days=3652,
        events_per_day=300,
        active_day_rate=0.02,
        lag="realtime",
        now=datetime(2024, 6, 1, tzinfo=UTC),
    )
    began = time.perf_counter()
    with StandIn(spec) as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth, timeout=60) as c:
        resp = c.get(
            "/api/2.0/export", params=params(mp, from_date="2014-01-01", to_date="2023-12-31")
        )
        took = time.perf_counter() - began
        active = mp.project.days
        assert 40 <= len(active) <= 110  # ~2% of 3652 days
        rows = [orjson.loads(x) for x in lines_of(resp.content)]
        assert rows == [e for d in active for e in mp.project.raw_events(d)]
        inactive = next(
            d
            for d in (date(2016, 1, 1) + timedelta(days=i) for i in range(400))
            if d not in set(active)
        )
        empty = c.get(
            "/api/2.0/export",
            params=params(mp, from_date=inactive.isoformat(), to_date=inactive.isoformat()),
        )
        assert empty.status_code == 200 and empty.content == b""
        seg = c.get(
            "/api/query/segmentation",
            params=params(
                mp, event="Login", from_date="2014-01-01", to_date="2023-12-31", unit="month"
            ),
        )
        assert seg.status_code == 200 and len(seg.json()["data"]["series"]) == 120
    assert took < 5, f"a sparse 10-year export took {took:.1f}s"
    assert len(rows) > 10_000
