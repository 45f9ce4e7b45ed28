"""``Workspace.fetch_events`` / ``fetch_profiles``: the dlt resources, run by the one runner.

Tables are dlt-managed and merged: a fetch adds to (and deduplicates into) ``events`` or
``profiles``; it never replaces them. A table name other than the resource's is refused with
the way out (a separate workspace path, or a pipeline with its own dataset in pipelines.yaml),
because dlt keeps one incremental cursor per resource and a second table under the same
cursor would silently miss data.
"""

from __future__ import annotations

import sys
from datetime import UTC, date
from typing import TYPE_CHECKING, Any

from mixpanel_data.config.credentials import Credentials
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError, MixpanelDataError
from mixpanel_data.results import FetchResult

if TYPE_CHECKING:
    from mixpanel_data.run.progress import WindowProgress


def check_table_name(name: str, resource: str) -> None:
    """Refuse ``name`` unless it is the resource's own table (see the module docstring)."""
    if name != resource:
        raise InvalidArgumentError(
            f"Cannot fetch into {name!r}: {resource} are merged into the dlt-managed table "
            f"{resource!r}. For a separate copy use another Workspace(path=...) or "
            "Workspace.ephemeral(), or a pipelines.yaml pipeline with its own dataset."
        )


def run_fetch(
    resource: str,
    settings: Settings,
    credentials: Credentials,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    options: dict[str, Any] | None = None,
    progress: Any = True,
) -> FetchResult:
    """Load one resource into the settings' database; the summary as a FetchResult.

    The ``events``/``profiles`` pipeline definitions apply (built-in, or as pipelines.yaml
    overrides them, so its options such as ``project_timezone`` hold), always into the
    workspace's own DuckDB file; ``options`` add source settings for this call.
    """
    from mixpanel_data.config.pipelines import get_pipeline
    from mixpanel_data.run.checks import check_run_request
    from mixpanel_data.run.runner import run_pipeline
    from mixpanel_data.schedule.lock import run_lock

    fetched_at = settings.clock.now().astimezone(UTC)
    given = {k: v for k, v in (options or {}).items() if v is not None}  # False and 0 are values
    overrides = {"credentials": credentials, **given}
    spec = get_pipeline(resource, settings.pipelines_file).model_copy(
        update={"destination": "duckdb"}
    )
    check_run_request(spec, settings, from_date, to_date, {**spec.options, **given})
    # the lock `mp run` and the scheduler hold: a run cleans up the working folder it shares
    with run_lock(settings.schedule_dir, spec) as held, _observer(progress) as observer:
        if not held:
            raise MixpanelDataError(
                f"Pipeline {resource!r} of {settings.data_dir} is already running (a scheduler, "
                "an `mp run` or another fetch): wait for it to finish, then fetch again."
            )
        summary = run_pipeline(
            spec,
            settings,
            from_date=from_date,
            to_date=to_date,
            observer=observer,
            source_overrides=overrides,
        )
    return FetchResult(
        table=resource,
        rows=summary.rows_fetched,
        type=resource,
        duration_seconds=summary.duration_seconds,
        date_range=summary.date_range,
        fetched_at=fetched_at,
        rows_new=summary.rows_new,
        duplicates_dropped=summary.duplicates_dropped,
        table_rows=summary.table_rows.get(resource, 0),
    )


def _observer(progress: Any) -> Any:
    """``True``: a bar on stderr when it is a terminal; ``False``: none; else the caller's hooks."""
    if progress is True:
        return _stderr_bar() if sys.stderr.isatty() else _Quiet()
    if not progress:
        return _Quiet()
    return _Given(progress)


def _stderr_bar() -> WindowProgress:
    """The bar ``mp run`` draws, on stderr, gone once the fetch returns (a notebook keeps the
    result, not the bar)."""
    from rich.console import Console

    from mixpanel_data.run.progress import WindowProgress

    return WindowProgress(True, Console(stderr=True), transient=True)


class _Quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Given(_Quiet):
    def __init__(self, observer: Any) -> None:
        self.observer = observer

    def __enter__(self) -> Any:
        return self.observer
