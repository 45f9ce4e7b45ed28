"""One hash family per table: another PII policy or salt is refused until ``--full-refresh``.

Each case loads the stand-in under one policy and salt, then runs again under another: the run
must stop with one line (exit 3) naming ``--full-refresh`` before any request reaches the
stand-in and leave the tables as they were; ``--full-refresh`` then reloads them under the new
one, which later runs accept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.sources.mixpanel.pii import hash_value
from mixpanel_data.standin.generator import user_pool

from ..cli.mpcli import mp

SALT = "family-salt-0a1b2c3d4e5f"
OTHER_SALT = "family-salt-ffeeddccbbaa"
HASH = {"hash": ["distinct_id"]}
PIPELINES = "pipelines:\n  both:\n    resources: [events, profiles]\n"


@pytest.fixture
def env(standin_env, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SOURCES__MIXPANEL__PII_SALT", raising=False)
    monkeypatch.setenv("MP_PII_SALT", SALT)
    env = standin_env(start=date(2024, 3, 8), days=1, events_per_day=60, profiles=12)
    (env.data_dir.parent / "pipelines.yaml").write_text(PIPELINES)
    return env


def load(env: Any, policy: dict[str, list[str]] | None, **kwargs: Any) -> Any:
    day = env.project.days[0]
    options = {"pii": policy} if policy else {}
    return env.run("both", from_date=day, to_date=day, options=options, **kwargs)


def stored_ids(env: Any) -> dict[str, set[str]]:
    return {
        table: {row[0] for row in env.rows(f"SELECT distinct_id FROM mixpanel.{table}")}
        for table in ("events", "profiles")
    }


def resource_state(env: Any, resource: str) -> dict[str, Any]:
    import dlt

    pipeline = dlt.attach("mp_mixpanel", pipelines_dir=str(env.data_dir / "pipelines"))
    return dict(pipeline.state["sources"]["mixpanel"]["resources"][resource])


def test_same_policy_and_salt_run_again_and_the_state_holds_a_keyed_fingerprint(env):
    load(env, HASH)
    first = resource_state(env, "events")["pii"]
    load(env, HASH)

    assert resource_state(env, "events")["pii"] == first
    assert resource_state(env, "profiles")["pii"] == first
    assert first.startswith("hmac-sha256:") and SALT not in first


CHANGES = {
    "salt": (HASH, SALT, HASH, OTHER_SALT, "was loaded under another PII policy or salt"),
    "policy": (HASH, SALT, {**HASH, "drop": ["$city"]}, SALT, "under another PII policy"),
    "no-policy-to-policy": (None, SALT, HASH, SALT, "loaded without a PII policy"),
    "policy-to-no-policy": (HASH, SALT, None, SALT, "under a PII policy and this run has none"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_another_policy_or_salt_refuses_before_any_request_until_full_refresh(
    env, monkeypatch, change
):
    before, salt, after, new_salt, message = CHANGES[change]
    monkeypatch.setenv("MP_PII_SALT", salt)
    load(env, before)
    kept = stored_ids(env)
    monkeypatch.setenv("MP_PII_SALT", new_salt)
    env.server.requests.clear()

    with pytest.raises(InvalidArgumentError) as refused:
        load(env, after)

    assert (
        message in refused.value.message and "`mp run both --full-refresh`" in refused.value.message
    )
    assert refused.value.exit_code == 3 and "\n" not in refused.value.message
    assert len(env.server.requests) == 0  # not one request, not even the project's zone
    assert stored_ids(env) == kept

    load(env, after, full_refresh=True)
    load(env, after)  # the new family is now the tables' own
    users = user_pool(env.server.spec.seed, env.server.spec.profiles)
    family = {hash_value(new_salt, u) for u in users} if after else set(users)
    for ids in stored_ids(env).values():
        assert ids - {None} and ids - {None} <= family


def test_state_kept_only_at_the_destination_is_checked_before_any_export(env, monkeypatch):
    """On a new machine dlt restores the state from the destination during the run: the
    resources check it there, still before an export or engage request."""
    import shutil

    load(env, HASH)
    shutil.rmtree(env.data_dir / "pipelines")
    monkeypatch.setenv("MP_PII_SALT", OTHER_SALT)
    env.server.requests.clear()

    with pytest.raises(InvalidArgumentError, match="another PII policy or salt"):
        load(env, HASH)

    assert env.server.requests.filter(family="export") == []
    assert env.server.requests.filter(family="engage") == []


def test_mp_run_exits_3_with_one_line_and_full_refresh_accepts(env):
    day = str(env.project.days[0])
    hashed = {"SOURCES__MIXPANEL__PII": '{"hash": ["distinct_id"]}'}
    assert mp("-q", "run", "both", "--from", day, "--to", day, env=hashed).returncode == 0

    moved = {**hashed, "MP_PII_SALT": OTHER_SALT}
    refused = mp("-q", "run", "both", "--from", day, "--to", day, env=moved)
    assert refused.returncode == 3
    assert refused.stderr.count("\n") == 1 and "mp run both --full-refresh" in refused.stderr
    assert OTHER_SALT not in refused.stderr and SALT not in refused.stderr

    again = mp("-q", "run", "both", "--from", day, "--to", day, "--full-refresh", env=moved)
    assert again.returncode == 0, again.stderr
