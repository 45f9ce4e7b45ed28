"""Run the audit: a handful of SQL passes inside the destination, turned into findings.

The data never leaves DuckDB: each pass (``sql.py``) aggregates millions of events into a few
rows per event and property, and only those rows come back to Python to become findings.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pyarrow as pa

from mixpanel_data.audit import patterns, sql
from mixpanel_data.audit.checks import (
    check_declared,
    check_distinct_ids,
    check_events,
    check_pii_names,
    check_pii_values,
    check_rule,
    check_undeclared,
    example,
)
from mixpanel_data.audit.findings import AuditReport, Finding
from mixpanel_data.audit.plan import TrackingPlan
from mixpanel_data.exceptions import QueryError, TableNotFoundError
from mixpanel_data.local.sqltext import json_path

Day = date | None


@dataclass
class Inventory:
    """What the data holds: rows per event and per (event, property key)."""

    events: dict[str, tuple[int, Day, Day]]
    keys: dict[tuple[str, str], tuple[int, Day, Day]]

    @property
    def rows(self) -> int:
        return sum(n for n, _, _ in self.events.values())

    def span(self) -> tuple[Day, Day]:
        firsts = [f for _, f, _ in self.events.values() if f]
        lasts = [last for _, _, last in self.events.values() if last]
        return (min(firsts) if firsts else None, max(lasts) if lasts else None)

    def keys_of(self, event: str) -> list[str]:
        return sorted(k for e, k in self.keys if e == event)


@dataclass
class Context:
    """One audit in progress: the connection, the scope CTE, the plan and the findings."""

    con: Any
    scope: str
    plan: TrackingPlan
    inventory: Inventory
    registry: bool = True
    """Whether the plan lists the events (False: no plan, the default review rules only)."""
    findings: list[Finding] = field(default_factory=list)
    wanted: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        try:
            return list(self.con.execute(query).fetchall())
        except Exception as exc:  # DuckDB's or a warehouse driver's (no common base): re-raised
            first = str(exc).splitlines()[0]
            raise QueryError(
                f"The audit query failed ({first}): is this a loaded events table?"
            ) from None

    def add(
        self,
        check: str,
        event: str | None,
        prop: str | None,
        detail: str,
        count: int,
        total: int,
        first: Day,
        last: Day,
        examples: Iterable[str] = (),
    ) -> int:
        self.findings.append(
            Finding(
                check, event, prop, detail, int(count), int(total), first, last, tuple(examples)
            )
        )
        return len(self.findings) - 1


def events_table(con: Any, dataset: str | None) -> tuple[str, str]:
    """(dataset, qualified table) of the loaded events; ``dataset`` None picks ``mixpanel``."""
    rows = con.execute(
        "SELECT schema_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = 'events' ORDER BY schema_name != 'mixpanel', schema_name"
    ).fetchall()
    schemas = [r[0] for r in rows]
    if dataset is None and schemas:
        dataset = schemas[0]
    if dataset is None or dataset not in schemas:
        raise TableNotFoundError(
            f"No events table{f' in dataset {dataset!r}' if dataset else ''}: load events "
            "first with `mp run events --from DATE --to DATE` (or pass --dataset)."
        )
    return dataset, f'"{dataset}"."events"'


def run_audit(
    con: Any,
    plan: TrackingPlan | None,
    *,
    dataset: str | None = None,
    first: date | None = None,
    last: date | None = None,
    plan_path: str = "",
) -> AuditReport:
    """Audit the loaded events of ``dataset`` (between ``first`` and ``last``) against ``plan``.

    ``plan`` None runs the review rules every team shares with their defaults (personal data
    by name and value, the naming convention, distinct_id shapes, the cron rule): the checks
    that need a list of events (registration, required properties, types, coverage) are left
    out, and the report says so.
    """
    started = time.monotonic()
    dataset, table = events_table(con, dataset)
    scope = sql.scope(table, first, last)
    registry = plan is not None
    plan = plan if plan is not None else TrackingPlan()
    ctx = Context(con, scope, plan, read_inventory(con, scope), registry=registry)
    check_events(ctx)
    flagged = check_pii_names(ctx)
    if registry:
        check_undeclared(ctx, flagged)
        check_declared(ctx)
    if plan.pii.check_values:
        check_pii_values(ctx, flagged)
    check_distinct_ids(ctx)
    for rule in plan.rules:
        check_rule(ctx, rule)
    fill_examples(ctx)
    span = ctx.inventory.span()
    return AuditReport(
        plan_path=plan_path if registry else "",
        dataset=dataset,
        rows=ctx.inventory.rows,
        first_day=span[0],
        last_day=span[1],
        findings=[redacted(f) for f in ctx.findings],
        duration_seconds=time.monotonic() - started,
        defaults=not registry,
    )


def redacted(finding: Finding) -> Finding:
    """The finding with every text a report prints passed through ``patterns.redact``.

    Examples are masked where they are picked; this last pass also covers event and property
    names and details, whatever check produced them, so no report format prints raw PII.
    """
    return replace(
        finding,
        event=None if finding.event is None else patterns.redact(finding.event),
        prop=None if finding.prop is None else patterns.redact(finding.prop),
        detail=patterns.redact(finding.detail),
        examples=tuple(dict.fromkeys(patterns.redact(x) for x in finding.examples)),
    )


def read_inventory(con: Any, scope: str) -> Inventory:
    ctx_rows = con.execute(sql.events_sql(scope)).fetchall()
    key_rows = con.execute(sql.keys_sql(scope)).fetchall()
    return Inventory(
        events={e or "": (n, f, last) for e, n, f, last in ctx_rows},
        keys={(e or "", k): (n, f, last) for e, k, n, f, last in key_rows},
    )


def fill_examples(ctx: Context) -> None:
    """The commonest values of findings that asked for them, in one pass."""
    if not ctx.wanted:
        return
    pairs = list(ctx.wanted)
    table = pa.table(
        {
            "event_name": [e for e, _ in pairs],
            "key": [k for _, k in pairs],
            "path": [json_path(k) for _, k in pairs],
        }
    )
    ctx.con.register("wanted", table)
    try:
        rows = ctx.rows(sql.examples_sql(ctx.scope))
    finally:
        ctx.con.unregister("wanted")
    for event, key, examples in rows:
        for index in ctx.wanted[(event, key)]:
            finding = ctx.findings[index]
            force = finding.severity == "P0"
            shown = tuple(example(x, force_mask=force) for x in examples or [])
            ctx.findings[index] = replace(finding, examples=shown)
