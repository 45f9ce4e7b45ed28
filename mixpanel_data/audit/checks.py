"""The checks: each turns one SQL pass (or the inventory) into findings on the audit context.

Severity, category, title and fix of each check live in ``findings.CHECKS``; here is only how
each one is found. Examples shown in reports go through ``example``, which masks anything that
looks personal (and the engine redacts every finding once more before the report is built).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from mixpanel_data.audit import patterns, sql
from mixpanel_data.audit.plan import PropertySpec

if TYPE_CHECKING:
    from mixpanel_data.audit.engine import Context, Day


def check_events(ctx: Context) -> None:
    """Events missing from the plan (P1), names off the convention (P2), never seen (P3).

    Without a plan (``ctx.registry`` false) only the naming convention applies.
    """
    naming = ctx.plan.naming
    for event, (n, first, last) in sorted(ctx.inventory.events.items()):
        if ctx.registry and event not in ctx.plan.events:
            keys = [k for k in ctx.inventory.keys_of(event) if not ctx.plan.is_system(k)]
            ctx.add(
                "event-not-in-plan",
                event,
                None,
                f"{n:,} events of an unplanned name",
                n,
                n,
                first,
                last,
                [f"properties: {', '.join(keys[:8]) or '(system only)'}"],
            )
        problem = _naming_problem(event, naming.pattern, naming.forbidden_words)
        if problem:
            ctx.add(
                "naming",
                event,
                None,
                f"{problem} (convention {naming.convention})",
                n,
                n,
                first,
                last,
                [event],
            )
    for event in ctx.plan.events:
        if event not in ctx.inventory.events:
            ctx.add(
                "event-never-seen",
                event,
                None,
                "no event of this name in the audited data",
                0,
                0,
                None,
                None,
            )


def _naming_problem(event: str, pattern: str, forbidden: list[str]) -> str | None:
    if not event:
        return "event without a name"
    lowered = event.lower()
    words = [w for w in forbidden if w.lower() in lowered]
    if words:
        return f"contains {words[0]!r}"
    if re.fullmatch(pattern, event) is None:
        return "does not match the naming pattern"
    return None


def check_pii_names(ctx: Context) -> set[str]:
    """Properties whose name suggests personal data (P0); returns the flagged names."""
    allow = set(ctx.plan.pii.allow)
    extra = tuple(ctx.plan.pii.name_patterns)
    flagged = set()
    for (event, key), (n, first, last) in sorted(ctx.inventory.keys.items()):
        kind = None if key in allow else patterns.pii_name_kind(key, extra)
        if kind:
            flagged.add(key)
            total = ctx.inventory.events[event][0]
            index = ctx.add(
                "pii-property-name",
                event,
                key,
                f"the name suggests {_a(kind)}",
                n,
                total,
                first,
                last,
            )
            ctx.wanted.setdefault((event, key), []).append(index)
    return flagged


def check_undeclared(ctx: Context, flagged: set[str]) -> None:
    """Properties of planned events that the plan does not declare (P3)."""
    for (event, key), (n, first, last) in sorted(ctx.inventory.keys.items()):
        if event not in ctx.plan.events or key in flagged or ctx.plan.is_system(key):
            continue
        if key not in ctx.plan.properties_of(event):
            total = ctx.inventory.events[event][0]
            index = ctx.add(
                "undeclared-property",
                event,
                key,
                "sent but not declared in the plan",
                n,
                total,
                first,
                last,
            )
            ctx.wanted.setdefault((event, key), []).append(index)


def check_declared(ctx: Context) -> None:
    """Required properties missing (P1), types (P2), never seen and low fill (P3)."""
    specs: dict[int, tuple[str, str, PropertySpec]] = {}
    by_event: dict[str, list[tuple[int, str]]] = {}
    checks: dict[str, list[int]] = {}
    for event in ctx.plan.events:
        if event not in ctx.inventory.events:
            continue
        for prop, spec in ctx.plan.properties_of(event).items():
            spec_id = len(specs) + 1
            specs[spec_id] = (event, prop, spec)
            by_event.setdefault(event, []).append((spec_id, prop))
            checks.setdefault(sql.ok_sql("v", spec), []).append(spec_id)
    seen = {key for _, key in ctx.inventory.keys}
    for prop, spec in ctx.plan.common_properties.items():
        if not spec.required and prop not in seen and ctx.inventory.rows:
            ctx.add(
                "property-never-seen",
                None,
                prop,
                "common property never sent on any event",
                0,
                0,
                None,
                None,
            )
    if not specs:
        return
    for row in ctx.rows(sql.declared_sql(ctx.scope, by_event, checks)):
        spec_id, n, missing, m_first, m_last, bad, b_first, b_last, examples = row
        event, prop, spec = specs[spec_id]
        _declared_findings(ctx, event, prop, spec, n, missing, (m_first, m_last))
        if bad:
            shown = [example(x) for x in examples or []]
            ctx.add(
                "type-mismatch",
                event,
                prop,
                _mismatch(spec, examples or []),
                bad,
                n,
                b_first,
                b_last,
                shown,
            )


def _declared_findings(
    ctx: Context,
    event: str,
    prop: str,
    spec: PropertySpec,
    n: int,
    missing: int,
    days: tuple[Day, Day],
) -> None:
    present = n - missing
    own = prop in ctx.plan.events[event].properties  # common optional ones may skip events
    if spec.required and missing:
        ctx.add(
            "required-missing",
            event,
            prop,
            f"missing or null on {missing:,} of {n:,} events",
            missing,
            n,
            *days,
        )
    elif not own or spec.required:
        return
    elif present == 0:
        ctx.add("property-never-seen", event, prop, "declared but never sent", 0, n, None, None)
    elif present / n < ctx.plan.thresholds.low_fill:
        key_days = ctx.inventory.keys.get((event, prop), (0, None, None))[1:]
        index = ctx.add(
            "low-fill",
            event,
            prop,
            f"filled on {present / n:.1%} of events (threshold {ctx.plan.thresholds.low_fill:.0%})",
            present,
            n,
            *key_days,
        )
        ctx.wanted.setdefault((event, prop), []).append(index)


def check_pii_values(ctx: Context, flagged: set[str]) -> None:
    """Values that look like emails, IPs, phone numbers or street addresses (P0)."""
    skip = sorted({*ctx.plan.pii.allow, *flagged, "distinct_id", "$distinct_id"})
    for event, key, kind, n, first, last, examples in ctx.rows(sql.pii_values_sql(ctx.scope, skip)):
        total = ctx.inventory.events[event][0]
        ctx.add(
            "pii-value",
            event,
            key,
            f"values look like {_a(kind)}",
            n,
            total,
            first,
            last,
            [example(x, force_mask=True) for x in examples or []],
        )


def check_distinct_ids(ctx: Context) -> None:
    """distinct_ids holding personal data (P0) or breaking the identity rules (P1)."""
    rules = ctx.plan.distinct_id
    query = sql.distinct_id_sql(
        ctx.scope, [a.pattern for a in rules.allowed], rules.not_equal_to, rules.required
    )
    for event, pii_kind, problem, n, first, last, examples in ctx.rows(query):
        total = ctx.inventory.events[event][0]
        if pii_kind:
            ctx.add(
                "pii-distinct-id",
                event,
                "distinct_id",
                f"distinct_id is {_a(pii_kind)}",
                n,
                total,
                first,
                last,
                [example(json.dumps(x), force_mask=True) for x in examples or []],
            )
        else:
            shown = [example(json.dumps(x)) for x in examples or [] if x is not None]
            ctx.add(
                "distinct-id-rule",
                event,
                "distinct_id",
                f"distinct_id {problem}",
                n,
                total,
                first,
                last,
                shown,
            )


def check_rule(ctx: Context, rule: Any) -> None:
    """Rows meeting a conditional rule's condition without what it requires (P2)."""
    condition = (rule.when.property, json.dumps(rule.when.equals))
    required = list(rule.require.items())
    query = sql.conditional_sql(ctx.scope, condition, required, rule.events)
    for row in ctx.rows(query):
        event, n = row[0], row[1]
        for i, (prop, spec) in enumerate(required):
            bad, first, last, examples = row[2 + 4 * i : 6 + 4 * i]
            if bad:
                ctx.add(
                    "conditional-rule",
                    event,
                    prop,
                    f"{rule.name}: when {rule.when.property} = {condition[1]}, {prop} must be "
                    f"{_type_words(spec)}",
                    bad,
                    n,
                    first,
                    last,
                    [example(x) for x in examples or []],
                )


def example(text: str, force_mask: bool = False) -> str:
    """A JSON value as shown in a report, masked when it looks personal (or must be)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = text
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    shown = patterns.mask(shown) if force_mask else patterns.redact(shown)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return json.dumps(shown, ensure_ascii=False) if isinstance(value, str) else shown


def _mismatch(spec: PropertySpec, examples: list[str]) -> str:
    seen = sorted({_kind(x) for x in examples})
    return f"planned {_type_words(spec)}, sent as {' / '.join(seen) or 'another type'}"


def _type_words(spec: PropertySpec) -> str:
    if spec.type == "datetime-ms":
        return "Unix milliseconds (datetime-ms)"
    if spec.type == "enum":
        return f"one of {', '.join(map(str, spec.values or []))}"
    if spec.type == "list":
        return "a list of strings"
    if spec.format:
        return f"a {spec.format} string"
    return f"a {spec.type}" if spec.type not in ("any", "array", "object") else spec.type


def _kind(text: str) -> str:
    """How a bad value was actually sent, in words (``ISO 8601 text``, ``seconds``...)."""
    first = (text or " ")[0]
    if first == '"':
        inner = text[1:-1]
        if re.match(r"\d{4}-\d{2}-\d{2}[T ]", inner):
            return "ISO 8601 text"
        if re.fullmatch(patterns.UUID, inner):
            return "UUID text"
        return "text"
    if first in "[{":
        return "list" if first == "[" else "object"
    if text in ("true", "false"):
        return "boolean"
    if re.fullmatch(r"-?[0-9]{9,10}", text):
        return "a number (seconds?)"
    return "a number"


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' or noun.startswith('IP') else 'a'} {noun}"
