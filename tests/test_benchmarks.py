"""The benchmarks still run: a tiny size end to end, so ``make bench`` cannot rot unnoticed
(the figures themselves are the benchmark's job, not a test's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_load_benchmark_runs_at_a_tiny_size(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_events.py"),
            "--events",
            "4k",
            "--days",
            "2",
            "--skip-native-zstd",
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
    assert "incremental re-run with nothing new" in out.stdout
    assert (tmp_path / "figures.json").stat().st_size > 100


def test_the_profiles_benchmark_runs_at_a_tiny_size(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_profiles.py"),
            "--profiles",
            "300",
            "--skip-native-zstd",
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
    assert "300 stored" in out.stdout and "profiles ours vs the best native load" in out.stdout
    assert (tmp_path / "figures.json").stat().st_size > 100
