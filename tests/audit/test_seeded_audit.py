"""The audit on a generated project seeded with known violations finds exactly those."""

from __future__ import annotations

import json
from datetime import date

from mixpanel_data.audit import CHECKS, markdown, run_audit
from mixpanel_data.audit.findings import CATEGORIES


def found(report):
    return {(f.check, f.event, f.prop, f.count, f.first_day, f.last_day) for f in report.findings}


def test_finds_exactly_the_seeded_violations(seeded_db, seeded_project, plan, connect):
    report = run_audit(connect(seeded_db), plan)

    assert found(report) == seeded_project.expected
    assert report.rows == len(seeded_project.rows)
    assert report.exit_code == 1


def test_seeds_cover_every_check_and_severity(seeded_project):
    assert {e[0] for e in seeded_project.expected} == set(CHECKS)


def test_clean_part_raises_no_false_alarm(clean_db, clean_project, plan, connect):
    """Only the plan-side seeds of the clean part remain (P2 naming and P3 coverage)."""
    report = run_audit(connect(clean_db), plan)

    assert found(report) == clean_project.expected
    assert {f.severity for f in report.findings} == {"P2", "P3"}
    assert report.exit_code == 0


def test_totals_are_the_rows_each_check_looked_at(seeded_db, seeded_project, plan, connect):
    """The rows of the event; for a conditional rule, the rows meeting its condition."""
    report = run_audit(connect(seeded_db), plan)
    per_event: dict[str, int] = {}
    for row in seeded_project.rows:
        per_event[row["event_name"]] = per_event.get(row["event_name"], 0) + 1
    cron = sum(1 for row in seeded_project.rows if '"is_cron_job":true' in row["properties"])
    for finding in report.findings:
        if finding.check == "conditional-rule":
            assert finding.total == cron
        elif finding.event and finding.total:
            assert finding.total == per_event[finding.event], finding


def test_personal_data_examples_are_masked(seeded_db, plan, connect):
    report = run_audit(connect(seeded_db), plan)
    text = markdown(report) + json.dumps(report.to_dict())

    for raw in (
        "ana.0@example.com",
        "bob.0@example.com",
        "+14155550123",
        "10.0.12.7",
        "12 Main Street",
        '"Ana"',
    ):
        assert raw not in text
    pii = [f for f in report.findings if f.severity == "P0"]
    assert pii and all(f.examples for f in pii)
    assert all("***" in x for f in pii for x in f.examples)


def test_examples_show_the_bad_values(seeded_db, plan, connect):
    report = run_audit(connect(seeded_db), plan)
    by_key = {(f.check, f.event, f.prop): f for f in report.findings}

    due = by_key[("type-mismatch", "svc.map.action_plan_created", "due_at")]
    assert due.examples == ('"2024-03-05T10:00:00Z"',)
    assert "ISO 8601 text" in due.detail
    employee = by_key[("type-mismatch", "svc.auth.login_succeeded", "employee_id")]
    assert set(employee.examples) == {"12345", "12346", "12347"}
    assert "uuid string" in employee.detail and "number" in employee.detail
    cron = by_key[("conditional-rule", "svc.surveys.survey_delivered", "cron_execution_timestamp")]
    assert set(cron.examples) == {'"(absent)"', "1709290000"}


def test_date_window_limits_what_is_audited(seeded_db, plan, connect):
    report = run_audit(connect(seeded_db), plan, first=date(2024, 3, 10), last=date(2024, 3, 10))

    assert report.first_day == report.last_day == date(2024, 3, 10)
    checks = {(f.check, f.event, f.prop) for f in report.findings if f.severity == "P0"}
    assert checks == {("pii-value", "svc.auth.login_succeeded", "client_host")}


def test_markdown_report_renders_summary_then_findings_by_severity(seeded_db, plan, connect):
    report = run_audit(connect(seeded_db), plan, plan_path="tracking_plan.yaml")
    text = markdown(report, today=date(2024, 4, 1))
    lines = text.splitlines()

    assert lines[0] == "# Tracking plan audit"
    assert "**Date**: 2024-04-01" in text and "`tracking_plan.yaml`" in text
    for category in CATEGORIES:
        assert f"| {category} | FAIL |" in text
    headings = [line for line in lines if line.startswith("### [")]
    assert len(headings) == len(report.findings)
    severities = [h[5:7] for h in headings]
    assert severities == sorted(severities)
    assert headings[0].startswith("### [P0] CRITICAL - ")
    assert "**Result**: FAIL (7 P0, 7 P1, 9 P2, 4 P3)" in text
    assert text.index("## Summary") < text.index("## Issues Found")


def test_markdown_of_a_clean_audit_passes(clean_db, plan, connect):
    report = run_audit(connect(clean_db), plan.model_copy(update={"rules": []}))
    text = markdown(report)

    assert "| PII Protection | PASS | 0 | 0 |" in text
    assert "no P0/P1 finding (exit 0)" in text


def test_json_report_is_complete(seeded_db, plan, connect):
    data = run_audit(connect(seeded_db), plan).to_dict()

    assert data["result"] == "FAIL" and data["exit_code"] == 1
    assert data["by_severity"] == {"P0": 7, "P1": 7, "P2": 9, "P3": 4}
    first = data["findings"][0]
    assert {
        "severity",
        "category",
        "check",
        "event",
        "property",
        "count",
        "total",
        "first_day",
        "last_day",
        "examples",
        "fix",
        "title",
        "detail",
    } <= set(first)
    json.dumps(data)


def test_allowing_a_property_silences_its_pii_findings(seeded_db, plan, connect):
    allowed = plan.model_copy(deep=True)
    allowed.pii.allow += ["client_host", "first_name"]
    report = run_audit(connect(seeded_db), allowed)
    props = {f.prop for f in report.findings if f.severity == "P0"}

    assert "client_host" not in props and "first_name" not in props
    assert "user_email" in props
