"""``mp schedule export``: deployable definitions that call ``mp run NAME`` on each schedule.

Every target runs the ``mp`` that exported (absolute path, or ``--venv``) in the working
directory, with the settings that point it at the same data (see
:mod:`mixpanel_data.schedule.runenv`) and the secrets read from an environment file the export
names but never fills.

- ``crontab``: per pipeline a ``CRON_TZ=<zone>`` line, then the entry, which exports the
  settings, sources the secrets file and runs ``mp``; the run prints nothing else, so cron's
  mail gets ``mp``'s one-line errors. ``CRON_TZ`` is honoured by cronie (Fedora, RHEL, Arch,
  openSUSE); some other crons (Debian's and Ubuntu's, macOS, busybox) ignore it and read the
  times in the host's zone, so the export warns when a pipeline's zone keeps other times than
  the host's (there, use the systemd target).
- ``systemd``: a ``mp-<name>.service`` (oneshot, ``Environment=`` settings, ``EnvironmentFile=``
  secrets) and ``mp-<name>.timer`` whose ``OnCalendar=`` lines are the cron line translated (see
  :mod:`mixpanel_data.schedule.calendar`), with its IANA zone (systemd >= 235),
  ``Persistent=true`` so a missed time runs once at boot.
- ``github-actions``: see :mod:`mixpanel_data.schedule.github`.
- ``dagster``: one definitions module (see :mod:`mixpanel_data.schedule.dagster_defs`) with a
  job and a schedule (cron + ``execution_timezone``) per pipeline.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.schedule.calendar import on_calendar
from mixpanel_data.schedule.runenv import RunContext, write_env_file

TARGETS = ("crontab", "systemd", "github-actions", "dagster")

_CRONTAB_HEADER = """\
# mixpanel-data schedules (mp schedule export --target crontab); install with `crontab FILE`
# (it replaces your crontab) or paste the lines into `crontab -e`.
# Secrets: {env_file} (KEY=value lines, mode 0600), sourced by each entry; it lists the names.
# CRON_TZ is honoured by cronie (Fedora, RHEL, Arch, openSUSE), not by Debian's and Ubuntu's
# cron, macOS or busybox, which read every time below in the host's zone: there, use
# `mp schedule export --target systemd`, or write the schedules in the host's zone.
"""


def crontab(specs: list[PipelineSpec], context: RunContext) -> str:
    """The crontab text; every ``%`` is escaped (cron turns a bare one into a newline)."""
    lines = [_CRONTAB_HEADER.format(env_file=context.env_file).rstrip("\n")]
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in context.env.items())
    for spec in specs:
        assert spec.schedule is not None
        steps = [f"cd {shlex.quote(str(context.workdir))}"]
        if exports:
            steps.append(f"export {exports}")
        if context.env_file is not None:
            steps += ["set -a", f". {shlex.quote(str(context.env_file))}", "set +a"]
        steps.append(f"exec {context.command(spec.name)}")
        command = " && ".join(steps).replace("%", "\\%")
        lines += [f"CRON_TZ={spec.schedule.timezone}", f"{spec.schedule.cron} {command}"]
    return "\n".join(lines) + "\n"


def cron_command(line: str) -> str:
    """The shell command of a crontab entry, as cron hands it to ``/bin/sh -c``."""
    command = line.split(maxsplit=5)[5]
    return command.replace("\\%", "%")


def zone_differs_from_host(timezone: str, now: datetime | None = None) -> bool:
    """True if ``timezone``'s UTC offset differs from this host's at any month start of a year.

    A crontab without CRON_TZ support reads times in the host's zone: equal offsets all year
    mean the same times."""
    start = (now or datetime.now(UTC)).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    zone = ZoneInfo(timezone)
    for month in range(13):
        moment = start + timedelta(days=31 * month)
        if moment.astimezone(zone).utcoffset() != moment.astimezone().utcoffset():
            return True
    return False


def _unit_value(text: str, *, command: bool = False) -> str:
    """``text`` for a unit file: ``%`` doubled (systemd specifiers), ``$`` doubled in a command
    line (variable expansion), double-quoted when it holds a space, a quote or a backslash."""
    text = text.replace("%", "%%")
    if command:
        text = text.replace("$", "$$")
    if any(c in text for c in " \t\"'\\"):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def systemd(specs: list[PipelineSpec], context: RunContext) -> dict[str, str]:
    """``mp-NAME.service`` and ``mp-NAME.timer`` per pipeline."""
    units = {}
    for spec in specs:
        assert spec.schedule is not None
        service = [
            "[Unit]",
            f"Description=mixpanel-data pipeline {spec.name}",
            "",
            "[Service]",
            "Type=oneshot",
            f"WorkingDirectory={str(context.workdir).replace('%', '%%')}",  # taken verbatim
        ]
        service += [f"Environment={_unit_value(f'{k}={v}')}" for k, v in context.env.items()]
        if context.env_file is not None:
            service.append(f"EnvironmentFile={str(context.env_file).replace('%', '%%')}")
        argv = " ".join(_unit_value(a, command=True) for a in context.argv(spec.name))
        service.append(f"ExecStart={argv}")
        units[f"mp-{spec.name}.service"] = "\n".join(service) + "\n"
        calendars = on_calendar(spec.schedule.cron, spec.schedule.timezone)
        units[f"mp-{spec.name}.timer"] = (
            "\n".join(
                [
                    "[Unit]",
                    f"Description=Schedule of mixpanel-data pipeline {spec.name}"
                    f" (cron {spec.schedule.cron} in {spec.schedule.timezone})",
                    "",
                    "[Timer]",
                    *(f"OnCalendar={c}" for c in calendars),
                    "Persistent=true",
                    "",
                    "[Install]",
                    "WantedBy=timers.target",
                ]
            )
            + "\n"
        )
    return units


def export(
    target: str,
    specs: list[PipelineSpec],
    out: Path,
    context: RunContext,
    settings: Settings,
) -> tuple[list[Path], list[str]]:
    """Write ``target``'s files for ``specs`` into ``out``: the paths written and notes for the
    user (what to fill in, what may not run as scheduled)."""
    notes: list[str] = []
    if target == "crontab":
        files = {"mixpanel-data.crontab": crontab(specs, context)}
        for spec in specs:
            assert spec.schedule is not None
            if zone_differs_from_host(spec.schedule.timezone):
                notes.append(
                    f"Pipeline {spec.name!r} runs in {spec.schedule.timezone}, not this host's "
                    "zone: CRON_TZ is honoured by cronie, not by Debian's or Ubuntu's cron; with "
                    "another cron use --target systemd."
                )
    elif target == "systemd":
        files = systemd(specs, context)
    elif target == "github-actions":
        from mixpanel_data.schedule.github import FILENAME, workflow

        files = {FILENAME: workflow(specs, settings, context.workdir, context.global_args)}
    elif target == "dagster":
        from mixpanel_data.schedule import dagster_defs

        files = {dagster_defs.FILENAME: dagster_defs.dagster_module(specs, context.workdir)}
    else:
        raise InvalidArgumentError(f"Unknown target {target!r}: one of {', '.join(TARGETS)}.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    if target in ("crontab", "systemd") and context.env_file is not None:
        if write_env_file(context.env_file, specs, context.workdir):
            written.append(context.env_file)
        notes.append(
            f"Secrets go in {context.env_file} (the variable names are listed in it); "
            "nothing secret was written."
        )
    return written, notes
