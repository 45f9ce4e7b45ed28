"""One hash family per table: the PII policy's fingerprint, kept in each resource's state.

A hashed column is only useful while every row in it was hashed with the same salt (joins,
``distinct_id`` counts), and ``event_key`` only dedupes while every key was made the same way
(``pii_keys``). Changing ``MP_PII_SALT`` or the ``pii`` option between runs would silently mix
two families in one table. So each load stores a fingerprint of the policy and salt in the
state of the resources it loads (committed with their rows), and a run whose fingerprint
differs refuses before any request, asking for ``--full-refresh`` (which resets that state).

The fingerprint is keyed: ``HMAC-SHA256(salt, policy)``, never the salt itself nor a plain hash
of it. (Like any keyed digest of a known text it lets someone holding the state test a guessed
salt, which is why the salt must be long and random.) A policy without a salt (drop or mask
only) is fingerprinted with SHA-256. State written before fingerprints existed, or by runs
without a policy, has none: that is the "no policy" family, so adding a policy to a loaded
table refuses too. A resource state that holds nothing yet (a first run, or just refreshed or
dropped) accepts any family.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from mixpanel_data.sources.mixpanel.pii import PiiPolicy

__all__ = [
    "STATE_KEY",
    "check_family",
    "pipeline_families",
    "policy_fingerprint",
    "remember_family",
]

STATE_KEY = "pii"
"""The key of the fingerprint in a resource's state (absent: loaded without a policy)."""
_VERSION = "1"


def policy_fingerprint(policy: PiiPolicy | None) -> str | None:
    """The family ``policy`` writes: None without a policy, else a keyed digest of it."""
    if policy is None:
        return None
    text = json.dumps(
        {
            "drop": sorted(policy.drop),
            "hash": sorted(policy.hash),
            "mask": sorted(policy.mask),
            "keys": _VERSION,
        },
        sort_keys=True,
    ).encode()
    if policy.key:
        return (
            f"hmac-sha256:{hmac.digest(policy.key, b'mixpanel_data.pii/' + text, 'sha256').hex()}"
        )
    return f"sha256:{hashlib.sha256(text).hexdigest()}"


def check_family(
    resource: str,
    state: Mapping[str, Any] | None,
    fingerprint: str | None,
    command: str = "--full-refresh",
) -> None:
    """Refuse (exit 3) when ``resource`` was loaded under another policy or salt.

    ``state`` is the resource's state as dlt keeps it; ``command`` what reloads it.
    """
    if not state or not any(key != STATE_KEY for key in state):
        return  # nothing loaded under any family yet
    stored = state.get(STATE_KEY)
    if stored == fingerprint:
        return
    if stored is None:
        what = "was loaded without a PII policy and this run has one"
    elif fingerprint is None:
        what = "was loaded under a PII policy and this run has none"
    else:
        what = "was loaded under another PII policy or salt"
    raise InvalidArgumentError(
        f"The {resource} table {what}: its hashed values and keys would not match. Run "
        f"`{command}` to reload it under this one, or restore the earlier pii option and salt."
    )


def remember_family(state: MutableMapping[str, Any], fingerprint: str | None) -> None:
    """Record the family this load writes, committed with its rows."""
    if fingerprint is None:
        state.pop(STATE_KEY, None)
    else:
        state[STATE_KEY] = fingerprint


def pipeline_families(pipeline_state: Mapping[str, Any]) -> Mapping[str, Any]:
    """The resources' states of the Mixpanel source in a dlt pipeline state (may be empty)."""
    sources = pipeline_state.get("sources") or {}
    return (sources.get("mixpanel") or {}).get("resources") or {}
