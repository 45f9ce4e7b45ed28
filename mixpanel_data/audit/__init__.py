"""Audit loaded Mixpanel events against a tracking plan, inside the destination.

    from mixpanel_data.audit import load_plan, run_audit, markdown
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.local.connection import open_database

    report = run_audit(open_database(Settings.from_env().database_path), load_plan())
    print(markdown(report)); raise SystemExit(report.exit_code)

``plan`` (the pydantic tracking-plan model), ``sql`` (the passes over ``events``, run inside
DuckDB), ``engine`` (runs them), ``checks`` (turns their rows into findings), ``findings`` (the
check catalog and the report), ``report`` (Markdown and rows), ``draft`` (a plan drafted from
the data), ``learn`` (the naming style and id shapes a draft learns), ``patterns`` (the PII,
identifier and naming tables, and ``redact``, which masks everything a report prints). The
load-time PII policy lives with the source: ``mixpanel_data.sources.mixpanel.pii``.
"""

from __future__ import annotations

from mixpanel_data.audit.draft import draft_plan
from mixpanel_data.audit.engine import run_audit
from mixpanel_data.audit.findings import CHECKS, AuditReport, Finding
from mixpanel_data.audit.plan import (
    TrackingPlan,
    TrackingPlanError,
    default_plan_path,
    dump_plan,
    load_plan,
    parse_plan,
)
from mixpanel_data.audit.report import markdown

__all__ = [
    "CHECKS",
    "AuditReport",
    "Finding",
    "TrackingPlan",
    "TrackingPlanError",
    "default_plan_path",
    "draft_plan",
    "dump_plan",
    "load_plan",
    "markdown",
    "parse_plan",
    "run_audit",
]
