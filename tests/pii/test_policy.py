"""The PII policy on Arrow tables: exact results, untouched rows, derived columns, config errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mixpanel_data.exceptions import ConfigError
from mixpanel_data.sources.mixpanel.events_arrow import promoted_columns
from mixpanel_data.sources.mixpanel.pii import hash_value, pii_policy, resolve_salt

SALT = "test-salt-0123456789abcdef"


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .dlt/secrets.toml of the repo
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.setenv("MP_PII_SALT", SALT)


def events_table(
    rows: list[dict[str, Any] | None], ids: list[str | None] | None = None
) -> pa.Table:
    props = [None if r is None else json.dumps(r, ensure_ascii=False) for r in rows]
    ids = ids if ids is not None else [r.get("distinct_id") if r else None for r in rows]
    schema = pa.schema(
        [
            pa.field("event_key", pa.string(), nullable=False),
            pa.field("distinct_id", pa.string()),
            pa.field("properties", pa.string()),
        ]
    )
    keys = [f"k{i}" for i in range(len(rows))]
    return pa.table([keys, ids, props], schema=schema)


def props_of(table: pa.Table) -> list[dict[str, Any] | None]:
    return [None if p is None else json.loads(p) for p in table.column("properties").to_pylist()]


def test_drop_hash_and_mask_give_exact_values():
    policy = pii_policy({"drop": ["$city", "address"], "hash": ["email"], "mask": ["$name"]})
    row = {
        "$city": "Lyon",
        "address": {"street": "1 Rue X"},
        "email": "ana@example.com",
        "$name": "Ana",
        "plan": "pro",
        "n": 3,
    }
    out = props_of(policy.apply(events_table([row])))[0]
    assert out == {
        "email": hash_value(SALT, "ana@example.com"),
        "$name": "***",
        "plan": "pro",
        "n": 3,
    }


@pytest.mark.parametrize(
    ("value", "digest_of"),
    [("u-1", "u-1"), (123, "123"), (True, "true"), (["a"], '["a"]'), ("é☕", "é☕")],
    ids=["string", "number", "bool", "list", "unicode"],
)
def test_hash_is_hmac_of_the_value_text(value, digest_of):
    policy = pii_policy({"hash": ["uid"]})
    out = props_of(policy.apply(events_table([{"uid": value}])))[0]
    assert out == {"uid": hash_value(SALT, digest_of)}


@pytest.mark.parametrize(
    ("value", "masked"),
    [("ana@example.com", "***@example.com"), ("Ana García", "***"), (5551234, "***")],
    ids=["email-keeps-domain", "text", "number"],
)
def test_mask(value, masked):
    policy = pii_policy({"mask": ["x"]})
    assert props_of(policy.apply(events_table([{"x": value}])))[0] == {"x": masked}


def test_rows_without_named_properties_pass_through_byte_for_byte():
    policy = pii_policy({"drop": ["email"], "hash": ["uid"]})
    table = events_table([{"a": 1.10, "b": "x"}, None, {"email": "e@x.io", "keep": "y"}])
    raw = table.column("properties").to_pylist()
    out = policy.apply(table).column("properties").to_pylist()
    assert out[0] == raw[0] and out[1] is None
    assert json.loads(out[2]) == {"keep": "y"}


def test_null_values_of_hashed_properties_are_removed_and_absent_ones_stay_absent():
    policy = pii_policy({"hash": ["uid"], "mask": ["m"], "drop": ["d"]})
    out = props_of(policy.apply(events_table([{"uid": None, "m": None, "d": None, "k": 1}])))
    assert out == [{"k": 1}]


def test_hashing_distinct_id_hashes_the_column_too_and_keeps_schema():
    policy = pii_policy({"hash": ["distinct_id"]})
    table = events_table([{"distinct_id": "ana@example.com"}, {"x": 1}], ["ana@example.com", None])
    out = policy.apply(table)
    digest = hash_value(SALT, "ana@example.com")
    assert out.column("distinct_id").to_pylist() == [digest, None]
    assert props_of(out)[0] == {"distinct_id": digest}
    assert out.schema == table.schema
    assert out.column("event_key").to_pylist() == ["k0", "k1"]


def test_promoted_columns_follow_their_property():
    promote = promoted_columns({"email": "text", "age": "bigint", "nick": "text"})
    policy = pii_policy({"hash": ["email"], "drop": ["age"], "mask": ["nick"]}, promote)
    table = pa.table(
        {
            "properties": [json.dumps({"email": "a@b.co", "age": 40, "nick": "Z"})],
            "email": ["a@b.co"],
            "age": pa.array([40], pa.int64()),
            "nick": ["Z"],
        }
    )
    out = policy.apply(table).to_pylist()[0]
    assert out["email"] == hash_value(SALT, "a@b.co")
    assert out["age"] is None and out["nick"] == "***"
    assert policy.apply(table).schema == table.schema


def test_profiles_shaped_tables_and_empty_tables():
    policy = pii_policy({"drop": ["$email"], "hash": ["distinct_id"]})
    table = pa.table(
        {
            "distinct_id": pa.array(["u1"], pa.string()),
            "last_seen": pa.array([None], pa.timestamp("us")),
            "properties": [json.dumps({"$email": "a@b.co", "$city": "Pune"})],
        }
    )
    out = policy.apply(table)
    assert out.column("distinct_id").to_pylist() == [hash_value(SALT, "u1")]
    assert props_of(out) == [{"$city": "Pune"}]
    empty = table.slice(0, 0)
    assert policy.apply(empty) is empty


def test_keys_needing_escapes_and_lookalikes_inside_strings():
    policy = pii_policy({"drop": ['we"ird', "it's", "email"]})
    row = {'we"ird': 1, "it's": 2, "note": 'text with "email": inside', "email": "x"}
    assert props_of(policy.apply(events_table([row]))) == [{"note": 'text with "email": inside'}]


def test_empty_or_missing_config_means_no_policy():
    assert pii_policy(None) is None
    assert pii_policy({}) is None
    assert pii_policy({"drop": []}) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"drop": ["a"], "salt": "x"}, "SOURCES__MIXPANEL__PII_SALT"),
        ({"pii_salt": "x"}, "is a secret"),
        ({"remove": ["a"]}, "use drop, hash or mask"),
        ({"drop": ["a"], "hash": ["a"]}, "'a' is in both pii.drop and pii.hash"),
        ({"drop": ["distinct_id"]}, "hash it"),
        ({"mask": ["distinct_id"]}, "hash it"),
        ({"drop": [""]}, "list of property names"),
        ({"drop": [1]}, "list of property names"),
    ],
    ids=[
        "salt-in-pii",
        "pii-salt-in-pii",
        "unknown-key",
        "two-actions",
        "drop-key",
        "mask-key",
        "empty-name",
        "not-a-string",
    ],
)
def test_config_errors_are_one_line_and_name_the_fix(config, message):
    with pytest.raises(ConfigError) as info:
        pii_policy(config)
    text = info.value.message
    assert message in text
    assert "\n" not in text and info.value.exit_code == 3


def test_hash_without_salt_is_refused_naming_where_to_put_it(monkeypatch):
    monkeypatch.delenv("MP_PII_SALT")
    where = r"SOURCES__MIXPANEL__PII_SALT.*secrets.toml.*MP_PII_SALT"
    with pytest.raises(ConfigError, match=where):
        pii_policy({"hash": ["email"]})
    assert pii_policy({"drop": ["email"]}) is not None  # dropping needs no salt


def test_short_salt_is_refused(monkeypatch):
    monkeypatch.setenv("MP_PII_SALT", "short")
    with pytest.raises(ConfigError, match="5 characters, too short"):
        pii_policy({"hash": ["email"]})


def test_promoting_a_hashed_property_as_non_text_is_refused():
    with pytest.raises(ConfigError, match="promote it as text"):
        pii_policy({"hash": ["age"]}, promoted_columns({"age": "bigint"}))


def test_salt_comes_from_dlt_secrets_before_mp_pii_salt(monkeypatch, tmp_path):
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text(
        '[sources.mixpanel]\npii_salt = "from-secrets-toml-0123"\n'
    )
    context = Container()[PluggableRunContext]
    previous = context.context.run_dir
    context.reload(str(project))  # dlt reads .dlt/ of the run dir it saw first
    try:
        assert resolve_salt() == "from-secrets-toml-0123"
    finally:
        shutil.rmtree(project / ".dlt")
        context.reload(previous)
    monkeypatch.setenv("SOURCES__MIXPANEL__PII_SALT", "from-environment-0123")
    assert resolve_salt() == "from-environment-0123"
    assert resolve_salt("explicit-0123456789") == "explicit-0123456789"


def test_salt_never_shows_in_the_policy_repr():
    policy = pii_policy({"hash": ["email"]})
    assert SALT not in repr(policy) and SALT.encode().hex() not in repr(policy)


def test_protected_parser_applies_the_policy_once_and_delegates():
    import pickle
    from zoneinfo import ZoneInfo

    from mixpanel_data.sources.mixpanel.events_arrow import EventParser
    from mixpanel_data.sources.mixpanel.pii import protect
    from mixpanel_data.sources.mixpanel.timezones import LegacySwitch

    parser = EventParser(ZoneInfo("UTC"), LegacySwitch(False))
    policy = pii_policy({"hash": ["distinct_id"], "drop": ["email"]})
    protected = protect(parser, policy)
    line = json.dumps(
        {
            "event": "a.b.c",
            "properties": {
                "time": 1709294400,
                "distinct_id": "u1",
                "$insert_id": "i1",
                "email": "a@b.co",
            },
        }
    )
    parsed = protected.parse(line.encode() + b"\n")
    passed_on = policy.apply(parsed)  # the map step: already protected, only unmarked

    digest = hash_value(SALT, "u1")
    assert passed_on.column("distinct_id").to_pylist() == [digest]  # not hashed twice
    assert json.loads(passed_on.column("properties")[0].as_py()) == {
        "time": 1709294400,
        "distinct_id": digest,
        "$insert_id": "i1",
    }
    assert not passed_on.schema.metadata
    assert protected.promote == parser.promote and protected.legacy is parser.legacy
    assert protect(parser, None) is parser
    copied = pickle.loads(pickle.dumps(protect(_Parser(), policy)))
    assert copied.parse(b"").column("distinct_id").to_pylist() == [hash_value(SALT, "u2")]


class _Parser:
    """A picklable parser (the real one holds a lock)."""

    promote = ()

    def parse(
        self, data: bytes, seen: dict[str, int] | None = None, tally: object = None
    ) -> pa.Table:
        return events_table([{"distinct_id": "u2"}])


def test_many_distinct_values_are_hashed_in_duckdb_like_in_python():
    values = [f"user-{i}" for i in range(3000)]
    policy = pii_policy({"hash": ["distinct_id"]})
    out = policy.apply(events_table([{"distinct_id": v} for v in values]))
    assert out.column("distinct_id").to_pylist() == [hash_value(SALT, v) for v in values]
