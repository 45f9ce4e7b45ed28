"""``mp schedule export --target dagster``: the module loads with Dagster's own API.

Each scheduled pipeline has one job and one schedule carrying its cron line and zone; the op
runs ``mp run NAME`` and fails with the tail of its stderr when ``mp`` exits non-zero.
"""

from __future__ import annotations

import ast
import importlib.util
import stat
from pathlib import Path
from types import ModuleType

import dagster as dg
import pytest
from typer.testing import CliRunner

from mixpanel_data.cli.main import main
from mixpanel_data.config.pipelines import load_pipelines
from mixpanel_data.schedule.dagster_defs import FILENAME, dagster_module

YAML = """
pipelines:
  nightly:
    schedule: {cron: "30 2 * * 1-5", timezone: Europe/Berlin}
  hourly-web:
    schedule: {cron: "*/15 * * * *"}
  adhoc:
    resources: [events]
"""
FAKE_MP = """#!/bin/sh
# Stands in for `mp`: `mp --quiet run broken` fails like a real load error would.
if [ "$3" = "broken" ]; then
  echo "progress line" >&2
  echo "Error: Mixpanel said 401: check MP_SECRET" >&2
  exit 4
fi
echo "loaded $3"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MP_PIPELINES", str(tmp_path / "pipelines.yaml"))
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "pipelines.yaml").write_text(YAML)
    return tmp_path


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"mp_dagster_{id(path)}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _definitions(module: ModuleType) -> dg.Definitions:
    found = [v for v in vars(module).values() if isinstance(v, dg.Definitions)]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def exported(project: Path) -> Path:
    with CliRunner().isolation():
        code = main(["schedule", "export", "--target", "dagster", "--out", str(project / "out")])
    assert code == 0
    return project / "out" / FILENAME


@pytest.mark.parametrize(
    ("pipeline", "job", "cron", "zone"),
    [
        ("nightly", "mp_nightly", "30 2 * * 1-5", "Europe/Berlin"),
        ("hourly-web", "mp_hourly_web", "*/15 * * * *", "UTC"),
    ],
    ids=["berlin", "utc-default"],
)
def test_schedule_per_pipeline(exported: Path, pipeline: str, job: str, cron: str, zone: str):
    defs = _definitions(_load(exported))
    schedule = defs.resolve_schedule_def(f"{job}_schedule")
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == zone
    assert schedule.job_name == job
    assert defs.resolve_job_def(job).description == f"mixpanel-data pipeline {pipeline}"


def test_unscheduled_pipelines_get_nothing(exported: Path) -> None:
    defs = _definitions(_load(exported))
    schedules = {s.name: s.job_name for s in defs.schedules or []}
    assert schedules == {
        "mp_nightly_schedule": "mp_nightly",
        "mp_hourly_web_schedule": "mp_hourly_web",
    }  # adhoc and the built-ins events/profiles have no schedule
    assert sorted(j.name for j in defs.jobs or []) == ["mp_hourly_web", "mp_nightly"]


def test_module_needs_only_dagster(exported: Path) -> None:
    tree = ast.parse(exported.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"subprocess", "dagster"}


def test_op_runs_mp_and_fails_with_its_stderr(project: Path) -> None:
    fake = project / "fake-mp"
    fake.write_text(FAKE_MP)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    spec = load_pipelines()["nightly"]
    broken = spec.model_copy(update={"name": "broken"})
    path = project / FILENAME
    path.write_text(dagster_module([spec, broken], project, mp=str(fake)))
    defs = _definitions(_load(path))
    assert defs.resolve_job_def("mp_nightly").execute_in_process().success
    with pytest.raises(dg.Failure, match=r"(?s)exited with 4: .*401: check MP_SECRET") as failed:
        defs.resolve_job_def("mp_broken").execute_in_process()
    assert "progress line" in failed.value.metadata["stderr_tail"].text


def test_colliding_dagster_names_are_refused(project: Path) -> None:
    clash = "hourly_web:\n    schedule: {cron: '0 * * * *'}\n  adhoc:"
    (project / "pipelines.yaml").write_text(YAML.replace("adhoc:", clash))
    with CliRunner().isolation():
        code = main(["schedule", "export", "--target", "dagster", "--out", str(project / "out")])
    assert code == 3  # refused before any file is written
    assert not (project / "out" / FILENAME).exists()
