"""What an audit reports: the catalog of checks (a table), findings, and the whole report.

Severities follow the tracking-plan review convention: ``P0`` personal data (must fix),
``P1`` plan and identity violations, ``P2`` types, naming and conditional rules, ``P3``
coverage. Any P0 or P1 finding makes the audit fail (exit 1), so it can gate CI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

SEVERITY_LABELS = {"P0": "CRITICAL", "P1": "HIGH", "P2": "MEDIUM", "P3": "LOW"}
BLOCKING = ("P0", "P1")

NO_PLAN_NOTE = (
    "No tracking plan: the default review rules ran (personal data by name and value, the "
    "naming convention {prefix}.{object}.{action}[.error], distinct_id shapes, is_cron_job "
    "needs cron_execution_timestamp). Draft a plan from this data with "
    "`mp audit plan --from-data --output tracking_plan.yaml`."
)
"""What a report says when it ran without a plan (Markdown, json, and the CLI's stderr)."""

PII = "PII Protection"
REGISTRATION = "Event Registration"
REQUIRED = "Required Properties"
IDENTITY = "distinct_id Rules"
TYPES = "Property Types"
NAMING = "Naming Convention"
CONDITIONAL = "Conditional Rules"
COVERAGE = "Schema Coverage"
CATEGORIES = (PII, REGISTRATION, REQUIRED, IDENTITY, TYPES, NAMING, CONDITIONAL, COVERAGE)
NEED_A_PLAN = (REGISTRATION, REQUIRED, TYPES, COVERAGE)
"""Categories that compare the data with a list of planned events: not run without a plan."""


@dataclass(frozen=True)
class Check:
    """One kind of finding: its severity, category, title and the fix to suggest."""

    id: str
    severity: str
    category: str
    title: str
    fix: str


_PII_FIX = (
    "stop sending it, or drop or hash it at load time (`pii:` under the pipeline's options "
    "in pipelines.yaml); if it is approved, add it to `pii.allow` in the plan"
)
CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        Check("pii-property-name", "P0", PII, "Property name suggests personal data", _PII_FIX),
        Check("pii-value", "P0", PII, "Values look like personal data", _PII_FIX),
        Check(
            "pii-distinct-id",
            "P0",
            PII,
            "distinct_id holds personal data",
            "identify users by their UUID (or hash distinct_id at load time with `pii.hash`)",
        ),
        Check(
            "event-not-in-plan",
            "P1",
            REGISTRATION,
            "Event is not in the tracking plan",
            "add it under `events:` in the plan (`mp audit plan --from-data` drafts one), "
            "or stop sending it",
        ),
        Check(
            "required-missing",
            "P1",
            REQUIRED,
            "Required property missing",
            "send it on every event (an empty string when a text value is unknown), "
            "or make it optional in the plan",
        ),
        Check(
            "distinct-id-rule",
            "P1",
            IDENTITY,
            "distinct_id breaks the identity rules",
            "use the user's UUID, else a prefixed fallback (org_<uuid>, slack_<id>, "
            "apikey_<id>, webhook_<id>); never a bare organization id",
        ),
        Check(
            "type-mismatch",
            "P2",
            TYPES,
            "Property type mismatch",
            "send the planned type (UUIDs as strings, timestamps as Unix milliseconds)",
        ),
        Check(
            "naming",
            "P2",
            NAMING,
            "Event name breaks the naming convention",
            "rename it to the convention (and keep execution context such as cron out of "
            "names: use is_cron_job)",
        ),
        Check(
            "conditional-rule",
            "P2",
            CONDITIONAL,
            "Conditional rule broken",
            "send the required property whenever the condition holds",
        ),
        Check(
            "event-never-seen",
            "P3",
            COVERAGE,
            "Planned event never seen",
            "check the tracking call, or remove the event from the plan",
        ),
        Check(
            "property-never-seen",
            "P3",
            COVERAGE,
            "Planned property never seen",
            "send it, or remove it from the plan",
        ),
        Check(
            "low-fill",
            "P3",
            COVERAGE,
            "Property rarely filled",
            "check the tracking call sets it; if it is rare by design, say so in its description",
        ),
        Check(
            "undeclared-property",
            "P3",
            COVERAGE,
            "Property not in the plan",
            "declare it under the event's `properties:` in the plan, or stop sending it",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One problem: which check, where (event, property), how often, when, and examples."""

    check: str
    event: str | None
    prop: str | None
    detail: str
    count: int
    total: int
    first_day: date | None
    last_day: date | None
    examples: tuple[str, ...] = ()

    @property
    def spec(self) -> Check:
        return CHECKS[self.check]

    @property
    def severity(self) -> str:
        return self.spec.severity

    @property
    def category(self) -> str:
        return self.spec.category

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    def sort_key(self) -> tuple[Any, ...]:
        """A total order, so the same data always gives the same report (stable CI diffs)."""
        return (
            self.severity,
            CATEGORIES.index(self.category),
            -self.count,
            self.event or "",
            self.prop or "",
            self.check,
            self.detail,
            self.examples,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["property"] = out.pop("prop")
        out.update(
            severity=self.severity,
            category=self.category,
            title=self.spec.title,
            fix=self.spec.fix,
            examples=list(self.examples),
        )
        for key in ("first_day", "last_day"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass
class AuditReport:
    """Every finding of one audit, with what was audited."""

    plan_path: str
    dataset: str
    rows: int
    first_day: date | None
    last_day: date | None
    findings: list[Finding] = field(default_factory=list)
    duration_seconds: float = 0.0
    """How long it took: for the status line only, never in a report (reports are stable)."""
    defaults: bool = False
    """No plan was given: only the default review rules ran (see ``NO_PLAN_NOTE``)."""

    def __post_init__(self) -> None:
        self.findings.sort(key=Finding.sort_key)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity in BLOCKING]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0

    def summary(self) -> list[dict[str, Any]]:
        """One row per category: PASS/FAIL, number of findings, rows affected."""
        rows = []
        for category in CATEGORIES:
            found = [f for f in self.findings if f.category == category]
            status = "FAIL" if found else "PASS"
            if self.defaults and category in NEED_A_PLAN:
                status = "NOT RUN"
            rows.append(
                {
                    "category": category,
                    "status": status,
                    "issues": len(found),
                    "rows": sum(f.count for f in found),
                }
            )
        return rows

    def counts_by_severity(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITY_LABELS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": None if self.defaults else self.plan_path,
            "defaults": self.defaults,
            "note": NO_PLAN_NOTE if self.defaults else None,
            "dataset": self.dataset,
            "rows": self.rows,
            "date_range": [str(self.first_day), str(self.last_day)] if self.first_day else None,
            "result": "FAIL" if self.blocking else "PASS",
            "exit_code": self.exit_code,
            "by_severity": self.counts_by_severity(),
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.findings],
        }
