"""Render an audit: a Markdown review report, JSON, or rows for the CLI's table/csv formats.

The Markdown follows the review format teams already use: a summary table by category with
PASS/FAIL, then the findings grouped by severity, each with its counts, the first and last
day seen, a few (masked) examples and the fix.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mixpanel_data.audit.findings import NO_PLAN_NOTE, SEVERITY_LABELS, AuditReport, Finding

ROW_COLUMNS = (
    "severity",
    "category",
    "check",
    "event",
    "property",
    "detail",
    "count",
    "total",
    "first_day",
    "last_day",
    "examples",
)


def markdown(report: AuditReport, today: date | None = None) -> str:
    """The whole report as Markdown."""
    lines = [
        "# Tracking plan audit",
        "",
        (
            "**Plan**: none, default review rules  "
            if report.defaults
            else f"**Plan**: `{report.plan_path or '(in memory)'}`  "
        ),
        f"**Data**: {report.rows:,} events in dataset `{report.dataset}`"
        + (f", {report.first_day} to {report.last_day}" if report.first_day else "")
        + "  ",
        f"**Date**: {(today or date.today()).isoformat()}",
        "",
        *([f"> {NO_PLAN_NOTE}", ""] if report.defaults else []),
        "## Summary",
        "",
        "| Category | Status | Issues | Rows affected |",
        "|----------|--------|--------|---------------|",
    ]
    for row in report.summary():
        lines.append(f"| {row['category']} | {row['status']} | {row['issues']} | {row['rows']:,} |")
    counts = report.counts_by_severity()
    verdict = "FAIL" if report.blocking else "PASS"
    lines += [
        "",
        f"**Result**: {verdict} ({', '.join(f'{n} {s}' for s, n in counts.items())}); "
        + (
            "P0/P1 findings fail the audit (exit 1)."
            if report.blocking
            else "no P0/P1 finding (exit 0)."
        ),
        "",
        "## Issues Found",
        "",
    ]
    if not report.findings:
        rules = "the default review rules" if report.defaults else "the plan"
        lines.append(f"None: the loaded data follows {rules}.")
    for finding in report.findings:
        lines += _finding_markdown(finding)
    return "\n".join(lines).rstrip() + "\n"


def _finding_markdown(finding: Finding) -> list[str]:
    where = " ".join(
        part
        for part in (
            f"`{finding.prop}`" if finding.prop else "",
            "on" if finding.prop and finding.event else "",
            f"`{finding.event}`" if finding.event else "",
        )
        if part
    )
    label = SEVERITY_LABELS[finding.severity]
    lines = [f"### [{finding.severity}] {label} - {finding.spec.title}: {where}", ""]
    lines.append(f"- **Issue**: {finding.detail}")
    lines.append(f"- **Rows**: {_rows_text(finding)}")
    if finding.examples:
        lines.append(f"- **Examples**: {', '.join(_code(x) for x in finding.examples)}")
    lines += [f"- **Fix**: {finding.spec.fix}", ""]
    return lines


def _rows_text(finding: Finding) -> str:
    text = f"{finding.count:,}"
    if finding.total:
        text += f" of {finding.total:,} ({finding.count / finding.total:.1%})"
    if finding.first_day:
        text += f", {finding.first_day} to {finding.last_day}"
    return text


def _code(text: str) -> str:
    return "`` " + text.replace("\n", " ") + " ``" if "`" in text else f"`{text}`"


def rows(report: AuditReport) -> list[list[Any]]:
    """One row per finding in ``ROW_COLUMNS`` order (for table, csv and jsonl output)."""
    return [
        [
            f.severity,
            f.category,
            f.check,
            f.event,
            f.prop,
            f.detail,
            f.count,
            f.total,
            f.first_day,
            f.last_day,
            "; ".join(f.examples),
        ]
        for f in report.findings
    ]
