"""A plan drafted from the data describes it: it round-trips and audits its data cleanly."""

from __future__ import annotations

import pytest

from mixpanel_data.audit import draft_plan, dump_plan, parse_plan, run_audit
from mixpanel_data.audit.draft import infer

PLAN_SHAPED = {
    "event-not-in-plan",
    "required-missing",
    "type-mismatch",
    "property-never-seen",
    "undeclared-property",
    "event-never-seen",
}


def test_drafted_plan_round_trips_through_yaml(seeded_db, connect):
    drafted = draft_plan(connect(seeded_db))
    text = dump_plan(drafted)

    assert parse_plan(text) == drafted
    assert text.startswith("# Tracking plan")


def test_auditing_with_the_draft_finds_no_plan_shaped_problem(seeded_db, connect):
    con = connect(seeded_db)
    report = run_audit(con, parse_plan(dump_plan(draft_plan(con))))

    assert not {f.check for f in report.findings} & PLAN_SHAPED
    assert {f.check for f in report.findings if f.severity == "P0"} == {
        "pii-property-name",
        "pii-value",
        "pii-distinct-id",
    }


def test_draft_infers_types_fill_and_enums(clean_db, connect):
    drafted = draft_plan(connect(clean_db))
    survey = drafted.events["svc.surveys.survey_delivered"].properties
    plan_props = drafted.events["svc.map.action_plan_created"].properties

    assert survey["survey_id"].type == "string" and survey["survey_id"].format == "uuid"
    assert survey["survey_id"].required
    assert survey["recipient_count"].type == "number"
    assert survey["survey_ids"].type == "list"
    assert survey["is_cron_job"].type == "boolean" and not survey["is_cron_job"].required
    assert survey["cron_execution_timestamp"].type == "datetime-ms"
    assert survey["organization_name"].type == "string"  # one value is not an enum
    assert plan_props["due_at"].type == "datetime-ms"
    assert drafted.events["svc.auth.login_succeeded"].properties["sso_provider"].description == (
        "Filled on 1.0% of events."
    )
    assert "$city" not in survey and "time" not in survey  # system properties stay out
    assert drafted.events["svc.jobs.cron_cleanup"].description.startswith("Drafted from 4 events")


def test_draft_date_window(seeded_db, connect):
    from datetime import date

    drafted = draft_plan(connect(seeded_db), first=date(2024, 3, 10), last=date(2024, 3, 10))
    assert "svc.surveys.survey_archived" not in drafted.events  # its last day is 2024-03-09


#: (present, strings, uuids, booleans, numbers, millis, arrays, lists, objects, distinct, top)
PROFILES = [
    ((50, 0, 0, 50, 0, 0, 0, 0, 0, 0, None), "boolean"),
    ((50, 0, 0, 0, 50, 50, 0, 0, 0, 0, None), "datetime-ms"),
    ((50, 0, 0, 0, 50, 10, 0, 0, 0, 0, None), "number"),
    ((50, 50, 50, 0, 0, 0, 0, 0, 0, 50, ['"x"']), "string"),
    ((50, 50, 0, 0, 0, 0, 0, 0, 0, 2, ['"b"', '"a"']), "enum"),
    ((10, 10, 0, 0, 0, 0, 0, 0, 0, 2, ['"b"', '"a"']), "string"),
    ((50, 0, 0, 0, 0, 0, 50, 50, 0, 0, None), "list"),
    ((50, 0, 0, 0, 0, 0, 50, 20, 0, 0, None), "array"),
    ((50, 0, 0, 0, 0, 0, 0, 0, 50, 0, None), "object"),
    ((50, 25, 0, 0, 25, 0, 0, 0, 0, 3, None), "any"),
]


@pytest.mark.parametrize(
    ("profile", "type_"),
    PROFILES,
    ids=[
        "boolean",
        "millis",
        "number",
        "uuid",
        "enum",
        "too-few-for-enum",
        "list",
        "array",
        "object",
        "mixed",
    ],
)
def test_inference(profile, type_):
    spec = infer(profile, 100)
    assert spec.type == type_
    assert not spec.required
    if type_ == "enum":
        assert spec.values == ["a", "b"]
    if type_ == "any":
        assert "Mixed types: text 50%, number 50%" in spec.description
