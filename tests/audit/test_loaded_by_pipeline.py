"""The audit on a table the real pipeline loaded (stand-in, dlt, DuckDB), not a hand-made one."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from mixpanel_data.audit import draft_plan, dump_plan, parse_plan, patterns, run_audit
from mixpanel_data.audit.draft import draft_notes
from mixpanel_data.local.connection import open_database

PII_CHECKS = {"pii-property-name", "pii-value", "pii-distinct-id"}


def test_draft_and_audit_a_pipeline_loaded_project(standin_env, monkeypatch):
    """A draft describes what it saw: auditing the same data with it finds only personal data.

    The stand-in's names ("Page View", "Café ☕ ordered") break the default convention and its
    ids are hex, numbers, ``u-N`` and emails; the draft learns the names and id shapes, so only
    the email distinct_ids (P0) remain.
    """
    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=300, profiles=40)
    env.run("events", from_date=env.project.days[0], to_date=env.project.days[-1])

    con = open_database(env.data_dir / "mixpanel_data.duckdb")
    try:
        drafted = draft_plan(con)
        text = dump_plan(drafted, notes=draft_notes(drafted))
        report = run_audit(con, parse_plan(text))
        without_plan = run_audit(con, None)
    finally:
        con.close()

    assert {f.check for f in report.findings} == {"pii-distinct-id"}
    emails = [f for f in report.findings if f.check == "pii-distinct-id"]
    assert all("@example.com" in x and "***" in x for f in emails for x in f.examples)
    assert "#     pattern: '[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){2,}'" in text  # the seeds' rule
    assert report.rows == env.rows("SELECT count(*) FROM mixpanel.events")[0][0]
    assert report.exit_code == 1
    # Without a plan the same data breaks the default naming and id rules, as it should:
    # exactly these findings, counted here in Python from the loaded rows.
    loaded = env.rows("SELECT event_name, distinct_id FROM mixpanel.events")
    assert {(f.check, f.event, f.detail, f.count) for f in without_plan.findings} == expected(
        loaded
    )
    assert without_plan.defaults and without_plan.exit_code == 1


def expected(rows: list[tuple[str, str | None]]) -> set[tuple[str, str, str, int]]:
    """The default review rules applied by hand: every stand-in name breaks the convention
    (Title Case), emails are P0, and hex, numeric, ``u-N`` and ``$device:`` ids fit no shape."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for event, distinct_id in rows:
        counts[("naming", event, "does not match the naming pattern")] += 1
        if not distinct_id:
            counts[("distinct-id-rule", event, "distinct_id missing")] += 1
        elif re.fullmatch(patterns.EMAIL, distinct_id):
            counts[("pii-distinct-id", event, "distinct_id is an email address")] += 1
        elif not any(re.fullmatch(p, distinct_id) for _, p in patterns.DEFAULT_DISTINCT_IDS):
            counts[("distinct-id-rule", event, "distinct_id matches no accepted shape")] += 1
    convention = f" (convention {patterns.DEFAULT_CONVENTION})"
    return {
        (check, event, detail + (convention if check == "naming" else ""), n)
        for (check, event, detail), n in counts.items()
    }
