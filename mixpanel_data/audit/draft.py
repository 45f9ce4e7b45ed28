"""Draft a tracking plan from loaded events, for a team to edit: ``mp audit plan --from-data``.

Every observed event becomes a planned event and every non-system property a typed property:
the type is inferred from the values (all booleans, all Unix milliseconds, all numbers, UUID
text, a handful of distinct texts -> an enum, lists of strings, objects; ``any`` when mixed),
``required`` when every event carries a non-null value, and the description records the fill
rate and the days seen. Auditing the same data with the draft finds no unplanned event, type or
required-property problem; naming, personal data, identity, conditional-rule and low-fill
findings remain, because they are about the data.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from mixpanel_data.audit import sql
from mixpanel_data.audit.engine import events_table, read_inventory
from mixpanel_data.audit.plan import EventSpec, PropertySpec, TrackingPlan

ENUM_MAX_VALUES = 10
ENUM_MIN_ROWS = 20
ENUM_MIN_ROWS_PER_VALUE = 5
ENUM_MAX_LENGTH = 40
"""Text becomes an enum with 2-10 short distinct values, each seen ~5 times on average."""


def draft_plan(
    con: Any,
    *,
    dataset: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> TrackingPlan:
    """A plan describing the loaded events of ``dataset`` as they are."""
    plan = TrackingPlan()
    _, table = events_table(con, dataset)
    scope = sql.scope(table, first, last)
    inventory = read_inventory(con, scope)
    by_event: dict[str, list[tuple[int, str]]] = {}
    keys: dict[int, tuple[str, str]] = {}
    for event in sorted(inventory.events):
        for key in inventory.keys_of(event):
            if not plan.is_system(key):
                keys[len(keys) + 1] = (event, key)
                by_event.setdefault(event, []).append((len(keys), key))
    profiles = {}
    if keys:
        for row in con.execute(sql.profile_sql(scope, by_event)).fetchall():
            profiles[row[0]] = row[1:]
    events = {}
    for event in sorted(inventory.events):
        n, seen_first, seen_last = inventory.events[event]
        props = {key: infer(profiles.get(spec_id), n) for spec_id, key in by_event.get(event, [])}
        events[event] = EventSpec(
            description=f"Drafted from {n:,} events seen {seen_first} to {seen_last}.",
            properties=props,
        )
    return plan.model_copy(update={"events": events})


def infer(profile: tuple[Any, ...] | None, rows: int) -> PropertySpec:
    """A property spec from its value profile (see ``sql.profile_sql``) on ``rows`` events."""
    if not profile:
        return PropertySpec(type="any", description="Only ever null.")
    present, strings, uuids, booleans, numbers, millis, arrays, lists, objects = profile[:9]
    distinct, top = profile[9], profile[10] or []
    fill = f"Filled on {present / rows:.1%} of events." if rows else ""
    spec: dict[str, Any] = {"required": present == rows, "description": fill}
    if booleans == present:
        spec["type"] = "boolean"
    elif millis == present:
        spec["type"] = "datetime-ms"
    elif numbers == present:
        spec["type"] = "number"
    elif uuids == present:
        spec.update(type="string", format="uuid")
    elif strings == present:
        values = sorted(json.loads(v) for v in top)
        short = all(len(v) <= ENUM_MAX_LENGTH for v in values)
        if (
            2 <= len(values) <= ENUM_MAX_VALUES
            and (distinct or 0) <= ENUM_MAX_VALUES
            and present >= max(ENUM_MIN_ROWS, ENUM_MIN_ROWS_PER_VALUE * len(values))
            and short
        ):
            spec.update(type="enum", values=values)
        else:
            spec["type"] = "string"
    elif lists == present:
        spec["type"] = "list"
    elif arrays == present:
        spec["type"] = "array"
    elif objects == present:
        spec["type"] = "object"
    else:
        mix = {
            "text": strings,
            "number": numbers,
            "boolean": booleans,
            "list": arrays,
            "object": objects,
        }
        seen = ", ".join(f"{k} {v / present:.0%}" for k, v in mix.items() if v)
        spec.update(type="any", description=f"{fill} Mixed types: {seen}.")
    return PropertySpec(**spec)
