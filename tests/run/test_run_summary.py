"""The run summary counts what it says: each resource on its own, and only rows it could count."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import duckdb
import pytest

from mixpanel_data.config.pipelines import get_pipeline
from mixpanel_data.destinations.pipeline import dlt_pipeline, table_counts

from ..harsh import utc


def test_duplicates_count_events_only_in_a_multi_resource_run(harsh):
    env = harsh(now=utc(2024, 3, 12, 12), start=date(2024, 3, 1), days=4)
    env.settings.pipelines_file.write_text(
        "pipelines:\n  both:\n    resources: [events, profiles]\n"
    )
    summary = env.run("both", from_date="2024-03-01", to_date="2024-03-04")
    fetched = sum(env.project.count(d) for d in env.project.days)
    unique = env.rows("SELECT count(*) FROM mixpanel.events")[0][0]
    assert fetched > unique  # the project has duplicates to drop
    assert (summary.events_fetched, summary.profiles_fetched) == (fetched, 60)
    assert summary.duplicates_dropped == fetched - unique  # never the 60 profiles
    assert summary.rows_fetched == fetched + 60
    assert summary.rows_new == unique + 60
    assert summary.table_rows == {"events": unique, "profiles": 60}


def test_table_counts_are_zero_only_for_a_missing_table(harsh):
    env = harsh(now=utc(2024, 3, 12, 12), start=date(2024, 3, 1), days=2)
    env.run(from_date="2024-03-01", to_date="2024-03-02")
    stored = env.rows("SELECT count(*) FROM mixpanel.events")[0][0]
    spec = get_pipeline("events", env.settings.pipelines_file)
    pipeline = dlt_pipeline(spec, env.settings)
    assert table_counts(pipeline, ["events", "profiles"]) == {"events": stored, "profiles": 0}
    holder = subprocess.Popen(  # another process holds DuckDB's write lock on the file
        [sys.executable, "-c", _HOLD_LOCK, str(env.settings.database_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match=r"(?i)lock"):  # never {"events": 0}
            table_counts(pipeline, ["events"])
    finally:
        holder.kill()
        holder.wait()
    con = duckdb.connect(str(env.settings.database_path))
    con.execute("DROP TABLE mixpanel.events")
    con.close()
    assert table_counts(pipeline, ["events"]) == {"events": 0}  # dlt's schema still names it


_HOLD_LOCK = (
    "import sys, time, duckdb\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "time.sleep(60)\n"
)
