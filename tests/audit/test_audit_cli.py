"""``mp audit`` and ``mp audit plan`` end to end: formats, files, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from mixpanel_data.cli.main import main

from .seeded import PLAN_YAML


@pytest.fixture
def project_dir(monkeypatch, tmp_path, seeded_db):
    """A working directory with the seeded database in MP_DATA_DIR and tracking_plan.yaml."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(seeded_db, data / "mixpanel_data.duckdb")
    (tmp_path / "tracking_plan.yaml").write_text(PLAN_YAML)
    monkeypatch.setenv("MP_DATA_DIR", str(data))
    monkeypatch.delenv("MP_TRACKING_PLAN", raising=False)
    monkeypatch.delenv("MP_FORMAT", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def clean_dir(project_dir, clean_db):
    shutil.copy(clean_db, project_dir / "data" / "mixpanel_data.duckdb")
    return project_dir


def mp(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_findings_fail_the_audit_with_exit_1(project_dir, capsys):
    code, out, err = mp(capsys, "audit", "--format", "markdown")

    assert code == 1
    assert out.startswith("# Tracking plan audit")
    assert "| PII Protection | FAIL | 7 |" in out
    assert "FAIL (7 P0, 7 P1, 9 P2, 4 P3)" in err


def test_clean_data_passes_with_exit_0(clean_dir, capsys):
    code, out, _ = mp(capsys, "audit", "-f", "json")

    assert code == 0
    assert json.loads(out)["result"] == "PASS"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table", "md"])
def test_every_format_renders(project_dir, capsys, fmt):
    code, out, _ = mp(capsys, "audit", "--format", fmt)

    assert code == 1
    if fmt == "json":
        assert len(json.loads(out)["findings"]) == 27
    elif fmt == "jsonl":
        assert len([json.loads(line) for line in out.splitlines()]) == 27
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == 27 and rows[0]["severity"] == "P0"
    elif fmt == "table":
        assert "PII Protection" in out and "pii-property-name" in out
    else:
        assert "### [P0] CRITICAL" in out


def test_global_format_applies_when_audit_has_none(project_dir, capsys):
    code, out, _ = mp(capsys, "-f", "csv", "audit")
    assert code == 1 and out.startswith("severity,category,check")


def test_report_to_a_file_and_date_window(project_dir, capsys):
    code, out, _ = mp(
        capsys,
        "audit",
        "-f",
        "markdown",
        "-o",
        "report.md",
        "--from",
        "2024-03-10",
        "--to",
        "2024-03-10",
    )

    assert code == 1 and out == ""
    report = (project_dir / "report.md").read_text()
    assert "2024-03-10 to 2024-03-10" in report


def test_plan_path_from_option_and_environment(project_dir, capsys, monkeypatch):
    (project_dir / "tracking_plan.yaml").rename(project_dir / "plan.yaml")
    assert mp(capsys, "audit", "--plan", "plan.yaml", "-f", "json")[0] == 1
    monkeypatch.setenv("MP_TRACKING_PLAN", "plan.yaml")
    assert mp(capsys, "audit", "-f", "json")[0] == 1


@pytest.mark.parametrize(
    ("args", "setup", "code", "message"),
    [
        (["audit", "--plan", "missing.yaml"], None, 4, "mp audit plan --from-data"),
        (["audit"], "bad-plan", 3, "tracking_plan.yaml:4: events.svc.a.b.properties.x"),
        (["audit"], "no-database", 4, "No local database"),
        (["audit", "-f", "xml"], None, 3, "--format 'xml' is not one of"),
        (["audit", "--from", "March"], None, 3, "--from 'March' is not a date"),
        (["audit", "--from", "2024-03-09", "--to", "2024-03-01"], None, 3, "swap them"),
        (["audit", "--dataset", "other"], None, 4, "No events table in dataset 'other'"),
    ],
    ids=[
        "named-plan-missing",
        "bad-plan",
        "no-database",
        "bad-format",
        "bad-date",
        "reversed-dates",
        "no-dataset",
    ],
)
def test_errors_are_one_line_with_documented_exit_codes(
    project_dir, capsys, args, setup, code, message
):
    if setup == "bad-plan":
        bad = "events:\n  svc.a.b:\n    properties:\n      x: strin\n"
        (project_dir / "tracking_plan.yaml").write_text(bad)
    elif setup == "no-database":
        (project_dir / "data" / "mixpanel_data.duckdb").unlink()
    exit_code, out, err = mp(capsys, *args)

    assert exit_code == code, err
    assert message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_plan_from_data_drafts_validates_and_audits(project_dir, capsys):
    code, out, _ = mp(capsys, "audit", "plan", "--from-data", "-o", "drafted.yaml")
    assert code == 0 and out == ""
    assert (project_dir / "drafted.yaml").read_text().startswith("# Tracking plan")

    code, out, _ = mp(capsys, "-f", "json", "audit", "plan", "--plan", "drafted.yaml")
    assert code == 0 and json.loads(out)["valid"] and json.loads(out)["events"] == 6

    code, out, _ = mp(capsys, "audit", "--plan", "drafted.yaml", "-f", "json")
    checks = {f["check"] for f in json.loads(out)["findings"]}
    assert "type-mismatch" not in checks and "event-not-in-plan" not in checks

    code, _, err = mp(capsys, "audit", "plan", "--from-data", "-o", "drafted.yaml")
    assert code == 3 and "--force" in err
    assert mp(capsys, "audit", "plan", "--from-data", "-o", "drafted.yaml", "--force")[0] == 0


def test_plan_from_data_to_stdout(project_dir, capsys):
    code, out, _ = mp(capsys, "audit", "plan", "--from-data")
    assert code == 0 and "svc.surveys.survey_delivered:" in out


def test_console_script_exit_code_in_a_real_process(project_dir):
    """The exit code holds through the real entry point (what CI sees)."""
    cmd = [
        sys.executable,
        "-c",
        "from mixpanel_data.cli.main import run; run()",
        "-q",
        "audit",
        "-f",
        "json",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=project_dir)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["exit_code"] == 1 and result.stderr == ""


def test_help_is_fast_and_lists_audit():
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        "from mixpanel_data.cli.main import main; main(['--help'])",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert "audit" in result.stdout
    assert "duckdb" not in result.stderr and "mixpanel_data.audit" not in result.stderr
