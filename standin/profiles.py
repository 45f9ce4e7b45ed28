"""Deterministic user profiles in engage shape (``$distinct_id`` + ``$properties``)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from mixpanel_data.standin import vocab as V
from mixpanel_data.standin.generator import user_pool
from mixpanel_data.standin.spec import ProjectSpec

Profile = dict[str, Any]
NAIVE_FMT = "%Y-%m-%dT%H:%M:%S"


def naive(ts: datetime) -> str:
    """Engage's zone-less timestamp text, e.g. ``2024-03-01T09:15:00``."""
    return ts.strftime(NAIVE_FMT)


class ProfileList(list[Profile]):
    """Generated profiles whose ``copy.deepcopy`` copies the JSON values directly.

    ``Project.profiles()`` deep-copies the whole list; the generic deepcopy took a minute for 1M
    profiles (the profiles benchmark), this takes a few seconds.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> ProfileList:
        return ProfileList(_copy_json(p) for p in self)


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars), without deepcopy's bookkeeping."""
    if type(value) is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_json(v) for v in value]
    return value


def generate_profiles(spec: ProjectSpec) -> ProfileList:
    """One profile per non-anonymous user of the pool, stable for a seed."""
    rng = random.Random(spec.seed * 97 + 3)
    users = user_pool(spec.seed, spec.profiles)[: spec.profiles]
    span_s = max(spec.days, 1) * 86_400
    first_day = datetime(spec.start.year, spec.start.month, spec.start.day)
    return ProfileList(_profile(rng, i, uid, first_day, span_s) for i, uid in enumerate(users))


def _profile(rng: random.Random, i: int, uid: str, first_day: datetime, span_s: int) -> Profile:
    """One profile with mixed property types and a ``$last_seen`` inside the data range."""
    r = rng.random
    first = V.FIRST_NAMES[int(r() * len(V.FIRST_NAMES))]
    last = V.LAST_NAMES[int(r() * len(V.LAST_NAMES))]
    created = first_day - timedelta(seconds=int(r() * 400 * 86_400))
    last_seen = first_day + timedelta(seconds=int(r() * span_s))
    props: dict[str, Any] = {
        "$created": naive(created),
        "$email": uid if "@" in uid else f"{first.lower()}.{i}@example.com",
        "$first_name": first,
        "$last_name": last,
        "$name": f"{first} {last}",
        "$last_seen": naive(last_seen),
        "$city": V.CITIES[int(r() * len(V.CITIES))],
        "$country_code": V.COUNTRIES[int(r() * len(V.COUNTRIES))],
        "plan": V.PLANS[int(r() * len(V.PLANS))],
        "lifetime_value": round(r() * 2000, 2),
        "logins": int(r() * 300),
        "beta_tester": r() < 0.2,
        "tags": list(V.TAG_SETS[int(r() * len(V.TAG_SETS))]),
        "address": {"street": "Rua Açaí 12", "zip": f"{int(r() * 99999):05d}"},
        "nickname": None,
    }
    if i % 5 == 0:
        props["bio"] = "likes ☕\u2028and line\rbreaks"
    if i % 7 == 0:
        props["lifetime_value"] = str(props["lifetime_value"])  # types drift in real projects
    return {"$distinct_id": uid, "$properties": props}
