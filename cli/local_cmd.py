"""Introspect and manage the local database: ``mp tables``, ``mp schema``, ``mp info``, ``mp drop``.

Each command is a few lines over ``mixpanel_data.local.catalog`` / ``tabledrop`` (the functions the
``Workspace`` uses), so a destination option can be added in the library without touching the
output code here.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mixpanel_data.cli.live_common import configured_target
from mixpanel_data.cli.output import emit, render_records, render_rows, render_value
from mixpanel_data.cli.state import OPTIONS, interactive
from mixpanel_data.exceptions import ConfigError, InvalidArgumentError, MixpanelDataError

TABLE_COLUMNS = ("table", "dataset", "type", "rows")


def tables() -> None:
    """List local tables with their type (events, profiles, other) and row count."""
    from mixpanel_data.local.catalog import list_tables
    from mixpanel_data.local.connection import open_settings_database

    con = open_settings_database(OPTIONS.settings)
    try:
        found = list_tables(con)
    finally:
        con.close()
    emit(render_records(TABLE_COLUMNS, [t.to_dict() for t in found], OPTIONS.format))


def schema(
    table: Annotated[str, typer.Argument(help="A table name, e.g. events or mixpanel.events.")],
) -> None:
    """Columns of a table with their types; query JSON properties as properties->>'$.name'."""
    from mixpanel_data.local.catalog import table_schema
    from mixpanel_data.local.connection import open_settings_database

    con = open_settings_database(OPTIONS.settings)
    try:
        found = table_schema(con, table)
    finally:
        con.close()
    rows = [(c.name, c.type, c.nullable) for c in found.columns]
    emit(render_rows(["column", "type", "nullable"], rows, OPTIONS.format))


def info(
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", help="Show this pipeline's destination and schedule history."),
    ] = None,
) -> None:
    """Database path and size, tables with row counts, days loaded, last run per pipeline, and
    the Mixpanel project and Data View (workspace) the configured credentials point at.

    Once `mp schedule run` has a history: last success, last failure and next run per schedule.
    """
    from mixpanel_data.local.catalog import database_info, schedule_history

    if pipeline:
        from mixpanel_data.config.pipelines import get_pipeline
        from mixpanel_data.destinations.query import pipeline_info

        settings = OPTIONS.settings
        spec = get_pipeline(pipeline, settings.pipelines_file)
        emit(render_value(pipeline_info(spec, settings), OPTIONS.format))
        return
    from mixpanel_data.exceptions import PipelineConfigError

    settings = OPTIONS.settings
    try:
        found = database_info(settings).to_dict()
    except PipelineConfigError as exc:  # a broken pipelines.yaml must not hide the database's state
        OPTIONS.status(f"warning: pipelines.yaml not read, built-in pipelines shown: {exc}")
        builtins_only = settings.with_(pipelines_file=settings.data_dir / "(no pipelines file)")
        found, history = database_info(builtins_only).to_dict(), []
    else:
        try:
            history = schedule_history(settings)
        except ConfigError as exc:
            OPTIONS.status(f"warning: schedule history not shown: {exc}")
            history = []
    _add_dlt_commands(found.get("pipelines") or [])
    if history:
        found["schedule"] = history
    found["mixpanel"] = configured_target()  # project and Data View the next run reads
    emit(render_value(found, OPTIONS.format))


def _add_dlt_commands(pipelines: list[dict[str, object]]) -> None:
    """Each pipeline's ``dlt pipeline --pipelines-dir DIR NAME info``: dlt's names are not ours."""
    from mixpanel_data.local.loadinfo import dlt_info_command

    for entry in pipelines:
        name = entry.get("dlt_pipeline")
        if name:
            entry["dlt_info"] = dlt_info_command(OPTIONS.settings.pipelines_dir, str(name))


def drop(
    names: Annotated[
        list[str] | None, typer.Argument(help="Tables to drop (events, profiles, ...).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every local table.")] = False,
    type_: Annotated[
        str | None, typer.Option("--type", help="Only tables of this type: events or profiles.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop tables and reset their load cursors (the next `mp run` loads them afresh).

    Asks for confirmation on a terminal; elsewhere (scripts, agents) it refuses without --force.
    """
    from mixpanel_data.destinations.drop import drop_tables, plan_drop
    from mixpanel_data.local.catalog import list_tables
    from mixpanel_data.local.connection import open_settings_database

    con = open_settings_database(OPTIONS.settings)
    try:
        chosen = plan_drop(con, list_tables(con), names or [], all_=all_, type_=type_)
    finally:
        con.close()
    if not chosen:
        OPTIONS.status("Nothing to drop.")
    elif not force:
        _confirm(", ".join(f"{t.name} ({t.rows:,} rows)" for t in chosen))
    if chosen:
        drop_tables(OPTIONS.settings, chosen)
        OPTIONS.status(f"Dropped {', '.join(t.name for t in chosen)}.")
    emit(render_records(TABLE_COLUMNS, [t.to_dict() for t in chosen], OPTIONS.format))


def _confirm(what: str) -> None:
    if not interactive():
        raise InvalidArgumentError(
            f"Refusing to drop {what} without --force: not on a terminal, so nobody can confirm."
        )
    if not typer.confirm(f"Drop {what}? Their rows and load cursors go.", err=True):
        raise MixpanelDataError("Nothing dropped: not confirmed.")


def register(app: typer.Typer) -> None:
    app.command("tables")(tables)
    app.command("schema")(schema)
    app.command("info")(info)
    app.command("drop")(drop)
