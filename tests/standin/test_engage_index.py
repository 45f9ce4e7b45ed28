"""Engage at scale: the loader's ``$last_seen`` ranges are read from an index, same answers.

The profiles loader opens one session per ``$last_seen`` range (40 at 1M profiles); each used to
copy and filter every profile. The indexed path must give byte-for-byte the general path's
answer (the same ranges written with other spacing take the general path) and must not copy
the project's profiles per session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from mixpanel_data.standin import StandIn

from .standin_helpers import params

ENGAGE = "/api/2.0/engage"
STAMP = 'properties["$last_seen"]'


def _all(client: httpx.Client, mp: StandIn, where: str | None) -> list[dict[str, Any]]:
    form: dict[str, str] = {"page_size": "7"}
    if where is not None:
        form["where"] = where
    first = client.post(ENGAGE, params=params(mp), data=form).json()
    out = list(first["results"])
    page = 0
    while len(out) < first["total"]:
        page += 1
        form.update(page=str(page), session_id=first["session_id"])
        out += client.post(ENGAGE, params=params(mp), data=form).json()["results"]
    assert len(out) == first["total"]
    return out


def _ranges(mp: StandIn) -> list[tuple[str, str | None]]:
    stamps = sorted(p["$properties"]["$last_seen"] for p in mp.project.profiles())
    low, mid, high = stamps[10], stamps[len(stamps) // 2], stamps[-10]
    return [
        (f'{STAMP} >= "{low}"', f'{STAMP}  >=  "{low}"'),
        (
            f'{STAMP} >= "{low}" and {STAMP} < "{high}"',
            f'({STAMP} >= "{low}") and ({STAMP} < "{high}")',
        ),
        (
            f'(not defined({STAMP}) or {STAMP} < "{mid}")',
            f'not defined({STAMP}) or {STAMP}  < "{mid}"',
        ),
        (f'{STAMP} < "{mid}"', f'{STAMP}  <  "{mid}"'),
        (f'{STAMP} >= "{high}" and (not defined({STAMP}) or {STAMP} < "{low}")', None),
    ]


def test_indexed_ranges_answer_like_the_general_path(client: httpx.Client, mp: StandIn) -> None:
    mp.touch_profiles(9)  # updates applied: the snapshot follows them
    for fast, general in _ranges(mp):
        got = _all(client, mp, fast)
        want = _all(client, mp, general) if general is not None else []
        assert got == want, fast
    assert _all(client, mp, None) == mp.project.profiles()


def test_a_touch_is_seen_by_the_next_session(client: httpx.Client, mp: StandIn) -> None:
    latest = max(p["$properties"]["$last_seen"] for p in mp.project.profiles())
    after = f'{STAMP} >= "{latest}"'
    before = len(_all(client, mp, after))
    touched = mp.touch_profiles(3, when=datetime.fromisoformat(latest) + timedelta(days=1))
    bumped = {p["$distinct_id"] for p in _all(client, mp, after)}
    assert before >= 1 and set(touched) <= bumped and len(bumped) == before + len(touched)


def test_range_sessions_do_not_copy_every_profile_each(
    client: httpx.Client, mp: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranges = [fast for fast, _ in _ranges(mp)]
    mp.touch_profiles(1)  # a fresh version: the snapshot is built once below
    calls = []
    original = mp.project.profiles
    monkeypatch.setattr(mp.project, "profiles", lambda: calls.append(1) or original())
    for where in ranges:
        client.post(ENGAGE, params=params(mp), data={"where": where}).raise_for_status()
    assert len(calls) == 1
