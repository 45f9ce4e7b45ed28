"""``-f json``/``jsonl`` print valid JSON for DOUBLE values JSON has no number for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb

MP = [sys.executable, "-c", "from mixpanel_data.cli.main import run; run()"]
QUERY = "SELECT 'nan'::DOUBLE AS a, '-inf'::DOUBLE AS b, 1.5 AS c, [1.0, 'inf'::DOUBLE] AS l"


def test_nan_and_infinity_are_null_in_json(tmp_path):
    duckdb.connect(str(tmp_path / "mixpanel_data.duckdb")).close()
    env = {**os.environ, "MP_DATA_DIR": str(tmp_path)}
    for fmt in ("json", "jsonl"):
        done = subprocess.run(
            [*MP, "-f", fmt, "sql", QUERY], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "NaN" not in done.stdout and "Infinity" not in done.stdout
        rows = json.loads(done.stdout) if fmt == "json" else [json.loads(done.stdout)]
        assert rows == [{"a": None, "b": None, "c": 1.5, "l": [1.0, None]}]
