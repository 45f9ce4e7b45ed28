"""Hashed or dropped values cannot be rebuilt offline from anything a load stores.

Each test loads the stand-in's events and profiles through the real pipeline (HTTP on
127.0.0.1, dlt, DuckDB), keeps dlt's loaded packages and staging rows to search them too, and
then runs ``attack``: a dictionary of candidate values (the stand-in's true user ids and
cities among decoys) turned into every digest the loader's keys were ever made of, searched
in every column of every table, dlt's intermediate files and the pipeline state. The control
load, without a policy, must be found by the very same attack, so a silent attack cannot pass.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mixpanel_data.standin.generator import user_pool
from mixpanel_data.standin.vocab import CITIES

from . import attack

SALT = "attack-salt-5f1e0c9a7b3d"
START = date(2024, 3, 8)
DECOY_IDS = [f"decoy.{i}@example.com" for i in range(20)] + [str(900_000 + i) for i in range(10)]
DECOY_CITIES = ["Lille", "Porto", "Osaka", "Graz", "Bergen"]


@pytest.fixture
def loaded(standin_env, monkeypatch: pytest.MonkeyPatch):
    """``loaded(policy, salt=True)``: the stand-in loaded with ``policy``; returns the env."""
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.delenv("MP_PII_SALT", raising=False)
    # keep what dlt deletes by default, to search it too
    monkeypatch.setenv("MP_MIXPANEL__LOAD__DELETE_COMPLETED_JOBS", "false")
    monkeypatch.setenv("MP_MIXPANEL__LOAD__TRUNCATE_STAGING_DATASET", "false")

    def load(policy: dict[str, list[str]] | None, salt: bool = True) -> Any:
        env = standin_env(
            start=START, days=2, events_per_day=300, profiles=40, missing_insert_id_rate=0.15
        )
        if salt:
            monkeypatch.setenv("MP_PII_SALT", SALT)
        options = {"pii": policy} if policy else {}
        days = env.project.days
        env.run("events", from_date=days[0], to_date=days[-1], options=options)
        env.run("profiles", options=options)
        return env

    return load


def true_ids(env: Any) -> list[str]:
    return list(user_pool(env.server.spec.seed, env.server.spec.profiles))


def guesses(env: Any, *names: str) -> dict[str, str]:
    """Every digest of the attack over ``names`` (``distinct_id``, ``$city``) -> its guess."""
    rows = attack.stored_events(env.data_dir / "mixpanel_data.duckdb")
    ids = [*true_ids(env), *DECOY_IDS]
    cities = [*CITIES, *DECOY_CITIES]
    candidates = {"distinct_id": ids, "$city": cities}
    wanted = {name: candidates[name] for name in names}
    digests = attack.content_digests(rows, wanted)
    if "distinct_id" in names:
        digests |= attack.tuple_digests(rows, ids)
    for values in wanted.values():
        digests |= attack.value_digests(values)
    return digests


def emails(env: Any) -> list[str]:
    return [uid for uid in true_ids(env) if "@" in uid]


def stored_fingerprints(env: Any) -> dict[str, list[Any]]:
    import dlt

    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.data_dir / "pipelines"))
    state = pipeline.state["sources"]["mixpanel"]["resources"]["events"]
    return dict(state["fingerprints"])


def unkeyed_fingerprints(env: Any) -> dict[str, list[Any]]:
    """The day fingerprints the loader would store with keys made the old way, from the same
    export: equal to the stored ones, they would confirm a guess of every row's values."""
    from mixpanel_data.live import live_client
    from mixpanel_data.sources.mixpanel.daysums import DayTally
    from mixpanel_data.sources.mixpanel.events_arrow import EventParser
    from mixpanel_data.sources.mixpanel.timezones import LegacySwitch
    from mixpanel_data.sources.mixpanel.windows import Window

    parser = EventParser(ZoneInfo(env.server.spec.timezone), LegacySwitch(False))
    tally = DayTally()
    days = env.project.days
    with live_client() as client:
        for day in days:
            seen: dict[str, int] = {}
            for data in client.export_batches(day, day):
                parser.tally(data, seen, tally)
    return {day: list(fp) for day, fp in tally.of(Window(days[0], days[-1])).items()}


def test_control_without_a_policy_the_attack_finds_keys_values_and_fingerprints(loaded):
    env = loaded(None)
    stored = attack.everything_stored(env.data_dir)
    digests = guesses(env, "distinct_id", "$city")

    found = attack.matches(stored, digests)

    true = set(true_ids(env))
    assert any(g.startswith("tuple md5") and g.split("=", 1)[1] in true for g in found)
    rebuilt = [g for g in found if g.startswith("content")]
    assert any("distinct_id=stored" not in g for g in rebuilt)  # a guessed id
    assert any("$city=stored" not in g for g in rebuilt)  # a guessed city
    assert any("copy 2" in g for g in rebuilt)  # identical copies of a row
    assert set(attack.raw_hits(stored, CITIES)) == set(CITIES)
    assert attack.raw_hits(stored, emails(env))
    assert stored_fingerprints(env) == unkeyed_fingerprints(env)


POLICIES = {
    # profiles keep $email here: only the salt must not show in plain
    "hash-distinct-id": ({"hash": ["distinct_id"]}, ("distinct_id",), False),
    "hash-and-drop": (
        {"hash": ["distinct_id"], "drop": ["$city", "$email"]},
        ("distinct_id", "$city"),
        True,
    ),
}


@pytest.mark.parametrize("case", list(POLICIES), ids=list(POLICIES))
def test_with_a_salted_policy_the_attack_finds_nothing(loaded, case):
    policy, attacked, no_plain_values = POLICIES[case]
    env = loaded(policy)
    stored = attack.everything_stored(env.data_dir)
    digests = guesses(env, *attacked)

    places = {where for where, _ in stored}
    assert any(p.endswith(".parquet") for p in places)  # dlt's loaded files were kept
    assert {"mixpanel_data.duckdb (tables)", "mixpanel_data.duckdb (dlt state)"} <= places
    assert attack.matches(stored, digests) == {}
    plain = [*emails(env), *CITIES] if no_plain_values else []
    assert attack.raw_hits(stored, [*plain, SALT]) == {}
    theirs, ours = stored_fingerprints(env), unkeyed_fingerprints(env)
    assert theirs.keys() == ours.keys()
    assert all(theirs[day] != ours[day] for day in ours if ours[day][0])


def test_dropping_without_a_salt_leaves_no_key_that_rebuilds_the_dropped_value(loaded):
    """No salt to key with: keys of rows without ``$insert_id`` are made of what is stored."""
    env = loaded({"drop": ["$city", "$email"]}, salt=False)
    stored = attack.everything_stored(env.data_dir)
    digests = guesses(env, "$city")

    assert attack.matches(stored, digests) == {}
    assert attack.raw_hits(stored, CITIES) == {}
