"""Draft a tracking plan from loaded events, for a team to edit: ``mp audit plan --from-data``.

Every observed event becomes a planned event and every non-system property a typed property:
the type is inferred from the values (all booleans, all Unix milliseconds, all numbers, UUID
text, a handful of distinct texts -> an enum, lists of strings, objects; ``any`` when mixed),
``required`` when every event carries a non-null value, and the description records the fill
rate and the days seen. The review rules describe the data too (``learn``): its naming style,
its distinct_id shapes, the default identity and conditional rules it keeps, a low-fill
threshold under its rarest property. So auditing the same data with the draft finds only its
personal data (P0), and the draft can gate CI from then on; ``draft_notes`` offers the tracking
skill's defaults, where the draft departs from them, as YAML comments.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml

from mixpanel_data.audit import learn, patterns, sql
from mixpanel_data.audit.engine import events_table, read_inventory
from mixpanel_data.audit.plan import (
    EventSpec,
    PropertySpec,
    Thresholds,
    TrackingPlan,
)

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
    fills: list[float] = []
    for event in sorted(inventory.events):
        n, seen_first, seen_last = inventory.events[event]
        props = {}
        for spec_id, key in by_event.get(event, []):
            props[key] = infer(profiles.get(spec_id), n)
            if not props[key].required and spec_id in profiles:
                fills.append(profiles[spec_id][0] / n)
        events[event] = EventSpec(
            description=f"Drafted from {n:,} events seen {seen_first} to {seen_last}.",
            properties=props,
        )
    low_fill = learn.fill_threshold(fills, plan.thresholds.low_fill)
    return plan.model_copy(
        update={
            "events": events,
            "naming": learn.learn_naming(inventory.events),
            "distinct_id": learn.learn_identity(con, scope, plan.distinct_id),
            "rules": [r for r in plan.rules if not _broken(con, scope, r)],
            "thresholds": Thresholds(low_fill=low_fill),
        }
    )


def _broken(con: Any, scope: str, rule: Any) -> bool:
    condition = (rule.when.property, json.dumps(rule.when.equals))
    query = sql.conditional_sql(scope, condition, list(rule.require.items()), rule.events)
    return any(any(row[2::4]) for row in con.execute(query).fetchall())


def draft_notes(plan: TrackingPlan) -> dict[str, str]:
    """YAML comments for the sections where ``plan`` departs from the defaults.

    Each shows the tracking skill's default, commented out, to adopt once the data follows it.
    """
    default = TrackingPlan().model_dump(mode="json", by_alias=True, exclude_none=True)
    mine = plan.model_dump(mode="json", by_alias=True, exclude_none=True)
    notes = {}
    for key in ("naming", "distinct_id", "rules", "thresholds"):
        if mine[key] == default[key]:
            continue
        body = yaml.safe_dump({key: default[key]}, sort_keys=False, allow_unicode=True, width=100)
        commented = "".join(f"#   {line}\n" for line in body.splitlines())
        notes[key] = (
            f"# Learnt from the data. The tracking skill's default, to adopt once the data "
            f"follows it:\n{commented}"
        )
    return notes


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
        # A personal value never becomes an enum value: the plan file would print it.
        short = all(len(v) <= ENUM_MAX_LENGTH and patterns.redact(v) == v for v in values)
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
