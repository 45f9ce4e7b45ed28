"""``mp schedule export --target github-actions``: one workflow that keeps its state across runs.

- It installs ``mixpanel-data`` from the checkout (``pip install .``): the package is not on
  the package index, so the repository holding ``pipelines.yaml`` holds the project's source
  too (a fork, or a vendored copy at its root).
- Credentials come from repository secrets, on the run steps only: ``MP_USERNAME``,
  ``MP_SECRET`` and ``MP_PROJECT_ID`` (a service account), ``MP_WORKSPACE_ID`` and ``MP_REGION``
  (empty when unset, which means none / ``us``), plus each destination's credentials.
- A runner is thrown away after each run, and with it the embedded DuckDB and dlt's state
  (cursors). So ``MP_DATA_DIR`` is restored from the newest ``actions/cache`` entry before the
  runs and saved as a new entry after them, even when a run failed (what it committed is
  consistent: dlt commits rows and cursor together). Runs of the workflow queue on one
  ``concurrency`` group, and the pipelines run as steps of one job, so no two runs fork the
  state. GitHub evicts a cache entry unused for 7 days (and the oldest past 10 GB per
  repository): keep data that must outlive that in a remote destination.
- GitHub's cron is UTC only: a pipeline scheduled in another zone is refused (exit 3) rather
  than silently shifted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.schedule.runenv import CREDENTIAL_VARS, secret_names, settings_env

FILENAME = "mixpanel-data.yml"
DATA_DIR = "${{ github.workspace }}/.mp-data"
CACHE_KEY = "mixpanel-data-${{ github.run_id }}-${{ github.run_attempt }}"
CACHE_PREFIX = "mixpanel-data-"

_HEADER = """\
# mixpanel-data pipelines (mp schedule export --target github-actions). Put this file in
# .github/workflows/ of the repository holding pipelines.yaml and mixpanel-data's source, and
# set the repository secrets MP_USERNAME, MP_SECRET, MP_PROJECT_ID (MP_REGION and
# MP_WORKSPACE_ID when you use them){extra}.
# State: MP_DATA_DIR (the DuckDB file, dlt's state and cursors) is restored from the newest
# actions/cache entry before the runs and saved as a new one after them. GitHub evicts entries
# unused for 7 days: keep data that must outlive that in a remote destination.
"""


def _pipelines_path(settings: Settings, workdir: Path) -> str:
    path = settings.pipelines_file
    full = path if path.is_absolute() else workdir / path
    try:
        return str(full.relative_to(workdir))
    except ValueError:
        raise InvalidArgumentError(
            f"{path} is outside {workdir}: the workflow reads pipelines.yaml from the "
            "repository; export from the repository's root with the file inside it."
        ) from None


def workflow(
    specs: list[PipelineSpec],
    settings: Settings,
    workdir: Path,
    global_args: tuple[str, ...] = (),
) -> str:
    """The workflow's text: one job, a cache restore, a step per pipeline, a cache save."""
    for spec in specs:
        assert spec.schedule is not None
        if spec.schedule.timezone != "UTC":
            raise InvalidArgumentError(
                f"Pipeline {spec.name!r} is scheduled in {spec.schedule.timezone}: GitHub Actions "
                "cron is UTC only; give it a UTC schedule or export crontab/systemd instead."
            )
    if "--account" in global_args:
        raise InvalidArgumentError(
            "--account names an account in this machine's accounts file, which a runner does "
            "not have: export without it; the workflow reads credentials from secrets."
        )
    env = {
        k: v
        for k, v in settings_env(settings).items()
        if k not in ("MP_DATA_DIR", "MP_PIPELINES", "MP_CONFIG_PATH")
    }
    env = {"MP_DATA_DIR": DATA_DIR, "MP_PIPELINES": _pipelines_path(settings, workdir), **env}
    secrets = {name: f"${{{{ secrets.{name} }}}}" for name in secret_names(specs)}
    crons = list(dict.fromkeys(s.schedule.cron for s in specs if s.schedule))
    cache = {"path": "${{ env.MP_DATA_DIR }}", "key": CACHE_KEY}
    steps: list[dict[str, Any]] = [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
        {"name": "Install mixpanel-data from this checkout", "run": "pip install ."},
        {
            "name": "Restore MP_DATA_DIR (the newest saved state)",
            "uses": "actions/cache/restore@v4",
            "with": {**cache, "restore-keys": CACHE_PREFIX},
        },
    ]
    for spec in specs:
        assert spec.schedule is not None
        when = (
            "${{ !cancelled() && (github.event_name == 'workflow_dispatch' || "
            f"github.event.schedule == '{spec.schedule.cron}') }}}}"
        )
        steps.append(
            {
                "name": f"mp run {spec.name}",
                "if": when,
                "run": " ".join(["mp", "--quiet", *global_args, "run", spec.name]),
                "env": dict(secrets),  # a copy each: no YAML anchors
            }
        )
    steps.append(
        {"name": "Save MP_DATA_DIR", "if": "${{ !cancelled() }}", "uses": "actions/cache/save@v4"}
        | {"with": cache}
    )
    document = {
        "name": "mixpanel-data pipelines",
        "on": {"workflow_dispatch": {}, "schedule": [{"cron": c} for c in crons]},
        "concurrency": {"group": "mixpanel-data-state", "cancel-in-progress": False},
        "jobs": {"pipelines": {"runs-on": "ubuntu-latest", "env": env, "steps": steps}},
    }
    extra = [n for n in secret_names(specs) if n not in CREDENTIAL_VARS]
    header = _HEADER.format(extra=f", and {', '.join(extra)}" if extra else "")
    body = yaml.safe_dump(document, sort_keys=False, width=1000, default_flow_style=False)
    return header + body
