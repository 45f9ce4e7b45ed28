"""What a policy may name now that keys follow it: timestamps stay, ``$insert_id`` is a column.

``event_time``/``event_date`` and ``mp_processing_time_ms`` are columns built from ``time`` and
``mp_processing_time_ms``, so naming those would promise a protection the table cannot give.
``$insert_id`` has its own column (``insert_id``), which follows the policy like ``distinct_id``
does, and is part of each event's key, so dropping or masking it needs the salt to key it.
The policy's fingerprint is keyed, order-blind, and changes with the salt.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from mixpanel_data.exceptions import ConfigError, InvalidArgumentError
from mixpanel_data.sources.mixpanel.pii import hash_value, pii_policy
from mixpanel_data.sources.mixpanel.pii_state import check_family, policy_fingerprint

SALT = "rules-salt-0123456789abcdef"


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .dlt/secrets.toml of the repo
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.setenv("MP_PII_SALT", SALT)


@pytest.mark.parametrize(
    "config",
    [{"drop": ["time"]}, {"mask": ["time"]}, {"hash": ["mp_processing_time_ms"]}],
    ids=["drop-time", "mask-time", "hash-processing-time"],
)
def test_timestamps_cannot_be_named(config):
    with pytest.raises(ConfigError, match=r"kept as a column .*: remove it from pii"):
        pii_policy(config)


@pytest.mark.parametrize("action", ["drop", "mask"])
def test_dropping_or_masking_insert_id_needs_the_salt(monkeypatch, action):
    monkeypatch.delenv("MP_PII_SALT")
    with pytest.raises(
        ConfigError, match=r"names \$insert_id, part of each event's key.*MP_PII_SALT"
    ):
        pii_policy({action: ["$insert_id"]})
    assert pii_policy({action: ["$city"]}) is not None  # other names need no salt


@pytest.mark.parametrize(
    ("action", "stored"),
    [("hash", hash_value(SALT, "iid-1")), ("drop", None), ("mask", "***")],
    ids=["hash", "drop", "mask"],
)
def test_the_insert_id_column_follows_its_property(action, stored):
    table = pa.table(
        {
            "event_key": ["k"],
            "insert_id": ["iid-1"],
            "properties": ['{"$insert_id": "iid-1", "plan": "pro"}'],
        }
    )
    out = pii_policy({action: ["$insert_id"]}).apply(table)
    assert out.column("insert_id").to_pylist() == [stored]
    assert "iid-1" not in out.column("properties")[0].as_py()


def test_fingerprint_is_keyed_order_blind_and_never_the_salt(monkeypatch):
    one = policy_fingerprint(pii_policy({"hash": ["distinct_id", "email"], "drop": ["$city"]}))
    same = policy_fingerprint(pii_policy({"drop": ["$city"], "hash": ["email", "distinct_id"]}))
    monkeypatch.setenv("MP_PII_SALT", SALT[::-1])
    other = policy_fingerprint(pii_policy({"hash": ["distinct_id", "email"], "drop": ["$city"]}))

    assert one == same != other
    assert one is not None and SALT not in one and one.startswith("hmac-sha256:")
    assert policy_fingerprint(None) is None


@pytest.mark.parametrize(
    ("state", "refused"),
    [
        ({}, False),
        ({"pii": "x"}, False),  # a family noted, nothing loaded yet
        ({"cursor": "2024-03-01", "pii": "x"}, False),
        ({"cursor": "2024-03-01"}, True),  # loaded without a policy
        ({"cursor": "2024-03-01", "pii": "y"}, True),
    ],
    ids=["fresh", "only-family", "same", "no-policy-before", "another"],
)
def test_check_family(state, refused):
    if refused:
        with pytest.raises(InvalidArgumentError, match="--full-refresh"):
            check_family("events", state, "x")
    else:
        check_family("events", state, "x")
