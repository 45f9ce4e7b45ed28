"""``serializer="varying"``: each export request writes the same rows in another JSON form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import orjson
import pytest

from mixpanel_data.standin import ProjectSpec, StandIn
from mixpanel_data.standin.serialize import VARIANTS, encoder, shuffled

from .standin_helpers import lines_of, params

SPEC = ProjectSpec(seed=51, start=date(2024, 3, 8), days=2, events_per_day=500)
WINDOW = {"from_date": "2024-03-08", "to_date": "2024-03-09"}


@pytest.fixture(scope="module")
def varying() -> Iterator[StandIn]:
    with StandIn(SPEC, serializer="varying") as mp:
        yield mp


def _bodies(mp: StandIn, n: int, **extra: str) -> list[bytes]:
    mp.reset()
    with httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        return [
            c.get("/api/2.0/export", params=params(mp, **WINDOW, **extra)).content for _ in range(n)
        ]


def _parsed(body: bytes) -> list[dict]:
    return [orjson.loads(x) for x in lines_of(body)]


def _key_orders(body: bytes) -> list[list[str]]:
    return [list(row["properties"]) for row in _parsed(body)]


def test_two_requests_differ_in_bytes_not_in_rows(varying: StandIn) -> None:
    first, second = _bodies(varying, 2)
    assert first != second
    truth = varying.project.raw_events(date(2024, 3, 8)) + varying.project.raw_events(
        date(2024, 3, 9)
    )
    assert _parsed(first) == _parsed(second) == truth


def test_the_cycle_covers_order_escapes_and_spacing(varying: StandIn) -> None:
    bodies = _bodies(varying, VARIANTS + 1)
    assert len(set(bodies)) == VARIANTS and bodies[VARIANTS] == bodies[0]  # cycles
    assert all(_parsed(b) == _parsed(bodies[0]) for b in bodies)
    stable = bodies[0]
    assert "é".encode() in stable and b"\\u00e9" not in stable
    assert _key_orders(bodies[1]) != _key_orders(stable)  # keys shuffled
    assert b"\\u00e9" in bodies[2] and b"\\/" in bodies[2] and bodies[2].isascii()
    assert (
        b'": ' in bodies[3] and b", " in bodies[3] and _key_orders(bodies[3]) != _key_orders(stable)
    )


def test_nested_keys_move_too() -> None:
    row = {"event": "x", "properties": {f"k{i}": {f"n{j}": j for j in range(8)} for i in range(8)}}
    out = shuffled(row, 12345)
    assert out == row
    inner = [list(v) for v in out["properties"].values()]
    assert any(order != sorted(order) for order in inner)
    assert orjson.loads(encoder(3)(row)) == row


def test_filtered_exports_vary_too(varying: StandIn) -> None:
    a, b = _bodies(varying, 2, event='["Purchase", "Page View"]')
    assert a != b and _parsed(a) == _parsed(b) and _parsed(a)


def test_stable_is_the_default_and_byte_identical() -> None:
    with StandIn(SPEC) as mp:
        assert mp.state.options.serializer == "stable"
        first, second = _bodies(mp, 2)
    assert first == second


def test_unknown_serializer_is_refused() -> None:
    with pytest.raises(ValueError):
        StandIn(SPEC, serializer="random")
