"""Last run per pipeline, from what dlt itself keeps in the destination.

dlt records every completed load in ``<dataset>._dlt_loads`` and commits the pipeline state
(each resource's incremental cursor) to ``<dataset>._dlt_pipeline_state`` in the same
transaction as the rows it describes. Those two tables replace the design's hand-made
``_metadata``: they cannot disagree with the data.

Several ``mp`` pipelines share one dlt pipeline (``events`` and ``profiles`` both load
``mp_mixpanel``), so ``_dlt_loads`` alone cannot say whose load a row is. Each committed state
version carries the ``_dlt_load_id`` that wrote it: a load belongs to the resources whose state
it changed (``resource_loads``), and an ``mp`` pipeline's history is its resources' loads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mixpanel_data.local.connection import is_dlt_dataset, quote
from mixpanel_data.results import PipelineStatus

logger = logging.getLogger("mixpanel_data.local.loadinfo")


def pipeline_statuses(con: Any, pipelines_file: Path | None = None) -> list[PipelineStatus]:
    """Every named pipeline (built-ins and pipelines.yaml), then any other dlt dataset found."""
    from mixpanel_data.config.pipelines import load_pipelines
    from mixpanel_data.local.connection import dataset_schemas

    datasets = [s for s in dataset_schemas(con) if is_dlt_dataset(con, s)]
    states = {d: latest_state(con, d) for d in datasets}
    specs = load_pipelines(pipelines_file)
    out = []
    for spec in specs.values():
        local = spec.destination == "duckdb" and spec.dataset in states
        state = states.get(spec.dataset) if local else None
        status = _status(
            con,
            name=spec.name,
            dataset=spec.dataset,
            resources=tuple(spec.resources),
            destination=spec.destination,
            schedule=spec.schedule.cron if spec.schedule else None,
            state=state,
            dlt_name=spec.dlt_name,
        )
        if state is not None:
            loads, last = pipeline_loads(con, spec.dataset, spec.dlt_name, spec.resources)
            status = replace(status, loads=loads, last_loaded_at=last)
        out.append(status)
    named = {s.dataset for s in specs.values() if s.destination == "duckdb"}
    for dataset in datasets:
        if dataset not in named:
            state = states[dataset] or {}
            resources = tuple(_resource_states(state))
            name = str(state.get("pipeline_name") or dataset)
            dlt_name = str(state.get("pipeline_name") or "")
            out.append(_status(con, name, dataset, resources, "duckdb", None, state, dlt_name))
    return out


def _status(
    con: Any,
    name: str,
    dataset: str,
    resources: tuple[str, ...],
    destination: str,
    schedule: str | None,
    state: dict[str, Any] | None,
    dlt_name: str = "",
) -> PipelineStatus:
    loads, last = load_summary(con, dataset) if state is not None else (0, None)
    return PipelineStatus(
        dlt_pipeline=dlt_name,
        name=name,
        dataset=dataset,
        resources=resources,
        destination=destination,
        schedule=schedule,
        last_loaded_at=last,
        loads=loads,
        cursors=cursors(state or {}, resources),
        events=events_summary(state or {}) if "events" in resources else {},
    )


def load_summary(con: Any, dataset: str) -> tuple[int, str | None]:
    """(completed loads, when the last one finished) from ``_dlt_loads``."""
    row = con.execute(
        f"SELECT count(*), max(inserted_at) FROM {quote(dataset, '_dlt_loads')} WHERE status = 0"
    ).fetchone()
    count, last = row if row else (0, None)
    return int(count or 0), (last.isoformat() if last is not None else None)


def dlt_info_command(pipelines_dir: Path, dlt_name: str) -> str:
    """The ``dlt pipeline`` command that inspects ``dlt_name`` where ``mp`` keeps it."""
    import shlex

    return f"dlt pipeline --pipelines-dir {shlex.quote(str(pipelines_dir))} {dlt_name} info"


def pipeline_loads(
    con: Any, dataset: str, dlt_name: str, resources: Sequence[str]
) -> tuple[int, str | None]:
    """(completed loads, when the last finished) of the loads that changed ``resources``."""
    by_resource = resource_loads(con, dataset, dlt_name)
    ids = sorted({i for r in resources for i in by_resource.get(r, [])})
    if not ids:
        return 0, None
    row = con.execute(
        f"SELECT count(*), max(inserted_at) FROM {quote(dataset, '_dlt_loads')} "
        "WHERE status = 0 AND list_contains(?, load_id)",
        [ids],
    ).fetchone()
    count, last = row if row else (0, None)
    return int(count or 0), (last.isoformat() if last is not None else None)


def resource_loads(con: Any, dataset: str, dlt_name: str) -> dict[str, list[str]]:
    """``{resource: [load_id, ...]}``: the loads of ``dlt_name`` that changed each resource's
    state, from every state version dlt committed to ``dataset`` (oldest first)."""
    if not _has_table(con, dataset, "_dlt_pipeline_state"):
        return {}
    from dlt.common.versioned_state import decompress_state

    rows = con.execute(
        f"SELECT state, _dlt_load_id FROM {quote(dataset, '_dlt_pipeline_state')} "
        "WHERE pipeline_name = ? ORDER BY version, created_at",
        [dlt_name],
    ).fetchall()
    seen: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for blob, load_id in rows:
        try:
            resources = _resource_states(dict(decompress_state(blob)))
        except Exception as exc:  # a state written by an incompatible dlt: skip that version
            logger.info("cannot decode a dlt state of %s: %s", dataset, type(exc).__name__)
            continue
        for name, value in resources.items():
            digest = json.dumps(value, sort_keys=True, default=str)
            if seen.get(name) != digest:
                seen[name] = digest
                out.setdefault(name, []).append(str(load_id))
    return out


def _has_table(con: Any, dataset: str, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [dataset, table],
    ).fetchone()
    return bool(found and found[0])


def latest_state(con: Any, dataset: str) -> dict[str, Any] | None:
    """The newest pipeline state dlt committed to ``dataset`` ({} when it committed none).

    Only a missing state table means "no state": any other failure (a locked or damaged
    database) propagates, so ``mp info`` never shows "no cursor" for a cursor it could not read.
    """
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = '_dlt_pipeline_state'",
        [dataset],
    ).fetchone()
    if not (found and found[0]):
        return {}
    row = con.execute(
        f"SELECT state FROM {quote(dataset, '_dlt_pipeline_state')} "
        "ORDER BY version DESC, created_at DESC LIMIT 1"
    ).fetchone()
    if not row:
        return {}
    try:
        from dlt.common.versioned_state import decompress_state

        return dict(decompress_state(row[0]))
    except Exception as exc:  # a state written by an incompatible dlt: show no cursor
        logger.info("cannot decode the dlt state of %s: %s", dataset, type(exc).__name__)
        return {}


def _resource_states(state: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for source in (state.get("sources") or {}).values():
        merged.update((source or {}).get("resources") or {})
    return merged


def cursors(state: dict[str, Any], resources: tuple[str, ...]) -> dict[str, Any]:
    """``{resource: cursor}``: the export day for events, ``$last_seen`` for profiles.

    Read from the resources' own state, or from dlt's ``incremental`` layout of earlier versions.
    """
    by_resource = _resource_states(state)
    out: dict[str, Any] = {}
    for resource in resources:
        found = by_resource.get(resource) or {}
        if found.get("cursor") is not None:
            out[resource] = str(found["cursor"])
            continue
        incremental = found.get("incremental") or {}
        for values in incremental.values():
            value = (values or {}).get("last_value")
            out[resource] = None if value is None else str(value)
            break
    return out


def events_summary(state: dict[str, Any]) -> dict[str, Any]:
    """What ``mp info`` shows of the events state (see ``sources.mixpanel.cursor``)."""
    events = _resource_states(state).get("events") or {}
    if not events:
        return {}
    backfill = events.get("backfill")
    return {
        "loaded": events.get("loaded") or [],
        "backfill_in_progress": backfill,
        "event_date_zone": events.get("zone"),
        "export_times": events.get("export_times"),
    }
