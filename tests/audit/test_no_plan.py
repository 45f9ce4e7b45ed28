"""``mp audit`` before anyone writes a plan: the default review rules, said so in the report,
and a drafted plan that passes the data it came from but for its personal data (issue 13)."""

from __future__ import annotations

import json
import shutil

import pytest

from mixpanel_data.audit import markdown, run_audit
from mixpanel_data.cli.main import main

from .test_seeded_audit import found

REVIEW_CHECKS = {
    "pii-property-name",
    "pii-value",
    "pii-distinct-id",
    "naming",
    "distinct-id-rule",
    "conditional-rule",
}
"""What every team checks, plan or not: personal data, names, ids, the cron rule."""


def test_without_a_plan_finds_exactly_the_seeded_review_violations(
    seeded_db, seeded_project, connect
):
    report = run_audit(connect(seeded_db), None)

    expected = {e for e in seeded_project.expected if e[0] in REVIEW_CHECKS}
    assert found(report) == expected
    assert {e[0] for e in expected} == REVIEW_CHECKS  # every review rule has a seeded case
    assert report.defaults and report.exit_code == 1
    text = markdown(report)
    assert "default review rules" in text and "mp audit plan --from-data" in text
    assert "| Event Registration | NOT RUN | 0 | 0 |" in text
    data = report.to_dict()
    assert data["plan"] is None and data["defaults"] is True
    assert "mp audit plan --from-data" in data["note"]


def test_without_a_plan_clean_data_passes(clean_db, clean_project, connect):
    report = run_audit(connect(clean_db), None)

    assert found(report) == {e for e in clean_project.expected if e[0] in REVIEW_CHECKS}
    assert report.exit_code == 0


@pytest.fixture
def no_plan_dir(monkeypatch, tmp_path, seeded_db):
    (tmp_path / "data").mkdir()
    shutil.copy(seeded_db, tmp_path / "data" / "mixpanel_data.duckdb")
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    for name in ("MP_TRACKING_PLAN", "MP_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_without_a_plan_runs_the_defaults_and_suggests_a_draft(no_plan_dir, capsys):
    code = main(["audit", "-f", "markdown"])
    out, err = capsys.readouterr()

    assert code == 1  # P0/P1 findings, not "no plan" (exit 4)
    assert out.startswith("# Tracking plan audit") and "**Plan**: none" in out
    assert "mp audit plan --from-data --output tracking_plan.yaml" in err
    assert "against the default review rules" in err and "FAIL (7 P0, 3 P1, 3 P2, 0 P3)" in err


def test_cli_draft_then_audit_is_a_baseline(no_plan_dir, capsys):
    """Draft with the suggested command, then `mp audit` reads it: only personal data fails."""
    assert main(["audit", "plan", "--from-data", "--output", "tracking_plan.yaml"]) == 0
    capsys.readouterr()
    text = (no_plan_dir / "tracking_plan.yaml").read_text()
    assert "# Learnt from the data" in text and "#     - cron" in text

    code = main(["audit", "-f", "json"])
    report = json.loads(capsys.readouterr().out)

    assert code == 1 and report["defaults"] is False
    assert {f["check"] for f in report["findings"]} == {
        "pii-property-name",
        "pii-value",
        "pii-distinct-id",
    }
