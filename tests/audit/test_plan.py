"""The tracking plan: defaults, short forms, errors that name the line, dump/parse round trip."""

from __future__ import annotations

import textwrap

import pytest

from mixpanel_data.audit import TrackingPlanError, dump_plan, load_plan, parse_plan
from mixpanel_data.audit.plan import TrackingPlan
from mixpanel_data.exceptions import NotFoundError

from .seeded import PLAN_YAML


def test_smallest_plan_gets_every_default():
    plan = parse_plan("events:\n  svc.a.b: {}\n")

    assert plan.naming.pattern == r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}"
    assert [a.name for a in plan.distinct_id.allowed][:2] == ["user UUID", "organization fallback"]
    assert plan.distinct_id.not_equal_to == ["organization_id"]
    assert plan.pii.allow == ["organization_name"]
    assert plan.rules[0].when.property == "is_cron_job"
    assert plan.rules[0].require["cron_execution_timestamp"].type == "datetime-ms"
    assert parse_plan("") == TrackingPlan()


def test_short_form_and_common_properties():
    plan = parse_plan(PLAN_YAML)
    props = plan.properties_of("svc.map.action_plan_created")

    assert props["comment"].type == "string" and not props["comment"].required
    assert props["employee_id"].format == "uuid" and props["employee_id"].required
    assert plan.properties_of("unknown.event.name") == plan.common_properties


def test_round_trip_through_yaml():
    plan = parse_plan(PLAN_YAML)
    assert parse_plan(dump_plan(plan)) == plan


BAD = [
    ("events:\n  svc.a.b:\n    properties:\n      x: strin\n", 4, "events.svc.a.b.properties.x"),
    ("events:\n  svc.a.b:\n    properties:\n      x: {type: enum}\n", 4, "an enum needs"),
    (
        "events:\n  svc.a.b:\n    properties:\n      x: {type: number, format: uuid}\n",
        4,
        "format and pattern apply to `type: string` only",
    ),
    ("naming:\n  pattern: '(?=svc)'\n", 2, "naming.pattern: not a regular expression DuckDB (RE2)"),
    ("naming:\n  pattern: '(a'\n", 2, "not a valid regular expression"),
    ("events: {}\ncolour: red\n", 2, "colour: Extra inputs are not permitted"),
    ("thresholds:\n  low_fill: 2\n", 2, "thresholds.low_fill"),
    ("rules:\n  - name: r\n    require: {}\n", 2, "rules.0.if: Field required"),
    ("events:\n  svc.a.b:\n    properties: [a, b]\n", 3, "events.svc.a.b.properties"),
    ("events:\n  - svc.a.b\n", 1, "events"),
    ("events:\n  svc.a.b: {\n", 3, "not valid YAML"),
    ("- just\n- a list\n", 1, "expected a mapping"),
]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    BAD,
    ids=[
        "bad-type",
        "enum-without-values",
        "format-on-number",
        "lookahead",
        "unbalanced",
        "unknown-key",
        "threshold-range",
        "rule-without-if",
        "properties-list",
        "events-list",
        "yaml-syntax",
        "not-a-mapping",
    ],
)
def test_errors_name_file_line_and_key(text, line, message):
    with pytest.raises(TrackingPlanError) as info:
        parse_plan(text, "plan.yaml")
    error = info.value.message
    assert error.startswith(f"plan.yaml:{line}: "), error
    assert message in error
    assert "\n" not in error and info.value.exit_code == 3


def test_error_line_in_a_long_plan():
    text = PLAN_YAML.replace(
        "      method: {type: enum, values: [password, sso], required: true}",
        "      method: {type: enum, values: [password, sso], required: maybe}",
    )
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "required: maybe" in t)
    with pytest.raises(
        TrackingPlanError,
        match=rf"^tracking_plan.yaml:{line}: "
        r"events.svc.auth.login_succeeded.properties.method.required",
    ):
        parse_plan(text)


def test_missing_plan_names_the_draft_command(tmp_path):
    with pytest.raises(NotFoundError, match="mp audit plan --from-data --output"):
        load_plan(tmp_path / "nope.yaml")


def test_example_plan_in_the_repository_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "tracking_plan.example.yaml"
    plan = load_plan(example)
    assert plan.events and plan.common_properties
    assert textwrap.dedent(example.read_text()).startswith("#")
