"""``mp demo`` as a real process: the whole job against the stand-in, answers parsed back."""

from __future__ import annotations

import json

from .mpcli import mp


def test_demo_loads_and_answers(tmp_path):
    out = mp("-f", "json", "demo", "--dir", str(tmp_path / "demo"), timeout=300)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)  # one document holding both answers
    top, dau = answer["top_events"], answer["daily_active_users"]
    assert top[0]["event_name"] == "Page View" and top[0]["events"] > top[-1]["events"]
    assert len(dau) >= 14 and all(day["active_users"] > 0 for day in dau)
    assert "mp run events" in out.stderr and "Database:" in out.stderr
    count = mp(
        "sql",
        "--scalar",
        "SELECT count(*) FROM events",
        env={"MP_DATA_DIR": str(tmp_path / "demo")},
    )
    assert int(count.stdout) == sum(day["events"] for day in dau) + _undated(tmp_path)


def _undated(tmp_path) -> int:
    """Rows DAU leaves out (no distinct_id)."""
    out = mp(
        "sql",
        "--scalar",
        "SELECT count(*) FROM events WHERE distinct_id IS NULL",
        env={"MP_DATA_DIR": str(tmp_path / "demo")},
    )
    return int(out.stdout)
