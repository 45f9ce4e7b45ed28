"""No report prints personal data, in any finding or format, and the same data gives the same
report (issue 13): a project with personal values in every kind of finding, audited through
the real CLI in every format, with and without a plan, twice."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mixpanel_data.audit import patterns
from mixpanel_data.cli.audit_cmd import REPORT_FORMATS
from mixpanel_data.cli.main import main

from . import personal
from .seeded import PLAN_YAML, write


@pytest.fixture(scope="module")
def personal_db(tmp_path_factory):
    return write(personal.build(), tmp_path_factory.mktemp("personal") / "mixpanel_data.duckdb")


@pytest.fixture
def workdir(monkeypatch, tmp_path, personal_db):
    (tmp_path / "data").mkdir()
    shutil.copy(personal_db, tmp_path / "data" / "mixpanel_data.duckdb")
    (tmp_path / "plan.yaml").write_text(PLAN_YAML)
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    for name in ("MP_TRACKING_PLAN", "MP_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def audit(capsys, *args: str) -> tuple[int, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_data_really_holds_the_personal_values(personal_db):
    """Control: every RAW piece is in the table, so its absence from reports means masking."""
    import duckdb

    con = duckdb.connect(str(personal_db), read_only=True)
    try:
        stored = "\n".join(
            str(v)
            for row in con.execute(
                "SELECT event_name, distinct_id, properties::VARCHAR FROM mixpanel.events"
            ).fetchall()
            for v in row
        )
    finally:
        con.close()
    assert [raw for raw in personal.RAW if raw not in stored] == []


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
@pytest.mark.parametrize("plan", [["--plan", "plan.yaml"], []], ids=["plan", "no-plan"])
def test_no_format_prints_personal_data_and_runs_are_identical(workdir, capsys, fmt, plan):
    code, first = audit(capsys, *plan, "--format", fmt)
    again, second = audit(capsys, *plan, "--format", fmt)

    assert code == again == 1
    leaked = [raw for raw in personal.RAW if raw in first]
    assert leaked == []
    assert "***" in first  # examples are there, masked, not dropped
    assert first.replace(_seconds(first), "") == second.replace(_seconds(second), "")


def _seconds(text: str) -> str:
    """The one varying text: the stderr status line's duration (`in 0.3s`)."""
    start = text.rindex(" in ")
    return text[start : text.index("s:", start)]


def test_every_finding_kind_with_personal_data_shows_it_masked(workdir, capsys):
    code, out = audit(capsys, "--plan", "plan.yaml", "-f", "json", "-q")
    findings = json.loads(out)["findings"]
    examples = {(f["check"], f["property"]): f["examples"] for f in findings}

    assert code == 1
    assert '"+3***41"' in examples[("low-fill", "sso_provider")]
    assert examples[("type-mismatch", "recipient_count")] == ['"(4***00"']
    assert examples[("type-mismatch", "channel")] == ['"a***@example.com"']
    assert examples[("type-mismatch", "tags")] == ['["q1", 7, "+1***00"]']
    assert examples[("conditional-rule", "cron_execution_timestamp")] == ['"+4***67"']
    assert examples[("undeclared-property", "free_text")] == ['"call 01***41 after 5"']
    ids = [f["examples"] for f in findings if f["check"] == "distinct-id-rule" and f["examples"]]
    assert ids == [['"user a***@example.com"']]
    names = {f["event"] for f in findings if f["check"] == "naming"}
    assert "Contact a***@example.com" in names
    unplanned = {f["event"]: f["examples"] for f in findings if f["check"] == "event-not-in-plan"}
    assert unplanned["svc.crm.contact_added"] == ["properties: b***@example.com, ok"]
    kinds = {f["detail"] for f in findings if f["check"] == "pii-distinct-id"}
    assert kinds == {"distinct_id is a phone number", "distinct_id is an IP address"}


def test_a_report_is_byte_identical_across_processes(workdir):
    """Thread scheduling differs between processes; examples and order must not."""
    cmd = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]
    args = ["-q", "audit", "--plan", "plan.yaml", "-f", "json"]
    outs = [
        subprocess.run([*cmd, *args], capture_output=True, timeout=120, cwd=workdir).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1] and json.loads(outs[0])["findings"]
    assert b"duration" not in outs[0]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ('"+33 1 70 36 39 41"', '"+3***41"'),
        ("call (415) 555-0100 now", "call (4***00 now"),
        ("+1-415-555-0100", "+1***00"),
        ("contact: josé.1@example.com", "contact: j***@example.com"),
        ('{"ip": "192.168.44.12"}', '{"ip": "19***12"}'),
        ("2001:db8::8a2e:370:7334", "20***34"),
        ("12 Main Street", "12***et"),
        ('"2024-03-05T10:00:00Z"', '"2024-03-05T10:00:00Z"'),
        ("3.11.4", "3.11.4"),
        ("std::vector", "std::vector"),
        ("svc.jobs.cron_cleanup", "svc.jobs.cron_cleanup"),
        ("a***@example.com", "a***@example.com"),
    ],
    ids=lambda v: str(v),
)
def test_redact(text, masked):
    assert patterns.redact(text) == masked
    assert patterns.redact(masked) == masked
