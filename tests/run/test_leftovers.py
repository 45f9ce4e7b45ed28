"""Nothing a run fetched stays on disk after it: not after a failure, a Ctrl-C or a SIGKILL and
a clean rerun, and not the files dlt keeps of every loaded package by default.

What may remain under MP_DATA_DIR is bookkeeping only: the database, dlt's state, schemas and
trace, the storage version files, the run lock, and dlt's empty stage folders. Any other file
(parquet, jsonl, gzip, insert_values, a named spool file) or any package folder is a leftover.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mixpanel_data.exceptions import TransientError

from ..harsh import Recorder, utc

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]

_BOOKKEEPING_FILES = re.compile(
    r"mixpanel_data\.duckdb(\.wal|\.lock|\.lock-intent)?"
    r"|schedule/[^/]+\.lock"
    r"|pipelines/[^/]+/(state\.json|trace\.pickle|schemas/[^/]+\.schema\.json"
    r"|(normalize|load)/\.version)"
)
_STAGE_FOLDERS = re.compile(
    r"schedule|spool|pipelines(/[^/]+(/(schemas|normalize(/extracted)?"
    r"|load(/(new|normalized|loaded))?))?)?"
)


def leftovers(data_dir: Path) -> list[str]:
    """Every file that is not bookkeeping, and every folder that is not an (empty) stage."""
    found = []
    for path in sorted(data_dir.rglob("*")):
        name = path.relative_to(data_dir).as_posix()
        if path.is_dir() and not _STAGE_FOLDERS.fullmatch(name):
            found.append(f"{name}/")
        elif path.is_file() and not _BOOKKEEPING_FILES.fullmatch(name):
            found.append(name)
    return found


def _data_files(data_dir: Path) -> list[str]:
    """Files holding fetched rows (what dlt writes: parquet, jsonl, gzip, insert_values, csv)."""
    kinds = (".parquet", ".jsonl", ".gz", ".insert_values", ".csv", ".typed-jsonl")
    return [p for p in leftovers(data_dir) if p.endswith(kinds) or "mixpanel-export" in p]


def _extracting(data_dir: Path) -> bool:
    """A parquet file is in an extract's scratch folder: the kill lands mid-extract."""
    normalize = data_dir / "pipelines" / "mp_mixpanel" / "normalize"
    if not normalize.is_dir():
        return False
    scratch = [p for p in normalize.iterdir() if p.is_dir() and p.name != "extracted"]
    return any(any(p.rglob("*.parquet")) for p in scratch)


def _stage(data_dir: Path, *parts: str) -> Callable[[], bool]:
    folder = data_dir.joinpath("pipelines", "mp_mixpanel", *parts)
    return lambda: folder.is_dir() and any(folder.iterdir())


def _default_sigint() -> None:
    """A shell may start us with SIGINT ignored, which the child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(first: date, last: date) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*MP, "--quiet", "run", "events", "--from", str(first), "--to", str(last)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
    )


def _hit(proc: subprocess.Popen[bytes], predicate: Callable[[], bool], sig: int) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():
            proc.send_signal(sig)
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
def test_killed_and_interrupted_runs_leave_nothing_after_a_clean_rerun(standin_env):
    env = standin_env(start=date(2024, 3, 8), days=8, events_per_day=6000)
    first, last = env.project.days[0], env.project.days[-1]
    data = env.data_dir
    points = [
        ("ctrl-c mid-extract", lambda: _extracting(data), signal.SIGINT),
        ("sigkill mid-extract", lambda: _extracting(data), signal.SIGKILL),
        ("sigkill during normalize", _stage(data, "load", "new"), signal.SIGKILL),
        ("sigkill during load", _stage(data, "load", "normalized"), signal.SIGKILL),
    ]
    hits = []
    for label, predicate, sig in points:
        proc = _start(first, last)
        hit = _hit(proc, predicate, sig)
        _, err = proc.communicate(timeout=120)
        if hit:
            hits.append(label)
        if hit and sig == signal.SIGINT:
            assert proc.returncode == 130, err.decode()
            assert err.decode().strip() == "Error: Interrupted."
            assert _data_files(data) == [], label  # gone at once, not only after a rerun
        rerun = _start(first, last)
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err.decode()
        assert leftovers(data) == [], label
        assert env.counts_by_day() == env.truth_by_day(), label
    assert "ctrl-c mid-extract" in hits and len(hits) >= 3, hits


class FailAfterFirstWindow(Recorder):
    """Every export after the first finished window answers 503."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server

    def window_done(self, window: Any, rows: int) -> None:
        if not self.server.requests.filter(family="export", fault="5xx"):
            self.server.add_fault("5xx", family="export", times=-1)


def test_a_failed_run_leaves_no_fetched_rows_on_disk(harsh):
    env = harsh(now=utc(2024, 3, 30, 12), start=date(2024, 3, 1), days=6, events_per_day=3000)
    with pytest.raises(TransientError):
        env.run(
            from_date="2024-03-01",
            to_date="2024-03-06",
            options={"window_days": 1, "concurrency": 1},
            observer=FailAfterFirstWindow(env.server),
        )
    assert len(env.server.requests.filter(family="export", fault=None)) >= 1  # rows were fetched
    assert _data_files(env.data_dir) == []  # its parquet stayed in dlt's extract folder
    assert leftovers(env.data_dir) == []
    env.server.clear_faults()
    env.run(from_date="2024-03-01", to_date="2024-03-06")  # the same command then finishes
    assert env.export_counts() == env.export_truth()


@pytest.mark.parametrize("keep", [None, "false", "true"], ids=["default", "keep", "delete"])
def test_loaded_packages_are_deleted_unless_dlt_is_told_to_keep_them(harsh, monkeypatch, keep):
    if keep is not None:
        monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", keep)
    env = harsh(now=utc(2024, 3, 30, 12), start=date(2024, 3, 1), days=4)
    env.settings = env.settings.with_(load_chunk_mb=0.0001)  # a load per window
    summary = env.run(from_date="2024-03-01", to_date="2024-03-04", options={"window_days": 1})
    assert summary.chunks >= 2
    loaded = env.settings.pipelines_dir / "mp_mixpanel" / "load" / "loaded"
    packages = sorted(p.name for p in loaded.iterdir())
    if keep == "false":  # dlt's own setting: every package, with its data files
        assert len(packages) == summary.chunks
        assert len(list(loaded.rglob("*.parquet"))) == summary.chunks
    else:
        assert packages == []
        assert leftovers(env.data_dir) == []


@pytest.mark.parametrize("keep", [None, "false"], ids=["default", "keep"])
def test_the_staging_copy_is_emptied_after_each_load_unless_dlt_keeps_it(harsh, monkeypatch, keep):
    """dlt leaves the last load's rows in ``mixpanel_staging`` (its truncate_staging_dataset is
    off by default): a second copy of up to a chunk of events inside the database."""
    if keep is not None:
        monkeypatch.setenv("LOAD__TRUNCATE_STAGING_DATASET", keep)
    env = harsh(now=utc(2024, 3, 30, 12), start=date(2024, 3, 1), days=3, profiles=30)
    env.run(from_date="2024-03-01", to_date="2024-03-03")
    assert env.rows("SELECT count(*) FROM mixpanel_staging.events") == [(0,)]  # fresh: appended
    env.run(from_date="2024-03-01", to_date="2024-03-03")  # stored days: merged via staging
    env.run("profiles")
    staged = env.rows(
        "SELECT (SELECT count(*) FROM mixpanel_staging.events), "
        "(SELECT count(*) FROM mixpanel_staging.profiles)"
    )[0]
    assert env.export_counts() == env.export_truth()
    if keep == "false":
        assert staged[0] > 0 and staged[1] == 30
    else:
        assert staged == (0, 0)


def test_temporary_files_of_a_killed_atomic_write_are_removed(tmp_path):
    """dlt's ``save_atomic`` writes a 16-hex-digit temporary file beside its target; a SIGKILL
    mid-write leaves it (found in CI: ``load/new/5a9d049ee589495c`` after a rerun)."""
    from types import SimpleNamespace

    from mixpanel_data.destinations.pipeline import remove_leftovers

    root = tmp_path / "mp_mixpanel"
    stray = [
        root / "load" / "new" / "5a9d049ee589495c",
        root / "normalize" / "0123456789abcdef",
        root / "fedcba9876543210",
    ]
    kept = [
        root / "state.json",
        root / "load" / ".version",
        root / "normalize" / ".version",
        root / "normalize" / "extracted" / "1796674808.17" / "schema.json",
        root / "load" / "normalized" / "1796674808.18" / "schema.json",
    ]
    for path in stray + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    pipeline = SimpleNamespace(working_dir=str(root), pipeline_name="mp_mixpanel")
    remove_leftovers(pipeline)  # type: ignore[arg-type]
    assert [p for p in stray if p.exists()] == []
    assert all(p.exists() for p in kept)
