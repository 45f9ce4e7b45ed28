"""``mp schedule export --target dagster``: a Dagster definitions module for the schedules.

The generated file needs only ``dagster`` and the ``mp`` executable, never ``mixpanel_data``,
so it can live in a Dagster code location that has its own environment. Each scheduled
pipeline becomes one job (a single op that runs ``mp --quiet run NAME`` in the working
directory) and one schedule with the pipeline's cron line and IANA zone as
``execution_timezone``. A non-zero exit fails the op with the tail of ``mp``'s stderr, which
is where ``mp`` writes its one-line errors.
"""

from __future__ import annotations

import re
from pathlib import Path

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.exceptions import InvalidArgumentError

FILENAME = "mixpanel_data_dagster.py"

# No `from __future__ import annotations` in the generated file: Dagster reads the op's
# `context` annotation at definition time and refuses it as a string.

_HEADER = '''"""Dagster jobs and schedules of mixpanel-data pipelines (mp schedule export).

Generated: each entry of PIPELINES is one job running `mp --quiet run NAME` in WORKDIR and one
schedule. Regenerate after editing pipelines.yaml; try it with `dagster dev -f {filename}`.
"""

import subprocess

import dagster as dg

'''

_BODY = """
STDERR_TAIL_LINES = 20


def _pipeline_job(pipeline: str, dagster_name: str) -> dg.JobDefinition:
    @dg.op(name=f"mp_run_{dagster_name}")
    def run_pipeline(context: dg.OpExecutionContext) -> None:
        command = [MP, "--quiet", "run", pipeline]
        context.log.info(f"Running {' '.join(command)} in {WORKDIR}")
        done = subprocess.run(command, cwd=WORKDIR, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\\n".join(done.stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
            raise dg.Failure(
                description=f"mp run {pipeline} exited with {done.returncode}: {tail}",
                metadata={"exit_code": done.returncode, "stderr_tail": tail},
            )
        if done.stdout.strip():
            context.log.info(done.stdout.strip())

    @dg.job(name=f"mp_{dagster_name}", description=f"mixpanel-data pipeline {pipeline}")
    def pipeline_job() -> None:
        run_pipeline()

    return pipeline_job


JOBS = {name: _pipeline_job(name, spec["dagster_name"]) for name, spec in PIPELINES.items()}
SCHEDULES = [
    dg.ScheduleDefinition(
        name=f"mp_{spec['dagster_name']}_schedule",
        job=JOBS[name],
        cron_schedule=spec["cron"],
        execution_timezone=spec["timezone"],
    )
    for name, spec in PIPELINES.items()
]

defs = dg.Definitions(jobs=list(JOBS.values()), schedules=SCHEDULES)
"""


def dagster_name(pipeline: str) -> str:
    """``pipeline`` in Dagster's name alphabet (letters, digits, underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", pipeline)


def dagster_module(specs: list[PipelineSpec], workdir: Path, mp: str = "mp") -> str:
    """The text of the definitions module; values are Python literals (``repr``), never code."""
    entries: dict[str, dict[str, str]] = {}
    taken: dict[str, str] = {}
    for spec in specs:
        assert spec.schedule is not None
        name = dagster_name(spec.name)
        if name in taken:
            raise InvalidArgumentError(
                f"Pipelines {taken[name]!r} and {spec.name!r} are both {name!r} as Dagster "
                "names (letters, digits and _ only): rename one in pipelines.yaml."
            )
        taken[name] = spec.name
        entries[spec.name] = {
            "dagster_name": name,
            "cron": spec.schedule.cron,
            "timezone": spec.schedule.timezone,
        }
    lines = [
        f"MP = {mp!r}",
        f"WORKDIR = {str(workdir)!r}",
        "PIPELINES: dict[str, dict[str, str]] = {",
    ]
    lines += [f"    {name!r}: {entry!r}," for name, entry in entries.items()]
    lines.append("}")
    return _HEADER.format(filename=FILENAME) + "\n".join(lines) + "\n" + _BODY
