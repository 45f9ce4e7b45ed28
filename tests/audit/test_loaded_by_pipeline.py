"""The audit on a table the real pipeline loaded (stand-in, dlt, DuckDB), not a hand-made one."""

from __future__ import annotations

from datetime import date

from mixpanel_data.audit import draft_plan, dump_plan, parse_plan, run_audit
from mixpanel_data.local.connection import open_database


def test_draft_and_audit_a_pipeline_loaded_project(standin_env, monkeypatch):
    env = standin_env(start=date(2024, 3, 8), days=2, events_per_day=300, profiles=40)
    env.run("events", from_date=env.project.days[0], to_date=env.project.days[-1])

    con = open_database(env.data_dir / "mixpanel_data.duckdb")
    try:
        drafted = parse_plan(dump_plan(draft_plan(con)))
        report = run_audit(con, drafted)
    finally:
        con.close()

    checks = {f.check for f in report.findings}
    assert not checks & {
        "event-not-in-plan",
        "required-missing",
        "type-mismatch",
        "undeclared-property",
        "property-never-seen",
    }
    # The stand-in's names ("Page View") and email distinct_ids break the conventions.
    naming = {f.event for f in report.findings if f.check == "naming"}
    assert naming == set(drafted.events)
    emails = [f for f in report.findings if f.check == "pii-distinct-id"]
    assert emails and all("@example.com" in x and "***" in x for f in emails for x in f.examples)
    assert report.rows == env.rows("SELECT count(*) FROM mixpanel.events")[0][0]
    assert report.exit_code == 1
