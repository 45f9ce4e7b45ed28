"""A plan drafted from the data describes it: it round-trips and audits its data cleanly."""

from __future__ import annotations

import re

import pytest

from mixpanel_data.audit import TrackingPlan, draft_plan, dump_plan, parse_plan, run_audit
from mixpanel_data.audit.draft import draft_notes, infer
from mixpanel_data.audit.learn import fill_threshold, learn_naming, signature_regex

from .test_seeded_audit import found

PII_CHECKS = {"pii-property-name", "pii-value", "pii-distinct-id"}


def test_drafted_plan_round_trips_through_yaml(seeded_db, connect):
    drafted = draft_plan(connect(seeded_db))
    text = dump_plan(drafted)

    assert parse_plan(text) == drafted
    assert text.startswith("# Tracking plan")


def test_auditing_its_own_data_with_the_draft_finds_only_personal_data(
    seeded_db, seeded_project, connect
):
    """The draft learns naming, id shapes and rules from the data; only real PII remains."""
    con = connect(seeded_db)
    drafted = draft_plan(con)
    report = run_audit(con, parse_plan(dump_plan(drafted, notes=draft_notes(drafted))))

    pii = {e for e in seeded_project.expected if e[0] in PII_CHECKS}
    assert found(report) == pii
    assert report.exit_code == 1


def test_a_draft_of_clean_data_passes_it_and_gates_what_comes_next(clean_db, seeded_db, connect):
    """A CI baseline: exit 0 on the data it came from, exit 1 once personal data arrives."""
    drafted = parse_plan(dump_plan(draft_plan(connect(clean_db))))

    clean = run_audit(connect(clean_db), drafted)
    later = run_audit(connect(seeded_db), drafted)

    assert clean.findings == [] and clean.exit_code == 0
    assert later.exit_code == 1 and {f.check for f in later.blocking} >= PII_CHECKS


def test_draft_describes_the_names_and_ids_it_saw(seeded_db, connect):
    drafted = draft_plan(connect(seeded_db))
    text = dump_plan(drafted, notes=draft_notes(drafted))

    assert re.fullmatch(drafted.naming.pattern, "Survey Delivered")
    assert re.fullmatch(drafted.naming.pattern, "svc.jobs.cron_cleanup")
    assert not re.fullmatch(drafted.naming.pattern, "surveyDelivered")
    assert drafted.naming.forbidden_words == []  # "cron" is in a name it saw
    shapes = {a.name: a.pattern for a in drafted.distinct_id.allowed}
    assert shapes["learnt: user-<number>"] == "user-[0-9]+"
    assert "user UUID" in shapes and "Slack fallback" in shapes
    assert drafted.distinct_id.not_equal_to == [] and not drafted.distinct_id.required
    assert drafted.rules == []  # the seeded data breaks the cron rule
    assert drafted.thresholds.low_fill == 0.009  # sso_provider: 2 of 218 events
    # The tracking skill's convention is offered as a comment above each learnt section.
    for key in ("naming", "distinct_id", "rules", "thresholds"):
        assert f"#   {key}:" in text
    assert "#     forbidden_words:\n#     - cron" in text


def test_a_draft_of_data_that_follows_the_defaults_keeps_them(clean_db, connect):
    con = connect(clean_db)
    con_plan = draft_plan(con)

    assert con_plan.distinct_id == TrackingPlan().distinct_id
    assert con_plan.rules == TrackingPlan().rules
    assert con_plan.naming.pattern == TrackingPlan().naming.pattern


def test_personal_values_never_become_enum_values(seeded_db, connect):
    drafted = draft_plan(connect(seeded_db))
    text = dump_plan(drafted)

    comment = drafted.events["svc.map.action_plan_created"].properties["comment"]
    assert comment.type == "string" and comment.values is None
    for raw in ("+14155550123", "ana@example.com", "12 Main Street", "10.0.12.7"):
        assert raw not in text


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


@pytest.mark.parametrize(
    ("names", "fits", "misses"),
    [
        (["svc.a.b", "svc.a.c.error"], ["svc.x.y"], ["Svc X", "svc.x"]),
        (["Page View", "Add To Cart"], ["Sign Up"], ["page_view", "svc.a.b"]),
        (["page_view", "svc.a.b"], ["sign_up", "svc.c.d"], ["Page View"]),
        (["Café ☕ ordered", "Login"], ["Café ☕ ordered", "Logout"], ["Café ☕ paid"]),
        (["$identify", "signup-started"], ["$mp_web_page_view", "a-b"], ["$Identify"]),
    ],
    ids=["convention", "title-case", "two-styles", "literal", "mixpanel-and-kebab"],
)
def test_learnt_naming_accepts_the_styles_seen_and_no_other(names, fits, misses):
    naming = learn_naming(names)
    for name in [*names, *fits]:
        assert re.fullmatch(naming.pattern, name), name
    for name in misses:
        assert not re.fullmatch(naming.pattern, name), name


def test_signatures_become_patterns():
    assert signature_regex("u-\x03") == "u-[0-9]+"
    assert signature_regex("\x02") == "[0-9a-fA-F]{16,}"
    assert signature_regex("dev:\x01.\x04").startswith("dev:[0-9a-fA-F]{8}-")
    assert signature_regex("dev:\x01.\x04").endswith("\\.[A-Za-z]+")


def test_fill_threshold_sits_under_the_rarest_property():
    assert fill_threshold([0.5, 0.0092, 0.3], 0.05) == 0.009
    assert fill_threshold([0.5], 0.05) == 0.05
    assert fill_threshold([], 0.05) == 0.05
