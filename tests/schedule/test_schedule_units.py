"""Schedules: pipelines.yaml validation (file:line:key, exit 3), next runs across DST, the lock,
catch-up once, and the run history shown by ``mp schedule status``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mixpanel_data.cli.main import main
from mixpanel_data.config.pipelines import PipelineSpec, Schedule, load_pipelines
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import PipelineConfigError
from mixpanel_data.local import history
from mixpanel_data.schedule.lock import run_lock
from mixpanel_data.schedule.scheduler import Scheduler


def _mp(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(list(args))
        return code, stdout.getvalue().decode(), stderr.getvalue().decode()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    return tmp_path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """What the CLI reads from the same environment (the scheduler's history and locks)."""
    return Settings.from_env()


@pytest.fixture
def runs_dir(settings: Settings) -> Path:
    return settings.schedule_dir


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "zone", "after", "expected"),
    [
        # New York springs forward 2025-03-09 02:00 -> 03:00: 02:30 runs at 03:30 EDT that day
        ("30 2 * * *", "America/New_York", _utc(2025, 3, 8, 12), _utc(2025, 3, 9, 7, 30)),
        ("30 2 * * *", "America/New_York", _utc(2025, 3, 9, 8), _utc(2025, 3, 10, 6, 30)),
        ("0 6 * * *", "America/New_York", _utc(2025, 3, 8, 12), _utc(2025, 3, 9, 10)),
        # falls back 2025-11-02 02:00 -> 01:00: 01:30 runs once, at its first occurrence (EDT)
        ("30 1 * * *", "America/New_York", _utc(2025, 11, 1, 12), _utc(2025, 11, 2, 5, 30)),
        ("30 1 * * *", "America/New_York", _utc(2025, 11, 2, 5, 30), _utc(2025, 11, 3, 6, 30)),
        ("0 6 * * *", "Europe/Berlin", _utc(2025, 10, 25, 12), _utc(2025, 10, 26, 5)),
        ("*/15 * * * *", "UTC", _utc(2025, 1, 1, 0, 7), _utc(2025, 1, 1, 0, 15)),
    ],
    ids=["spring-gap", "after-gap", "spring-normal", "fall-first", "fall-once", "berlin", "utc"],
)
def test_next_run_across_dst(cron: str, zone: str, after: datetime, expected: datetime) -> None:
    assert Schedule(cron=cron, timezone=zone).next_run(after) == expected


def test_previous_run_is_the_last_due_time() -> None:
    schedule = Schedule(cron="0 6 * * *", timezone="Europe/Berlin")
    assert schedule.previous_run(_utc(2025, 7, 2, 3, 59)) == _utc(2025, 7, 1, 4)
    assert schedule.previous_run(_utc(2025, 7, 2, 4)) == _utc(2025, 7, 2, 4)


BAD = [
    ("  p:\n    schedule:\n      cron: '61 * * * *'\n", 5, "pipelines.p.schedule.cron"),
    (
        "  p:\n    schedule:\n      cron: '0 6 * * *'\n      timezone: Mars/Base\n",
        6,
        "pipelines.p.schedule.timezone",
    ),
    (
        "  p:\n    resources: [events]\n    options:\n      api_secret: abc\n",
        6,
        "pipelines.p.options.api_secret",
    ),
    (
        "  p:\n    destination: postgres\n    options:\n      lookback_days: 2\n      bogus: 1\n",
        5,
        "pipelines.p.options",
    ),
    ("  p:\n    destination: 'postgres://u:pw@h/db'\n", 4, "pipelines.p.destination"),
    ("  p:\n    table_format: delta\n", 3, "pipelines.p"),
]


@pytest.mark.parametrize(
    ("body", "line", "key"),
    BAD,
    ids=[
        "cron",
        "timezone",
        "secret",
        "unknown-option",
        "url-destination",
        "format-not-filesystem",
    ],
)
def test_errors_name_file_line_and_key(data_dir: Path, body: str, line: int, key: str) -> None:
    path = data_dir / "pipelines.yaml"
    path.write_text("# my pipelines\npipelines:\n" + body)
    with pytest.raises(PipelineConfigError) as caught:
        load_pipelines(path)
    assert str(caught.value).startswith(f"{path}:{line}: {key}")
    code, _, err = _mp("pipelines")
    assert code == 3 and f"{path}:{line}" in err


def test_secret_error_says_where_it_goes(data_dir: Path) -> None:
    (data_dir / "pipelines.yaml").write_text(
        "pipelines:\n  p:\n    options:\n      pii: {salt_password: hunter2}\n"
    )
    code, _, err = _mp("pipelines")
    assert code == 3 and ".dlt/secrets.toml" in err and "hunter2" not in err
    assert "pipelines.yaml:4: pipelines.p.options.pii: the PII salt is a secret" in err


def test_mp_pipelines_lists_next_run(data_dir: Path) -> None:
    (data_dir / "pipelines.yaml").write_text(
        "pipelines:\n  nightly:\n    schedule: {cron: '0 3 * * *', timezone: Europe/Berlin}\n"
    )
    code, out, _ = _mp("--format", "json", "pipelines")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["events"]["next_run"] is None
    nxt = datetime.fromisoformat(rows["nightly"]["next_run"])
    assert timedelta(0) < nxt - datetime.now(UTC) <= timedelta(days=1)
    assert nxt.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour == 3


SPEC = PipelineSpec(name="p", schedule=Schedule(cron="0 * * * *"))


def test_two_schedulers_one_run(data_dir: Path, settings: Settings, runs_dir: Path) -> None:
    calls: list[str] = []

    def slow(spec: PipelineSpec) -> None:
        calls.append(spec.name)
        time.sleep(0.5)

    due = _utc(2025, 1, 1, 5)
    outcomes: list[str] = []

    def one_scheduler() -> None:
        outcomes.append(Scheduler([SPEC], settings, run=slow).run_one(SPEC, due))

    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["skipped", "success"] and calls == ["p"]


def test_lock_holds_across_processes(data_dir: Path, settings: Settings, runs_dir: Path) -> None:
    code = (
        "import time; from mixpanel_data.config.pipelines import PipelineSpec;"
        "from mixpanel_data.schedule.lock import run_lock\n"
        "from mixpanel_data.config.settings import Settings\n"
        "with run_lock(Settings.from_env().schedule_dir, PipelineSpec(name='other')) as held:\n"
        "    print(held, flush=True); time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "True"
        calls: list[str] = []
        assert (
            Scheduler([SPEC], settings, run=calls.append).run_one(SPEC, _utc(2025, 1, 1))
            == "skipped"
        )
        with run_lock(runs_dir, SPEC) as held:
            assert held is False
    finally:
        child.kill()
        child.wait()
    with run_lock(runs_dir, SPEC) as held:  # the kernel freed the dead holder's lock
        assert held is True


def test_missed_runs_are_caught_up_once(data_dir: Path, settings: Settings, runs_dir: Path) -> None:
    now = _utc(2025, 1, 1, 12, 30)
    run_id = history.record_start(runs_dir, "p", _utc(2025, 1, 1, 6))  # then down for six hours
    history.record_end(runs_dir, run_id, "success", 10, 1.0)
    calls: list[str] = []
    scheduler = Scheduler([SPEC], settings, run=lambda s: calls.append(s.name), clock=lambda: now)
    scheduler.serve(once=True)
    assert calls == ["p"]
    assert history.last_scheduled(runs_dir, "p") == _utc(2025, 1, 1, 12)
    assert scheduler.next_due["p"] == _utc(2025, 1, 1, 13)
    Scheduler([SPEC], settings, run=lambda s: calls.append(s.name), clock=lambda: now).serve(
        once=True
    )
    assert calls == ["p"]  # nothing missed any more


def test_no_history_waits_for_the_next_time(
    data_dir: Path, settings: Settings, runs_dir: Path
) -> None:
    calls: list[str] = []
    Scheduler([SPEC], settings, run=calls.append, clock=lambda: _utc(2025, 1, 1, 12, 30)).serve(
        once=True
    )
    assert calls == []


def test_tick_runs_due_pipelines_and_status_shows_history(
    data_dir: Path, settings: Settings, runs_dir: Path
) -> None:
    clock = [_utc(2025, 1, 1, 12, 30)]

    def flaky(spec: PipelineSpec) -> Any:
        if clock[0].hour == 14:
            raise RuntimeError("stand-in said no")
        return type("S", (), {"rows_new": 7})()

    scheduler = Scheduler([SPEC], settings, run=flaky, clock=lambda: clock[0])
    scheduler.catch_up()
    for hour in (13, 14):
        clock[0] = _utc(2025, 1, 1, hour, 0, 1)
        scheduler.tick()
    (data_dir / "pipelines.yaml").write_text(
        "pipelines:\n  p:\n    schedule: {cron: '0 * * * *'}\n"
    )
    code, out, _ = _mp("--format", "json", "schedule", "status")
    (row,) = json.loads(out)
    assert code == 0 and row["runs"] == 2 and row["last_success_rows"] == 7
    assert row["last_failure_message"] == "stand-in said no"
    assert [r["scheduled_for"][11:16] for r in history.runs(runs_dir, "p")] == ["13:00", "14:00"]
