"""The benchmarks still run: a tiny size end to end, so ``make bench`` cannot rot unnoticed
(the figures themselves are the benchmark's job, not a test's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(script: str, tmp_path: Path, *args: str) -> str:
    """``benchmarks/SCRIPT ARGS`` working under ``tmp_path``, writing its figures there; its
    stdout (the report), after checking it exited 0 and wrote the figures."""
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / script),
            *args,
            "--workdir",
            str(tmp_path),
            "--json-out",
            str(tmp_path / "figures.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert (tmp_path / "figures.json").stat().st_size > 100
    return out.stdout


def test_the_load_benchmark_runs_at_a_tiny_size(tmp_path):
    args = ("--events", "4k", "--days", "2", "--skip-native-zstd")
    report = run_benchmark("bench_events.py", tmp_path, *args)
    assert "incremental re-run with nothing new" in report


def test_the_profiles_benchmark_runs_at_a_tiny_size(tmp_path):
    report = run_benchmark("bench_profiles.py", tmp_path, "--profiles", "300", "--skip-native-zstd")
    assert "300 stored" in report and "profiles ours vs the best native load" in report
