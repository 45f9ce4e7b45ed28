"""Generated data: determinism, quirks present, legacy timezone shifting, late data, speed."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import orjson
import pytest

from mixpanel_data.standin import Project, ProjectSpec, dedupe_key
from mixpanel_data.standin.generator import generate_day
from mixpanel_data.standin.tz import local_date

SPEC = ProjectSpec(seed=3, start=date(2024, 3, 8), days=4, events_per_day=2_000, profiles=300)
INSERT_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


def _dump(events: list[dict]) -> bytes:
    return b"\n".join(map(orjson.dumps, events))


def test_same_seed_same_bytes_and_days_are_independent() -> None:
    a, b = Project(SPEC), Project(SPEC)
    last = SPEC.end
    assert _dump(a.raw_events(last)) == _dump(b.raw_events(last))  # b never generated day 0
    other = Project(SPEC.with_(seed=4))
    assert _dump(other.raw_events(last)) != _dump(a.raw_events(last))


def test_counts_vary_around_the_mean_and_stop_outside_the_range() -> None:
    project = Project(SPEC)
    base = [len(generate_day(SPEC, d).events) for d in project.days]
    assert all(0.8 * 2_000 < n < 1.25 * 2_000 for n in base)
    assert len(set(base)) > 1
    assert project.count(SPEC.start - timedelta(days=1)) == 0
    assert project.count(SPEC.end + timedelta(days=1)) == 0


def test_duplicates_share_the_four_tuple_and_dedupe_keeps_the_latest() -> None:
    project = Project(SPEC)
    day = SPEC.start
    raw, unique = project.raw_events(day), project.unique_events(day)
    assert 0 < len(raw) - len(unique) < 0.05 * len(raw)
    by_key: dict[object, list[int]] = {}
    for ev in raw:
        by_key.setdefault(dedupe_key(ev), []).append(ev["properties"]["mp_processing_time_ms"])
    kept = {dedupe_key(ev): ev["properties"]["mp_processing_time_ms"] for ev in unique}
    assert len(kept) == len(unique)
    for key, times in by_key.items():
        assert kept[key] == max(times)  # the copy Mixpanel's queries surface
    imported = [ev for ev in unique if ev["properties"].get("$import")]
    assert imported  # later copies may differ in other properties; the later one is kept


def test_rows_without_insert_id_are_never_deduplicated_resends_included() -> None:
    project = Project(SPEC.with_(missing_insert_id_rate=0.2))
    raw, unique = project.raw_events(SPEC.start), project.unique_events(SPEC.start)
    bare = [ev for ev in raw if "$insert_id" not in ev["properties"]]
    assert sum("$insert_id" not in ev["properties"] for ev in unique) == len(bare)
    content = [
        orjson.dumps({**ev, "properties": {**ev["properties"], "mp_processing_time_ms": 0}})
        for ev in bare
    ]
    assert len(set(content)) < len(content)  # identical resends, both counted


def test_quirks_are_present() -> None:
    raw = Project(SPEC).raw_events(SPEC.start)
    props = [ev["properties"] for ev in raw]
    assert any("$insert_id" not in p for p in props)
    assert any("distinct_id" not in p for p in props)
    assert any(ev["event"] == "Café ☕ ordered" for ev in raw)
    text = _dump(raw).decode()
    assert "\u2028" in text and "\\r" in text and "東京" in text
    kinds = {type(v) for p in props for v in p.values()}
    assert {str, int, float, bool, list, dict, type(None)} <= kinds
    for p in props:
        assert p["mp_processing_time_ms"] > p["time"] * 1000
        if "$insert_id" in p:
            assert INSERT_ID.match(p["$insert_id"])
        if "distinct_id" in p:
            assert isinstance(p["distinct_id"], str)


def test_utc_project_times_fall_inside_the_utc_day() -> None:
    project = Project(SPEC)
    for day in project.days:
        start, end = project.day_span_utc(day)
        assert end - start == 86_400
        assert all(start <= ev["properties"]["time"] < end for ev in project.raw_events(day))
        assert all(
            project.true_utc(ev) == ev["properties"]["time"] for ev in project.raw_events(day)[:50]
        )


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2024, 3, 10), 23), (date(2024, 11, 3), 25), (date(2024, 6, 1), 24)],
    ids=["spring-forward", "fall-back", "plain-day"],
)
def test_legacy_project_uses_local_days_and_shifted_times(day: date, hours: int) -> None:
    spec = ProjectSpec(seed=5, start=day, days=1, events_per_day=3_000, legacy_timezone=True)
    project = Project(spec)
    start, end = project.day_span_utc(day)
    assert end - start == hours * 3600
    local_midnight = (day - date(1970, 1, 1)).days * 86_400
    for ev in project.raw_events(day):
        shifted = ev["properties"]["time"]
        assert local_midnight <= shifted < local_midnight + 86_400  # local wall clock as epoch
        utc = project.true_utc(ev)
        assert start <= utc < end
        assert local_date(utc, spec.timezone) == day
        assert shifted - utc in (-7 * 3600, -8 * 3600)
    clock = {ev["properties"]["time"] % 86_400 for ev in project.raw_events(day)}
    if hours == 23:
        assert not any(2 * 3600 <= t < 3 * 3600 for t in clock)  # the gap
        assert {2 * 3600 - 1, 3 * 3600} <= clock  # 01:59:59 and 03:00:00
    if hours == 25:
        at_0130 = [
            ev for ev in project.raw_events(day) if ev["properties"]["time"] % 86_400 == 5_400
        ]
        assert len({project.true_utc(ev) for ev in at_0130}) == 2  # 01:30 happens twice


def test_late_events_extend_a_past_day() -> None:
    project = Project(SPEC)
    day = SPEC.start
    before = project.count(day)
    added = project.add_late_events(day, 25)
    assert len(added) == 25 and project.count(day) == before + 25
    span = project.day_span_utc(day)
    for ev in added:
        assert span[0] <= ev["properties"]["time"] < span[1]
        assert ev["properties"]["mp_processing_time_ms"] > span[1] * 1000


def test_profiles_are_stable_and_touchable() -> None:
    a, b = Project(SPEC), Project(SPEC)
    assert a.profiles() == b.profiles()
    first = a.profiles()[0]
    assert isinstance(first["$distinct_id"], str)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", first["$properties"]["$last_seen"])
    touched = a.touch_profiles(5)
    assert len(touched) == 5
    seen = {p["$distinct_id"]: p["$properties"]["$last_seen"] for p in a.profiles()}
    assert all(seen[t] == f"{a.today.isoformat()}T12:00:00" for t in touched)


def test_generation_produces_a_large_day() -> None:
    """A 60k-event day generates whole; the rate is printed, not asserted (benchmarks measure)."""
    spec = ProjectSpec(seed=9, events_per_day=60_000)
    began = time.perf_counter()
    batch = generate_day(spec, spec.start)
    body = b"\n".join(map(orjson.dumps, batch.events))
    rate = len(batch.events) / (time.perf_counter() - began)
    print(f"generated {len(batch.events)} events ({len(body) / 1e6:.1f} MB) at {rate:,.0f}/s")
    assert len(batch.events) >= 51_000  # events_per_day +-15%
    assert body.count(b"\n") == len(batch.events) - 1
