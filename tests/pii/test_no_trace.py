"""A dropped value never reaches the destination: not DuckDB, not dlt's intermediate files.

The load goes through the real pipeline (parser, dlt extract/normalize/load, DuckDB) and keeps
dlt's working directory (``MP_DATA_DIR/pipelines``), whose completed jobs (parquet, gzip) are
kept on disk for the search (runs delete them by default; the documented per-pipeline setting
turns that off here); every file there and the database are then searched for the values. The
same load without a policy is the control: it proves the search finds the values when they are
there.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.run.runner import run_pipeline
from mixpanel_data.sources.mixpanel.pii import hash_value

from .fake_mixpanel import FakeMixpanel
from .traces import find_traces, searched_kinds

SALT = "no-trace-salt-0123456789"
DAY = date(2024, 3, 1)
T0 = 1709294400  # 2024-03-01T12:00:00Z
POLICY = {
    "drop": ["secret_note", "address", "$name", "phone"],
    "hash": ["distinct_id", "email"],
    "mask": ["$last_name"],
}


def project() -> FakeMixpanel:
    events = [
        {
            "event": "svc.shop.order_placed",
            "properties": {
                "time": T0 + i,
                "distinct_id": f"DISTINCTMARK{i:03d}",
                "$insert_id": f"insert-{i}",
                "mp_processing_time_ms": (T0 + i) * 1000,
                "secret_note": f"NOTEMARK{i:03d}",
                "address": {"street": f"STREETMARK{i:03d}", "zip": "12345"},
                "email": f"EMAILMARK{i:03d}@example.org",
                "plan": "pro",
            },
        }
        for i in range(300)
    ]
    profiles = [
        {
            "$distinct_id": f"DISTINCTMARK{i:03d}",
            "$properties": {
                "$last_seen": "2024-03-01T12:00:00",
                "$name": f"NAMEMARK{i:03d}",
                "$last_name": f"LASTMARK{i:03d}",
                "phone": f"+1555PHONEMARK{i:03d}",
                "plan": "pro",
            },
        }
        for i in range(50)
    ]
    return FakeMixpanel(events, profiles)


SECRET_PREFIXES = [
    "NOTEMARK",
    "STREETMARK",
    "EMAILMARK",
    "NAMEMARK",
    "LASTMARK",
    "PHONEMARK",
    "DISTINCTMARK",
]


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MP_PII_SALT", SALT)
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.setenv("MP_MIXPANEL__LOAD__DELETE_COMPLETED_JOBS", "false")  # keep them to search
    return tmp_path / "data"


def load(options: dict[str, Any]) -> None:
    spec = PipelineSpec(name="pii", resources=["events", "profiles"], options=options)
    run_pipeline(spec, from_date=DAY, to_date=DAY, source_overrides={"client": project()})


def test_without_a_policy_the_search_finds_every_value(data_dir):
    load({})
    found = find_traces(data_dir, SECRET_PREFIXES)
    assert set(found) == set(SECRET_PREFIXES)
    assert any(path.endswith(".parquet") for path in found["NOTEMARK"])
    assert any(path.endswith(".duckdb") for path in found["NOTEMARK"])


def test_policy_leaves_no_trace_of_dropped_hashed_or_masked_values(data_dir):
    load({"pii": POLICY})

    assert {"parquet", "gzip", ".duckdb"} <= searched_kinds(data_dir)
    assert find_traces(data_dir, [*SECRET_PREFIXES, SALT]) == {}


def test_policy_keeps_the_rest_and_hashes_consistently_across_tables(data_dir):
    load({"pii": POLICY})

    import duckdb

    con = duckdb.connect(str(data_dir / "mixpanel_data.duckdb"), read_only=True)
    events = con.execute(
        "SELECT distinct_id, properties->>'distinct_id', properties->>'email', "
        "properties->>'plan', json_keys(properties) FROM mixpanel.events WHERE insert_id='insert-7'"
    ).fetchone()
    joined = con.execute(
        "SELECT count(*) FROM mixpanel.events e JOIN mixpanel.profiles p USING (distinct_id)"
    ).fetchone()[0]
    profile = con.execute(
        "SELECT properties->>'$.\"$last_name\"', properties->>'plan', json_keys(properties) "
        "FROM mixpanel.profiles WHERE distinct_id = ?",
        [hash_value(SALT, "DISTINCTMARK007")],
    ).fetchone()
    con.close()
    digest = hash_value(SALT, "DISTINCTMARK007")
    assert events[:4] == (digest, digest, hash_value(SALT, "EMAILMARK007@example.org"), "pro")
    assert "secret_note" not in events[4] and "address" not in events[4]
    assert joined == 50  # events of the 50 profiled users still join on the hashed id
    assert profile[0] == "***" and profile[1] == "pro"
    assert "$name" not in profile[2] and "phone" not in profile[2]


def test_hash_without_salt_stops_before_anything_is_written(data_dir, monkeypatch):
    monkeypatch.delenv("MP_PII_SALT")
    from mixpanel_data.exceptions import ConfigError

    with pytest.raises(ConfigError, match="SOURCES__MIXPANEL__PII_SALT"):
        load({"pii": POLICY})
    assert find_traces(data_dir, SECRET_PREFIXES) == {}


def test_real_pipeline_from_the_standin_keeps_emails_out(standin_env, monkeypatch):
    """Stand-in users are partly emails (as distinct_id and $email): none may be stored."""
    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=300, profiles=40)
    monkeypatch.setenv("MP_PII_SALT", SALT)
    policy = {"hash": ["distinct_id"], "drop": ["$email", "$name", "$first_name", "$last_name"]}
    env.run(
        "events",
        from_date=env.project.days[0],
        to_date=env.project.days[-1],
        options={"pii": policy},
    )
    env.run("profiles", options={"pii": policy})

    assert env.rows("SELECT count(*) FROM mixpanel.profiles")[0][0] == 40
    assert find_traces(env.data_dir, ["@example.com", SALT]) == {}
