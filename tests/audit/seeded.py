"""A generated project seeded with known violations of every kind, and the plan it breaks.

``build()`` returns the rows (clean part first, then one block per seeded violation) and the
exact findings an audit must report: (check, event, property, count, first day, last day).
Rows go straight into a DuckDB ``mixpanel.events`` table with the destination's columns.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

DAY0 = date(2024, 3, 1)
DAYS = 10
ORG = "5f0c6a2e-1b7d-4c1e-9a55-3d2f0b7e8c41"

PLAN_YAML = """\
# Plan of the seeded project (svc.* events of an HR analytics backend).
common_properties:
  employee_id: {type: string, format: uuid, required: true, description: Employee UUID}
  organization_id: {type: string, format: uuid, required: true}
  organization_name: {type: string, required: true}
  role: {type: enum, values: [admin, employee, manager], required: true}
  is_cron_job: boolean
  cron_execution_timestamp: datetime-ms
events:
  svc.surveys.survey_delivered:
    description: A survey reached its recipients.
    properties:
      survey_id: {type: string, format: uuid, required: true}
      channel: {type: enum, values: [email, slack], required: true}
      recipient_count: {type: number, required: true}
      survey_ids: list
  svc.map.action_plan_created:
    properties:
      plan_id: {type: string, format: uuid, required: true}
      due_at: {type: datetime-ms, required: true}
      tags: list
      comment: string
      template_id: {type: string, description: never sent (seeded P3)}
  svc.auth.login_succeeded:
    properties:
      method: {type: enum, values: [password, sso], required: true}
      impersonation: {type: boolean, required: true}
      client_host: string
      sso_provider: {type: string, description: rarely sent (seeded P3)}
  svc.jobs.cron_cleanup:
    properties:
      removed: number
  svc.billing.invoice_paid:
    description: never sent (seeded P3)
"""


@dataclass
class Project:
    rows: list[dict[str, Any]] = field(default_factory=list)
    expected: set[tuple[Any, ...]] = field(default_factory=set)
    seq: int = 0

    def uid(self, label: str) -> str:
        self.seq += 1
        return str(uuid.UUID(hashlib.md5(f"{label}{self.seq}".encode()).hexdigest()))

    def add(self, event: str, day: date, props: dict[str, Any], distinct_id: Any = "user") -> None:
        props = dict(props)
        if distinct_id == "user":
            distinct_id = props.get("employee_id")
        if distinct_id is not None:
            props["distinct_id"] = distinct_id
        self.seq += 1
        ts = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=self.seq)
        props.update(
            {
                "time": int(ts.timestamp()),
                "$insert_id": f"ins{self.seq:06d}",
                "mp_processing_time_ms": int(ts.timestamp() * 1000) + 5,
                "mp_lib": "python",
                "$lib_version": "4.10.1",
                "$city": "Paris",
                "$current_url": "https://app.example.com/surveys",
            }
        )
        self.rows.append(
            {
                "event_key": hashlib.md5(f"k{self.seq}".encode()).hexdigest(),
                "event_name": event,
                "event_time": ts,
                "event_date": day,
                "export_date": day,
                "distinct_id": distinct_id,
                "insert_id": props["$insert_id"],
                "mp_processing_time_ms": props["mp_processing_time_ms"],
                "properties": json.dumps(props, separators=(",", ":"), ensure_ascii=False),
            }
        )

    def expect(
        self,
        check: str,
        event: str,
        prop: str | None,
        count: int,
        first: date | None,
        last: date | None,
    ) -> None:
        self.expected.add((check, event, prop, count, first, last))


def base(p: Project, **extra: Any) -> dict[str, Any]:
    return {
        "employee_id": p.uid("emp"),
        "organization_id": ORG,
        "organization_name": "Acme Corp",
        "role": "employee",
        **extra,
    }


def survey(p: Project, **extra: Any) -> dict[str, Any]:
    defaults = {
        "survey_id": p.uid("s"),
        "channel": "email",
        "recipient_count": 12,
        "survey_ids": [p.uid("s")],
    }
    return base(p, **{**defaults, **extra})


def action_plan(p: Project, **extra: Any) -> dict[str, Any]:
    defaults = {
        "plan_id": p.uid("p"),
        "due_at": 1709888400000,
        "tags": ["q1"],
        "comment": "looks good",
    }
    return base(p, **{**defaults, **extra})


def login(p: Project, **extra: Any) -> dict[str, Any]:
    defaults = {"method": "password", "impersonation": False, "client_host": "app-server-1"}
    return base(p, **{**defaults, **extra})


def day(i: int) -> date:
    return DAY0 + timedelta(days=i % DAYS)


SURVEY, PLAN, LOGIN = (
    "svc.surveys.survey_delivered",
    "svc.map.action_plan_created",
    ("svc.auth.login_succeeded"),
)


def clean(p: Project) -> None:
    """Rows that follow the plan, every accepted distinct_id shape and the cron rule."""
    for i in range(300):
        props = survey(p)
        if i % 10 == 0:
            props.update(is_cron_job=True, cron_execution_timestamp=1709290000000 + i)
        elif i % 10 == 1:
            props["is_cron_job"] = False
        shapes = {0: f"org_{ORG}", 1: "slack_T024BE7LD", 2: "apikey_k7Xq2", 3: "webhook_wh-19"}
        p.add(SURVEY, day(i), props, shapes.get(i % 20, "user"))
    for i in range(200):
        p.add(PLAN, day(i), action_plan(p))
    for i in range(200):
        p.add(LOGIN, day(i), login(p, sso_provider="okta") if i in (5, 6) else login(p))
    for i in range(4):
        p.add("svc.jobs.cron_cleanup", day(i), base(p, removed=3))
    p.expect("low-fill", LOGIN, "sso_provider", 2, day(5), day(6))
    p.expect("naming", "svc.jobs.cron_cleanup", None, 4, day(0), day(3))
    p.expect("event-never-seen", "svc.billing.invoice_paid", None, 0, None, None)
    p.expect("property-never-seen", PLAN, "template_id", 0, None, None)


def personal_data(p: Project) -> None:
    """P0: PII property names, PII-looking values, and emails as distinct_id."""
    for i in range(7):
        p.add(SURVEY, day(2 + i % 3), survey(p, user_email=f"ana.{i}@example.com"))
    p.expect("pii-property-name", SURVEY, "user_email", 7, day(2), day(4))
    for _ in range(4):
        p.add(LOGIN, day(7), login(p, first_name="Ana"))
    p.expect("pii-property-name", LOGIN, "first_name", 4, day(7), day(7))
    for i, (text, kind_days) in enumerate(
        [("contact ana@example.com", 5), ("+14155550123", 3), ("ship to 12 Main Street", 2)]
    ):
        for j in range(kind_days):
            p.add(PLAN, day(i + j), action_plan(p, comment=text))
        p.expect("pii-value", PLAN, "comment", kind_days, day(i), day(i + kind_days - 1))
    for _ in range(6):
        p.add(LOGIN, day(9), login(p, client_host="10.0.12.7"))
    p.expect("pii-value", LOGIN, "client_host", 6, day(9), day(9))
    for i in range(3):
        p.add(LOGIN, day(1), login(p), distinct_id=f"bob.{i}@example.com")
    p.expect("pii-distinct-id", LOGIN, "distinct_id", 3, day(1), day(1))


def plan_violations(p: Project) -> None:
    """P1: unplanned events, required properties missing, distinct_id rules broken."""
    for i in range(9):
        p.add("svc.surveys.survey_archived", day(i), base(p))
    p.expect("event-not-in-plan", "svc.surveys.survey_archived", None, 9, day(0), day(8))
    for _ in range(4):
        props = survey(p)
        del props["survey_id"]
        p.add(SURVEY, day(3), props)
    for _ in range(2):
        p.add(SURVEY, day(4), survey(p, channel=None))
    p.expect("required-missing", SURVEY, "survey_id", 4, day(3), day(3))
    p.expect("required-missing", SURVEY, "channel", 2, day(4), day(4))
    for _ in range(5):
        p.add(PLAN, day(5), action_plan(p), distinct_id=ORG)
    for i in range(3):
        p.add(SURVEY, day(6), survey(p), distinct_id=f"user-{i}")
    for _ in range(2):
        p.add(LOGIN, day(8), login(p), distinct_id=None)
    p.expect("distinct-id-rule", PLAN, "distinct_id", 5, day(5), day(5))
    p.expect("distinct-id-rule", SURVEY, "distinct_id", 3, day(6), day(6))
    p.expect("distinct-id-rule", LOGIN, "distinct_id", 2, day(8), day(8))


def type_and_rule_violations(p: Project) -> None:
    """P2: wrong types, names off the convention, the cron rule; P3: undeclared property."""
    for i in range(3):
        p.add(LOGIN, day(2), login(p, employee_id=12345 + i), distinct_id=p.uid("u"))
    p.expect("type-mismatch", LOGIN, "employee_id", 3, day(2), day(2))
    for i in range(4):
        p.add(PLAN, day(6 + i % 2), action_plan(p, due_at="2024-03-05T10:00:00Z"))
    p.expect("type-mismatch", PLAN, "due_at", 4, day(6), day(7))
    for _ in range(2):
        p.add(SURVEY, day(1), survey(p, recipient_count="12"))
    p.expect("type-mismatch", SURVEY, "recipient_count", 2, day(1), day(1))
    for _ in range(3):
        p.add(SURVEY, day(2), survey(p, channel="sms"))
    p.expect("type-mismatch", SURVEY, "channel", 3, day(2), day(2))
    for _ in range(2):
        p.add(PLAN, day(3), action_plan(p, tags=["q1", 7]))
    p.expect("type-mismatch", PLAN, "tags", 2, day(3), day(3))
    for i in range(6):
        p.add("Survey Delivered", day(i), base(p))
    p.expect("naming", "Survey Delivered", None, 6, day(0), day(5))
    p.expect("event-not-in-plan", "Survey Delivered", None, 6, day(0), day(5))
    for _ in range(3):
        p.add(SURVEY, day(7), survey(p, is_cron_job=True))
    for _ in range(2):
        p.add(SURVEY, day(8), survey(p, is_cron_job=True, cron_execution_timestamp=1709290000))
    p.expect("conditional-rule", SURVEY, "cron_execution_timestamp", 5, day(7), day(8))
    p.expect("type-mismatch", SURVEY, "cron_execution_timestamp", 2, day(8), day(8))
    for _ in range(3):
        p.add(SURVEY, day(9), survey(p, debug_payload={"x": 1}))
    p.expect("undeclared-property", SURVEY, "debug_payload", 3, day(9), day(9))


def build(seeded: bool = True) -> Project:
    p = Project()
    clean(p)
    if seeded:
        personal_data(p)
        plan_violations(p)
        type_and_rule_violations(p)
    return p


COLUMNS = pa.schema(
    [
        ("event_key", pa.string()),
        ("event_name", pa.string()),
        ("event_time", pa.timestamp("us", tz="UTC")),
        ("event_date", pa.date32()),
        ("export_date", pa.date32()),
        ("distinct_id", pa.string()),
        ("insert_id", pa.string()),
        ("mp_processing_time_ms", pa.int64()),
        ("properties", pa.string()),
    ]
)


def write(project: Project, database: Path) -> Path:
    """Store the rows as ``mixpanel.events`` (properties as JSON) in a DuckDB file."""
    database.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(project.rows, schema=COLUMNS)
    con = duckdb.connect(str(database))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS mixpanel")
        con.register("seed_rows", table)
        con.execute(
            "CREATE OR REPLACE TABLE mixpanel.events AS "
            "SELECT * REPLACE (properties::JSON AS properties) FROM seed_rows"
        )
    finally:
        con.close()
    return database
