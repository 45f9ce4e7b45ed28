"""``mp schedule export``: deployable definitions that call ``mp run NAME`` on each schedule.

- ``crontab``: one ``CRON_TZ=<zone>`` line per pipeline (cronie, and systemd-less hosts), then the
  entry; the run holds nothing else, so cron's mail gets ``mp``'s one-line errors.
- ``systemd``: a ``mp-<name>.service`` (oneshot) and ``mp-<name>.timer`` whose ``OnCalendar``
  is the cron line translated, with its IANA zone (systemd >= 235), ``Persistent=true`` so a
  missed time runs once at boot.
- ``github-actions``: one workflow; GitHub's cron is always UTC, so a pipeline in another zone
  is refused (exit 3) rather than silently shifted.
- ``dagster``: one definitions module (see :mod:`mixpanel_data.schedule.dagster_defs`) with a
  job and a schedule (cron + ``execution_timezone``) per pipeline.
"""

from __future__ import annotations

from pathlib import Path

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.exceptions import InvalidArgumentError

TARGETS = ("crontab", "systemd", "github-actions", "dagster")
_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def crontab(specs: list[PipelineSpec], workdir: Path, mp: str = "mp") -> str:
    lines = ["# mixpanel-data schedules (mp schedule export --target crontab)"]
    for spec in specs:
        assert spec.schedule is not None
        lines += [
            f"CRON_TZ={spec.schedule.timezone}",
            f"{spec.schedule.cron} cd {workdir} && {mp} --quiet run {spec.name}",
        ]
    return "\n".join(lines) + "\n"


def _systemd_field(field: str, names: list[str] | None = None) -> str:
    parts = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/")
            step = "/" + step
            part = "0" if part == "*" and not names else part
        if names and part != "*":
            ends = [names[int(p)] for p in part.split("-")]
            parts.append("..".join(ends))
        else:
            parts.append(part.replace("-", "..") + step)
    return ",".join(parts)


def on_calendar(cron: str, timezone: str) -> str:
    """A 5-field cron line as a systemd ``OnCalendar`` expression in ``timezone``."""
    minute, hour, dom, month, dow = cron.split()
    days = "" if dow == "*" else _systemd_field(dow, _DAYS) + " "
    date = f"*-{_systemd_field(month)}-{_systemd_field(dom)}"
    return f"{days}{date} {_systemd_field(hour)}:{_systemd_field(minute)}:00 {timezone}"


def systemd(specs: list[PipelineSpec], workdir: Path, mp: str = "mp") -> dict[str, str]:
    units = {}
    for spec in specs:
        assert spec.schedule is not None
        units[f"mp-{spec.name}.service"] = (
            "[Unit]\n"
            f"Description=mixpanel-data pipeline {spec.name}\n\n"
            "[Service]\nType=oneshot\n"
            f"WorkingDirectory={workdir}\n"
            f"ExecStart={mp} --quiet run {spec.name}\n"
        )
        units[f"mp-{spec.name}.timer"] = (
            "[Unit]\n"
            f"Description=Schedule of mixpanel-data pipeline {spec.name}\n\n"
            "[Timer]\n"
            f"OnCalendar={on_calendar(spec.schedule.cron, spec.schedule.timezone)}\n"
            "Persistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
    return units


def github_actions(specs: list[PipelineSpec]) -> str:
    lines = ["name: mixpanel-data pipelines", "on:", "  workflow_dispatch: {}", "  schedule:"]
    for spec in specs:
        assert spec.schedule is not None
        if spec.schedule.timezone != "UTC":
            raise InvalidArgumentError(
                f"Pipeline {spec.name!r} is scheduled in {spec.schedule.timezone}: GitHub Actions "
                "cron is UTC only; give it a UTC schedule or export crontab/systemd instead."
            )
        lines.append(f'    - cron: "{spec.schedule.cron}"')
    lines += ["jobs:"]
    for spec in specs:
        assert spec.schedule is not None
        lines += [
            f"  {spec.name.replace('_', '-')}:",
            f"    if: github.event_name == 'workflow_dispatch' || "
            f"github.event.schedule == '{spec.schedule.cron}'",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "      - uses: actions/setup-python@v5",
            "        with: {python-version: '3.11'}",
            "      - run: pip install mixpanel-data",
            f"      - run: mp --quiet run {spec.name}",
            "        env:",
            "          MP_SECRET: ${{ secrets.MP_SECRET }}",
            "          MP_PROJECT_ID: ${{ vars.MP_PROJECT_ID }}",
        ]
    return "\n".join(lines) + "\n"


def export(target: str, specs: list[PipelineSpec], out: Path, workdir: Path) -> list[Path]:
    """Write ``target``'s files for ``specs`` into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    if target == "crontab":
        files = {"mixpanel-data.crontab": crontab(specs, workdir)}
    elif target == "systemd":
        files = systemd(specs, workdir)
    elif target == "github-actions":
        files = {"mixpanel-data.yml": github_actions(specs)}
    elif target == "dagster":
        from mixpanel_data.schedule.dagster_defs import FILENAME, dagster_module

        files = {FILENAME: dagster_module(specs, workdir)}
    else:
        raise InvalidArgumentError(f"Unknown target {target!r}: one of {', '.join(TARGETS)}.")
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written
