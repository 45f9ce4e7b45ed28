"""Under a PII policy every event key is keyed (or made of stored values), and dedupe is exact.

The keys are checked against their formula, computed here from the stand-in's own rows: with
a salt, ``HMAC-SHA256(salt, md5(4-tuple))`` for rows with ``$insert_id``; without one (a policy
that only drops), ``md5(canonical content without the dropped properties)`` for rows without it,
identical copies numbered. The loads run through a stand-in that sends duplicates, resends
without ``$insert_id`` and a new JSON form on every request, and must still store exactly what
Mixpanel holds, and re-read an unchanged lookback without writing a row (the day fingerprints
are sums over the same keyed keys).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from ..harsh import utc

SALT = "keyed-keys-salt-7c2d9e41"
LAST = date(2024, 3, 10)


def _written(env: Any) -> int:
    import dlt

    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.settings.pipelines_dir))
    info = pipeline.last_trace.last_normalize_info
    return int(info.row_counts.get("events", 0)) if info else 0


def _load_twice(harsh: Any, monkeypatch: pytest.MonkeyPatch, policy: Any, salt: bool) -> Any:
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    if salt:
        monkeypatch.setenv("MP_PII_SALT", SALT)
    else:
        monkeypatch.delenv("MP_PII_SALT", raising=False)
    env = harsh(
        now=utc(2024, 3, 12, 12),
        start=date(2024, 3, 1),
        days=10,
        lag="realtime",
        missing_insert_id_rate=0.2,
        resend_rate=0.5,
        duplicate_rate=0.05,
        standin={"serializer": "varying"},
    )
    options = {"start_date": "2024-03-01", "pii": policy}
    env.run(options=options)
    assert env.export_counts() == env.export_truth(last=LAST)
    env.clock.advance(timedelta(hours=1))
    summary = env.run(options=options)  # re-reads the lookback: nothing changed
    assert summary.rows_new == 0 and summary.events_fetched > 0
    assert _written(env) == 0
    assert env.export_counts() == env.export_truth(last=LAST)
    return env


def _raw_rows(env: Any) -> list[dict[str, Any]]:
    return [e for day in env.project.days if day <= LAST for e in env.project.raw_events(day)]


def _tuple_md5(event: dict[str, Any]) -> str:
    p = event["properties"]
    parts = ["k", event["event"], p.get("distinct_id", ""), str(int(p["time"])), p["$insert_id"]]
    return hashlib.md5("\x1f".join(parts).encode()).hexdigest()


def _content_keys(env: Any, left_out: tuple[str, ...] = (), salt: str = "") -> set[str]:
    """The keys of rows without ``$insert_id``: per identical content, the first copy's key and
    ``md5(key#n)`` for the n-th."""
    copies: Counter[bytes] = Counter()
    for event in _raw_rows(env):
        props = dict(event["properties"])
        if props.get("$insert_id"):
            continue
        for name in ("mp_processing_time_ms", *left_out):
            props.pop(name, None)
        copies[orjson.dumps({**event, "properties": props}, option=orjson.OPT_SORT_KEYS)] += 1
    keys = set()
    for canonical, n in copies.items():
        key = hashlib.md5(b"c" + canonical).hexdigest()
        if salt:
            key = hmac.digest(salt.encode(), key.encode(), "sha256").hex()
        keys |= {key} | {hashlib.md5(f"{key}#{i}".encode()).hexdigest() for i in range(2, n + 1)}
    return keys


def _stored_keys(env: Any, with_insert_id: bool) -> set[str]:
    where = "insert_id > ''" if with_insert_id else "insert_id IS NULL"
    return {k for (k,) in env.rows(f"SELECT event_key FROM mixpanel.events WHERE {where}")}


def test_salted_policy_keys_every_key_with_hmac_and_dedupes_exactly(harsh, monkeypatch):
    env = _load_twice(harsh, monkeypatch, {"hash": ["distinct_id"], "drop": ["$city"]}, True)

    with_id = {
        hmac.digest(SALT.encode(), _tuple_md5(e).encode(), "sha256").hex()
        for e in _raw_rows(env)
        if e["properties"].get("$insert_id")
    }
    assert _stored_keys(env, with_insert_id=True) == with_id
    assert _stored_keys(env, with_insert_id=False) == _content_keys(env, salt=SALT)


def test_drop_without_salt_keys_content_on_stored_values_only(harsh, monkeypatch):
    env = _load_twice(harsh, monkeypatch, {"drop": ["$city", "$browser"]}, False)

    left_out = ("$city", "$browser")
    assert _stored_keys(env, with_insert_id=False) == _content_keys(env, left_out)
