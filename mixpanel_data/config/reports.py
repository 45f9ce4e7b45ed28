"""The report sources a pipeline in pipelines.yaml may name, and the options each one takes.

``sources.mixpanel.reports`` loads Mixpanel's reports as tables (``mixpanel_funnels``,
``mixpanel_segmentation``, ``mixpanel_retention``, ``mixpanel_insights``, ``mixpanel_lists``).
A pipeline names one as its ``source``; its ``options`` are that source's arguments and are
checked here when the file is read, as strictly as the events source's (``OPTION_RULES``), so a
wrong unit or id fails with file, line and key before a run starts. The names and defaults are
those of the sources' signatures (a test pins every name here to a real parameter); the
run-time ones are not options: ``from_date``/``to_date`` are ``mp run --from/--to``,
``credentials`` belong in secrets, ``client`` is for code. Written out here so that reading
pipelines.yaml imports neither dlt nor the sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mixpanel_data.config.sources import OPTION_RULES, Rule, apply_rule, whole

__all__ = ["REPORT_FAMILIES", "ReportFamily", "check_report_option"]


def _ids(what: str) -> Any:
    def check(value: object, text: bool) -> list[int]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{value!r} is not a list")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                raise ValueError(f"{item!r} is not {what}")
        return list(value)

    return check


def _choice(*allowed: str) -> Any:
    def check(value: object, text: bool) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    return check


def _name(value: object, text: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a name")
    return value


_UNIT = Rule(_choice("day", "week", "month"), "use day, week or month", nullable=False)
_ON = Rule(_name, "use a property expression as text, e.g. 'properties[\"$os\"]'")
_CONNECTION = {"account": OPTION_RULES["account"], "base_url": OPTION_RULES["base_url"]}
#: ``report_params.ReportWindow``'s settings (``from_date``/``to_date`` are ``--from/--to``).
_WINDOW = {
    "lookback_days": OPTION_RULES["lookback_days"],
    "start_days_ago": Rule(
        whole(1), "use whole days before today the first run starts, 1 or more", nullable=False
    ),
    "project_timezone": OPTION_RULES["project_timezone"],
}


@dataclass(frozen=True)
class ReportFamily:
    """One report source: the tables it writes, whether it takes days, its option rules."""

    tables: tuple[str, ...]
    dated: bool
    rules: Mapping[str, Rule]
    required: tuple[str, ...] = field(default=())

    def default_tables(self, options: Mapping[str, object]) -> list[str]:
        """What a pipeline loads when it names no ``resources``: every table its options feed
        (``cohort_members`` only with ``cohort_ids``)."""
        return [t for t in self.tables if t != "cohort_members" or options.get("cohort_ids")]


def _family(
    tables: Sequence[str], own: Mapping[str, Rule], *, dated: bool, required: Sequence[str] = ()
) -> ReportFamily:
    rules = {**own, **(_WINDOW if dated else {}), **_CONNECTION}
    return ReportFamily(tuple(tables), dated, rules, tuple(required))


#: Report source name -> its family (tables, options). See ``sources.mixpanel.reports``.
REPORT_FAMILIES: dict[str, ReportFamily] = {
    "mixpanel_funnels": _family(
        ("funnels", "funnel_steps"),
        {
            "funnel_ids": Rule(
                _ids("a funnel id"), "use a list of saved funnel ids (`mp funnels` lists them)"
            ),
            "unit": _UNIT,
            "on": _ON,
            "where": OPTION_RULES["where"],
        },
        dated=True,
    ),
    "mixpanel_segmentation": _family(
        ("segmentation",),
        {
            "events": Rule(
                OPTION_RULES["events"].check, OPTION_RULES["events"].hint, nullable=False
            ),
            "on": _ON,
            "unit": _UNIT,
            "type": Rule(
                _choice("general", "unique", "average"),
                "use general (events), unique (users) or average",
                nullable=False,
            ),
            "where": OPTION_RULES["where"],
        },
        dated=True,
        required=("events",),
    ),
    "mixpanel_retention": _family(
        ("retention",),
        {
            "born_event": Rule(_name, "use the event that puts a user in a cohort"),
            "return_event": Rule(_name, "use the event counted as a return (leave out: any)"),
            "unit": _UNIT,
            "interval_count": Rule(whole(1), "use periods after the 0th one, 1 or more"),
            "retention_type": Rule(
                _choice("birth", "compounded"),
                "use birth (needs born_event) or compounded",
                nullable=False,
            ),
            "where": OPTION_RULES["where"],
        },
        dated=True,
        required=("born_event",),
    ),
    "mixpanel_insights": _family(
        ("insights",),
        {
            "bookmark_ids": Rule(
                _ids("a bookmark id"),
                "use a list of saved report ids (the number in the report's URL)",
                nullable=False,
            ),
        },
        dated=False,
        required=("bookmark_ids",),
    ),
    "mixpanel_lists": _family(
        ("event_names", "cohorts", "annotations", "schemas", "cohort_members"),
        {"cohort_ids": Rule(_ids("a cohort id"), "use a list of cohort ids (`mp cohorts`)")},
        dated=False,
    ),
}


def check_report_option(family: ReportFamily, name: str, value: object) -> Any:
    """``value`` of option ``name`` as the report source takes it; ``ValueError`` naming the fix.

    ``Any``: the type depends on ``name``, as the source's parameter of that name takes it."""
    return apply_rule(family.rules[name], value)
