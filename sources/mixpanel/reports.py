"""dlt sources for Mixpanel reports (Query and App APIs), separate from ``mixpanel_source``.

The same reports ``mixpanel_data.live`` answers on the spot, loaded as tables so their history
can be kept (e.g. snapshot funnels daily from pipelines.yaml). Every request draws from the
process-wide Query API budget (60/hour, 5 concurrent per project; ``MP_QUERY_PER_HOUR`` /
``MP_QUERY_CONCURRENT``): one per funnel, event or bookmark per run, plus one per list.
Annotations and Lexicon schemas use the App API (service account only).

    source                 table         primary key                       disposition
    mixpanel_funnels       funnels       funnel_id                         replace
                           funnel_steps  report, date, segment, step       merge
    mixpanel_segmentation  segmentation  report, date, segment             merge
    mixpanel_retention     retention     report, date, period              merge
    mixpanel_insights      insights      report, timestamp, segment        merge
    mixpanel_lists         event_names, cohorts, annotations, schemas,     replace
                           cohort_members (with cohort_ids)

``report`` names what was asked (``7509``, ``Login|on=properties["$os"]|unit=week``), so several
reports share a table. Date-ranged reports run incrementally: each run re-reads
``lookback_days`` before the previous run's last day up to today (funnel conversions and late
events keep changing recent days; the merge keeps a re-read day once). The first run starts
``start_days_ago`` days back. ``from_date``/``to_date`` make a backfill that leaves that state
alone. Days are in the project's time zone: set ``project_timezone``, else "today" is taken
in the zone where it starts last (UTC-12) so Mixpanel never sees a future ``to_date``.
Those date parameters and the connection ones (``credentials``, ``account``, ``base_url``,
``client``) are declared once, in ``report_params``, and stand in every source's signature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

import dlt
from dlt.sources import DltResource

from mixpanel_data import live
from mixpanel_data.live._base import QueryClient, check_choice, check_id, check_text
from mixpanel_data.live.segmentation import check_week
from mixpanel_data.sources.mixpanel.report_params import (
    ReportConnection,
    ReportWindow,
    report_source,
)

__all__ = [
    "REPORT_SOURCES",
    "mixpanel_funnels",
    "mixpanel_insights",
    "mixpanel_lists",
    "mixpanel_retention",
    "mixpanel_segmentation",
    "report_key",
]

_MERGE: Any = {"disposition": "merge", "strategy": "delete-insert"}
_STEP_COLUMNS: Any = {
    "report": {"data_type": "text", "nullable": False},
    "funnel_id": {"data_type": "bigint"},
    "funnel_name": {"data_type": "text"},
    "event": {"data_type": "text"},
    "date": {"data_type": "date", "nullable": False},
    "segment": {"data_type": "text", "nullable": False},
    "step": {"data_type": "bigint", "nullable": False},
    "count": {"data_type": "bigint"},
    **{
        c: {"data_type": "double"}
        for c in ("step_conversion", "overall_conversion", "avg_time", "avg_time_from_start")
    },
}
_SEGMENTATION_COLUMNS: Any = {
    "report": {"data_type": "text", "nullable": False},
    **{c: {"data_type": "text"} for c in ("event", "breakdown", "type", "unit")},
    "date": {"data_type": "date", "nullable": False},
    "segment": {"data_type": "text", "nullable": False},
    "value": {"data_type": "double"},
}
_RETENTION_COLUMNS: Any = {
    "report": {"data_type": "text", "nullable": False},
    "born_event": {"data_type": "text"},
    "return_event": {"data_type": "text"},
    "date": {"data_type": "date", "nullable": False},
    "period": {"data_type": "bigint", "nullable": False},
    "size": {"data_type": "bigint"},
    "count": {"data_type": "bigint"},
    "rate": {"data_type": "double"},
}
_INSIGHTS_COLUMNS: Any = {
    "report": {"data_type": "text", "nullable": False},
    "bookmark_id": {"data_type": "bigint"},
    "timestamp": {"data_type": "text", "nullable": False},
    "segment": {"data_type": "text", "nullable": False},
    "date": {"data_type": "date"},
    "keys": {"data_type": "json"},
    "overall": {"data_type": "bool"},
    "value": {"data_type": "double"},
}


def report_key(name: str, **params: Any) -> str:
    """``name`` plus every parameter that is set: ``Login|on=properties["$os"]|unit=week``."""
    return "|".join([name, *(f"{k}={v}" for k, v in params.items() if v not in (None, ""))])


@report_source("mixpanel_funnels")
def mixpanel_funnels(
    funnel_ids: Sequence[int] | None = None,
    unit: str = "day",
    on: str | None = None,
    where: str | None = None,
    *,
    window: ReportWindow,
    connection: ReportConnection,
) -> Sequence[DltResource]:
    """Saved funnels (``/funnels/list``) and their steps per day/week/month (``/funnels``).

    ``funnel_ids`` None loads every saved funnel. With ``on``, one segment per property value
    plus ``$overall``; without, the segment is ``$overall``.
    """
    api = connection.open()
    cache = live.DiscoveryCache()
    ids = [check_id(i, "funnel id") for i in funnel_ids or []]

    @dlt.resource(name="funnels", primary_key="funnel_id", write_disposition="replace")
    def funnels() -> Iterator[list[dict[str, Any]]]:
        yield live.funnels_list(api, cache=cache).records()

    @dlt.resource(
        name="funnel_steps",
        primary_key=("report", "date", "segment", "step"),
        write_disposition=_MERGE,
        columns=_STEP_COLUMNS,
    )
    def funnel_steps() -> Iterator[list[dict[str, Any]]]:
        first, last = window.span()
        saved = live.funnels_list(api, cache=cache)
        for ident in ids or [f.funnel_id for f in saved.funnels]:
            result = live.funnel(api, ident, first, last, unit=unit, on=on, where=where)
            report = report_key(str(ident), on=on, where=where, unit=_unless(unit, "day"))
            common = {"report": report, "funnel_id": ident, "funnel_name": saved.name_of(ident)}
            yield [{**common, **r, "date": date.fromisoformat(r["date"])} for r in result.records()]
        window.done(last)

    return funnels, funnel_steps


@report_source("mixpanel_segmentation")
def mixpanel_segmentation(
    events: Sequence[str],
    on: str | None = None,
    unit: str = "day",
    type: str = "general",
    where: str | None = None,
    *,
    window: ReportWindow,
    connection: ReportConnection,
) -> DltResource:
    """Each event's counts per day/week/month and segment (``/segmentation``).

    ``unit`` is day, week or month here (hourly keys are not dates). Mixpanel has no weekly
    segmentation: weeks are summed from days, so only for ``type="general"`` (see
    ``live.segmentation``).
    """
    check_choice(unit, ("day", "week", "month"), "unit")
    check_week(unit, type)
    names = [check_text(e, "event") for e in events]
    api = connection.open()

    @dlt.resource(
        name="segmentation",
        primary_key=("report", "date", "segment"),
        write_disposition=_MERGE,
        columns=_SEGMENTATION_COLUMNS,
    )
    def segmentation() -> Iterator[list[dict[str, Any]]]:
        first, last = window.span()
        for event in names:
            result = live.segmentation(
                api, event, first, last, on=on, unit=unit, where=where, type=type
            )
            report = report_key(
                event, type=_unless(type, "general"), on=on, where=where, unit=_unless(unit, "day")
            )
            common = {"report": report, "event": event, "breakdown": on, "type": type, "unit": unit}
            yield [{**common, **r, "date": date.fromisoformat(r["date"])} for r in result.records()]
        window.done(last)

    return segmentation


@report_source("mixpanel_retention")
def mixpanel_retention(
    born_event: str | None,
    return_event: str | None = None,
    unit: str = "day",
    interval_count: int = 7,
    retention_type: str = "birth",
    where: str | None = None,
    *,
    window: ReportWindow,
    connection: ReportConnection,
) -> DltResource:
    """Retention cohorts per day/week/month with each period's returning users (``/retention``).

    Periods that have not started yet are missing and appear in later runs, so keep
    ``lookback_days`` at least ``interval_count`` units.
    """
    api = connection.open()

    @dlt.resource(
        name="retention",
        primary_key=("report", "date", "period"),
        write_disposition=_MERGE,
        columns=_RETENTION_COLUMNS,
    )
    def retention() -> Iterator[list[dict[str, Any]]]:
        first, last = window.span()
        result = live.retention(
            api,
            born_event,
            return_event,
            first,
            last,
            unit=unit,
            interval_count=interval_count,
            retention_type=retention_type,
            where=where,
        )
        report = report_key(
            born_event or "",
            returned=return_event,
            type=retention_type,
            unit=unit,
            periods=interval_count,
            where=where,
        )
        common = {"report": report, "born_event": born_event, "return_event": return_event}
        yield [{**common, **r, "date": date.fromisoformat(r["date"])} for r in result.records()]
        window.done(last)

    return retention


@report_source("mixpanel_insights")
def mixpanel_insights(bookmark_ids: Sequence[int], *, connection: ReportConnection) -> DltResource:
    """Saved Insights reports (``/insights``), with their own saved range and breakdowns.

    ``timestamp`` is ``all`` and ``date`` null for a chart that is not over time; rows whose
    ``overall`` is true are Mixpanel's ``$overall`` totals of a breakdown level (leave them out
    when summing segments). A funnel or retention bookmark is refused (exit 3).
    """
    ids = [check_id(i, "bookmark id") for i in bookmark_ids]
    api = connection.open()

    @dlt.resource(
        name="insights",
        primary_key=("report", "timestamp", "segment"),
        write_disposition=_MERGE,
        columns=_INSIGHTS_COLUMNS,
    )
    def insights() -> Iterator[list[dict[str, Any]]]:
        for ident in ids:
            result = live.insights(api, ident)
            yield [
                {
                    "report": str(ident),
                    "bookmark_id": ident,
                    "timestamp": p.timestamp,
                    "segment": p.segment,
                    "date": date.fromisoformat(p.date) if p.date else None,  # None: {"all": n}
                    "keys": list(p.keys),
                    "overall": p.is_overall,  # Mixpanel's own total of a breakdown level
                    "value": p.value,
                }
                for p in result.points
            ]

    return insights


#: List tables: name -> (rows, column hints). Each is read whole and replaces the table.
_LISTS: dict[str, tuple[Callable[[QueryClient], list[dict[str, Any]]], Any]] = {
    # No popularity rank: /events/names lists the top names alphabetically (spec:
    # openapi/query.openapi.yaml /events/names), so its order says nothing about counts.
    "event_names": (lambda api: live.event_names(api).records(), {}),
    "cohorts": (lambda api: live.cohorts_list(api).records(), {}),
    "annotations": (
        lambda api: live.annotations_list(api).records(),
        {"tags": {"data_type": "json"}},
    ),
    "schemas": (lambda api: live.schemas(api).records(), {}),
}


@report_source("mixpanel_lists")
def mixpanel_lists(
    cohort_ids: Sequence[int] | None = None, *, connection: ReportConnection
) -> Sequence[DltResource]:
    """Event names, cohorts, annotations and Lexicon schemas, each replacing its table.

    With ``cohort_ids``, also ``cohort_members`` (distinct_id and profile properties per cohort,
    from ``/engage``'s cohort filter).
    """
    api = connection.open()
    resources = [_list_resource(api, name, rows, hints) for name, (rows, hints) in _LISTS.items()]
    if cohort_ids:
        ids = [check_id(i, "cohort id") for i in cohort_ids]

        def members() -> Iterator[list[dict[str, Any]]]:
            for ident in ids:
                yield [{"cohort_id": ident, **r} for r in live.cohort_members(api, ident).records()]

        resources.append(
            dlt.resource(
                members,
                name="cohort_members",
                write_disposition="replace",
                primary_key=("cohort_id", "distinct_id"),
                columns={"properties": {"data_type": "json"}},
            )
        )
    return resources


def _list_resource(
    api: QueryClient, name: str, rows: Callable[[QueryClient], list[dict[str, Any]]], hints: Any
) -> DltResource:
    def read() -> Iterator[list[dict[str, Any]]]:
        yield rows(api)

    return dlt.resource(read, name=name, write_disposition="replace", columns=hints)


def _unless(value: Any, default: Any) -> Any:
    return None if value == default else value


#: Report sources by table family, for runners that pick a source by name.
REPORT_SOURCES: dict[str, Callable[..., Any]] = {
    "funnels": mixpanel_funnels,
    "segmentation": mixpanel_segmentation,
    "retention": mixpanel_retention,
    "insights": mixpanel_insights,
    "lists": mixpanel_lists,
}
