"""``mp audit``: check the loaded events against a tracking plan; ``mp audit plan``: the plan.

``mp audit`` exits 0 when clean and 1 when any P0 (personal data) or P1 (plan, identity)
finding remains, so it can gate CI; the report goes to stdout (or ``--output``) as Markdown,
json, jsonl, csv or a table. Without ``tracking_plan.yaml`` it runs the default review rules
and says so. ``mp audit plan --from-data`` drafts a plan from the loaded events;
``mp audit plan`` alone validates the plan file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixpanel_data.cli.output import emit, render_rows, render_value
from mixpanel_data.cli.state import OPTIONS
from mixpanel_data.exceptions import ConfigError, InvalidArgumentError

if TYPE_CHECKING:
    from datetime import date

    from mixpanel_data.audit import AuditReport

REPORT_FORMATS = ("markdown", "json", "jsonl", "csv", "table")

app = typer.Typer(
    name="audit",
    invoke_without_command=True,
    no_args_is_help=False,
    help="Audit loaded events against a tracking plan (exit 1 on P0/P1 findings).",
)

PlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="Tracking plan (default: MP_TRACKING_PLAN or tracking_plan.yaml; without one, "
        "`mp audit` runs the default review rules).",
    ),
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First event day audited, YYYY-MM-DD (inclusive).")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last event day audited, YYYY-MM-DD (inclusive).")
]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="Dataset holding `events` (default: mixpanel).")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


@app.callback()
def audit(
    ctx: typer.Context,
    plan: PlanOption = None,
    from_date: FromOption = None,
    to_date: ToOption = None,
    dataset: DatasetOption = None,
    report_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="markdown, json, jsonl, csv or table (default: the global --format).",
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Check the loaded events against the tracking plan; exit 1 on any P0/P1 finding."""
    if ctx.invoked_subcommand:
        return
    from mixpanel_data.audit import default_plan_path, load_plan, run_audit
    from mixpanel_data.audit.findings import NO_PLAN_NOTE
    from mixpanel_data.local.connection import open_settings_database

    fmt = _report_format(report_format)
    first, last = _days(from_date, to_date)
    path = plan or default_plan_path(OPTIONS.settings)
    tracking_plan = None if _no_plan(path, named=plan is not None) else load_plan(path)
    con = open_settings_database(OPTIONS.settings)
    try:
        report = run_audit(
            con, tracking_plan, dataset=dataset, first=first, last=last, plan_path=str(path)
        )
    finally:
        con.close()
    _write(render_report(report, fmt), output)
    if report.defaults:
        OPTIONS.status(NO_PLAN_NOTE)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts_by_severity().items())
    verdict = "FAIL" if report.blocking else "PASS"
    against = "the default review rules" if report.defaults else str(path)
    OPTIONS.status(
        f"Audited {report.rows:,} events against {against} in {report.duration_seconds:.1f}s: "
        f"{verdict} ({counts})"
    )
    raise typer.Exit(report.exit_code)


def _no_plan(path: Path, named: bool) -> bool:
    """Whether to audit with the default review rules: no plan at the default path.

    A plan named with ``--plan`` or ``MP_TRACKING_PLAN`` that is missing stays an error
    (exit 4): the user asked for that file.
    """
    from mixpanel_data.config.settings import Settings

    default = Settings.__dataclass_fields__["tracking_plan"].default
    return not named and path == default and not path.exists()


@app.command("plan")
def plan_command(
    from_data: Annotated[
        bool, typer.Option("--from-data", help="Draft a plan from the loaded events.")
    ] = False,
    plan: PlanOption = None,
    from_date: FromOption = None,
    to_date: ToOption = None,
    dataset: DatasetOption = None,
    output: OutputOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output.")] = False,
) -> None:
    """Draft a plan from the data (--from-data), or validate the plan file."""
    from mixpanel_data.audit import default_plan_path, draft_plan, dump_plan, load_plan
    from mixpanel_data.audit.draft import draft_notes

    if not from_data:
        path = plan or default_plan_path(OPTIONS.settings)
        checked = load_plan(path)
        summary = {
            "plan": str(path),
            "valid": True,
            "events": len(checked.events),
            "properties": sum(len(e.properties) for e in checked.events.values())
            + len(checked.common_properties),
            "rules": len(checked.rules),
        }
        emit(render_value(summary, OPTIONS.format))
        return
    if output is not None and output.exists() and not force:
        raise ConfigError(f"{output} exists: pass --force to overwrite it, or pick another path.")
    from mixpanel_data.local.connection import open_settings_database

    first, last = _days(from_date, to_date)
    con = open_settings_database(OPTIONS.settings)
    try:
        drafted = draft_plan(con, dataset=dataset, first=first, last=last)
    finally:
        con.close()
    _write(dump_plan(drafted, notes=draft_notes(drafted)).rstrip("\n"), output)
    OPTIONS.status(
        f"Drafted {len(drafted.events)} events; edit it, then run `mp audit"
        f"{f' --plan {output}' if output else ''}`."
    )


def render_report(report: AuditReport, fmt: str) -> str:
    """The report as text in ``fmt`` (one of REPORT_FORMATS)."""
    from mixpanel_data.audit import report as reports

    if fmt == "markdown":
        return reports.markdown(report).rstrip("\n")
    if fmt == "json":
        return render_value(report.to_dict(), "json")
    if fmt == "table":
        summary = [[r["category"], r["status"], r["issues"], r["rows"]] for r in report.summary()]
        parts = [render_rows(["category", "status", "issues", "rows"], summary, "table")]
        if report.defaults:
            parts.insert(0, report.to_dict()["note"])
        if report.findings:
            parts.append(render_rows(reports.ROW_COLUMNS, reports.rows(report), "table"))
        return "\n".join(parts)
    return render_rows(reports.ROW_COLUMNS, reports.rows(report), fmt)


def _report_format(value: str | None) -> str:
    fmt = {"md": "markdown"}.get(value or "", value) or OPTIONS.format
    if fmt not in REPORT_FORMATS:
        raise InvalidArgumentError(
            f"--format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}: pick one."
        )
    return fmt


def _days(from_date: str | None, to_date: str | None) -> tuple[date | None, date | None]:
    from mixpanel_data.config.dates import parse_day

    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    if first and last and last < first:
        raise InvalidArgumentError(f"--from {first} is after --to {last}: swap them.")
    return first, last


def _write(text: str, output: Path | None) -> None:
    if output is None:
        emit(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    OPTIONS.status(f"Wrote {output}")


def register(root: Any) -> None:
    root.add_typer(app, name="audit")
