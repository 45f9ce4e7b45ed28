"""``mp verify``: the local per-day, per-event counts against Mixpanel's own live counts.

The proof on the user's own project that a load is complete: for every project-local day the
loads cover completely (``verify_days``), the rows of ``events`` per ``event_date`` and
``event_name`` must equal what Mixpanel's Query API counts (``/events``, one request per 100
events for the whole range: ``live.event_counts``). Two steps, so a caller can close the
database before any request goes out (a load may be waiting for the file):

    local = read_local(con, spec, settings, from_date=..., to_date=..., events=[...])
    result = compare(local, client, settings)       # VerifyResult; .ok, .mismatches

``verify_events`` does both. Local state comes from the same read-only connection as the counts:
dlt commits the events resource's state (``loaded``, ``zone``) in the transaction that wrote
the rows, so the two always describe the same load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mixpanel_data.exceptions import InvalidArgumentError, NotFoundError
from mixpanel_data.verify.days import DayPlan, ExportLayout, Skipped, check_zone, plan_days

if TYPE_CHECKING:
    import duckdb

    from mixpanel_data.config.pipelines import PipelineSpec
    from mixpanel_data.config.settings import Settings
    from mixpanel_data.live import QueryClient

__all__ = ["LocalSide", "Mismatch", "VerifyResult", "compare", "read_local", "verify_events"]


@dataclass(frozen=True)
class Mismatch:
    """One event on one project-local day whose local count is not Mixpanel's."""

    day: date
    event: str
    local: int
    mixpanel: int

    @property
    def difference(self) -> int:
        """Local minus Mixpanel: negative when rows are missing locally."""
        return self.local - self.mixpanel

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "event": self.event,
            "local": self.local,
            "mixpanel": self.mixpanel,
            "difference": self.difference,
        }


@dataclass(frozen=True)
class VerifyResult:
    """What was compared, what differs (``mismatches``) and what was skipped, with reasons."""

    pipeline: str
    timezone: str
    export_days: str
    days: tuple[date, ...]
    events: tuple[str, ...]
    local_total: int
    mixpanel_total: int
    mismatches: tuple[Mismatch, ...]
    skipped: tuple[Skipped, ...]
    requests: int
    reload: tuple[date, date] | None = None

    columns = ("day", "event", "local", "mixpanel", "difference")

    @property
    def ok(self) -> bool:
        """Every compared count matches."""
        return not self.mismatches

    @property
    def exit_code(self) -> int:
        """The CLI's exit status: 0 when all match, 1 when any differs."""
        return 0 if self.ok else 1

    def records(self) -> list[dict[str, Any]]:
        """One row per mismatch: day, event, local, mixpanel, difference."""
        return [m.to_dict() for m in self.mismatches]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pipeline": self.pipeline,
            "timezone": self.timezone,
            "export_days": self.export_days,
            "from": self.days[0].isoformat() if self.days else None,
            "to": self.days[-1].isoformat() if self.days else None,
            "days_compared": len(self.days),
            "events_compared": len(self.events),
            "local_total": self.local_total,
            "mixpanel_total": self.mixpanel_total,
            "query_requests": self.requests,
            "mismatches": self.records(),
            "skipped": [s.to_dict() for s in self.skipped],
            "reload_command": self.reload_command,
        }

    @property
    def reload_command(self) -> str | None:
        """The ``mp run`` that fetches every differing day again (None when all match)."""
        if self.reload is None:
            return None
        first, last = self.reload
        return f"mp run {self.pipeline} --from {first} --to {last}"

    def summary(self) -> str:
        """One line for a person: what was compared and the verdict."""
        span = f"{self.days[0]}..{self.days[-1]}" if self.days else "no days"
        what = (
            f"{_count(len(self.events), 'event')} on {_count(len(self.days), 'day')} "
            f"({span}, {self.timezone}) in {_count(self.requests, 'Query request')}"
        )
        if self.ok:
            return f"Verified {what}: all {self.local_total:,} events match Mixpanel."
        days = len({m.day for m in self.mismatches})
        return (
            f"Compared {what}: {_count(len(self.mismatches), 'count')} "
            f"{'differs' if len(self.mismatches) == 1 else 'differ'} on "
            f"{_count(days, 'day')} (local {self.local_total:,}, Mixpanel "
            f"{self.mixpanel_total:,})."
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class LocalSide:
    """Everything ``compare`` needs from the database, read in one go."""

    pipeline: str
    layout: ExportLayout
    plan: DayPlan
    events: tuple[str, ...]
    asked: tuple[str, ...]
    known: frozenset[str]
    counts: dict[tuple[date, str], int] = field(default_factory=dict)
    configured_zone: str | None = None


def verify_events(
    con: duckdb.DuckDBPyConnection,
    client: QueryClient,
    spec: PipelineSpec,
    settings: Settings,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    events: list[str] | None = None,
) -> VerifyResult:
    """``read_local`` then ``compare``: the whole check on an open connection."""
    local = read_local(con, spec, settings, from_date=from_date, to_date=to_date, events=events)
    return compare(local, client, settings)


def read_local_database(
    spec: PipelineSpec,
    settings: Settings,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    events: list[str] | None = None,
) -> LocalSide:
    """``read_local`` on the settings' database, opened for this read only: it is closed before
    Mixpanel is asked, so no connection is held while a request waits for the Query budget."""
    from mixpanel_data.local.connection import open_settings_database

    con = open_settings_database(settings)
    try:
        return read_local(con, spec, settings, from_date=from_date, to_date=to_date, events=events)
    finally:
        con.close()


def read_local(
    con: duckdb.DuckDBPyConnection,
    spec: PipelineSpec,
    settings: Settings,
    *,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    events: list[str] | None = None,
) -> LocalSide:
    """The days to compare and their local counts; refuses what cannot be compared honestly."""
    from mixpanel_data.verify import local

    first, last = _range(from_date, to_date)
    loaded_filter = local.check_pipeline(spec)
    asked = local.asked_events(events, loaded_filter, spec.name)
    state = local.events_state(con, spec)
    zone = state.zone or check_zone(None, None, None, (), spec.name)  # refuses: not recorded
    layout = ExportLayout(zone, bool((state.export_times or {}).get("legacy")))
    today = settings.clock.now().astimezone(ZoneInfo(zone)).date()
    plan = plan_days(layout, state.loaded, first, last, today)
    if not plan.days:
        raise NotFoundError(local.nothing_to_compare(state.loaded, plan, first, last, spec.name))
    known = local.event_names(con, spec)
    names = asked or tuple(sorted(set(loaded_filter) if loaded_filter else known))
    if not names:
        raise NotFoundError(f"No events loaded yet: run `mp run {spec.name}` first.")
    counts = local.day_counts(con, spec, plan.days, set(names))
    return LocalSide(
        spec.name, layout, plan, names, asked, known, counts, local.configured_zone(spec)
    )


def compare(local: LocalSide, client: QueryClient, settings: Settings) -> VerifyResult:
    """Ask Mixpanel for the same days and events and list every count that differs."""
    from mixpanel_data.live.event_counts import event_batches, event_counts

    days = local.plan.days
    zone = check_zone(
        local.layout.zone, _mixpanel_zone(client), local.configured_zone, days, local.pipeline
    )
    budget = settings.limits.query_per_hour
    needed = len(event_batches(local.events))
    if budget and needed > budget:
        raise InvalidArgumentError(
            f"Verifying {len(local.events)} events takes {needed} Query requests, more than the "
            f"hourly budget of {budget}: verify fewer at a time with --events."
        )
    live = event_counts(client, local.events, days[0], days[-1])
    theirs = {(date.fromisoformat(d), e): int(v) for (d, e), v in live.table().items()}
    _refuse_unknown(local, theirs, days)
    wanted = set(days)
    mismatches = []
    for day in days:
        for event in local.events:
            ours, them = local.counts.get((day, event), 0), theirs.get((day, event), 0)
            if ours != them:
                mismatches.append(Mismatch(day, event, ours, them))
    return VerifyResult(
        pipeline=local.pipeline,
        timezone=zone,
        export_days=local.layout.export_clock,
        days=days,
        events=local.events,
        local_total=sum(n for (d, _), n in local.counts.items() if d in wanted),
        mixpanel_total=sum(n for (d, _), n in theirs.items() if d in wanted),
        mismatches=tuple(mismatches),
        skipped=local.plan.skipped,
        requests=live.requests,
        reload=_reload_range(local.layout, mismatches),
    )


def _range(
    from_date: str | date | None, to_date: str | date | None
) -> tuple[date | None, date | None]:
    from mixpanel_data.config.dates import parse_day

    first = parse_day(from_date, "--from") if from_date else None
    last = parse_day(to_date, "--to") if to_date else None
    if first and last and last < first:
        raise InvalidArgumentError(f"--from {first} is after --to {last}: swap them.")
    return first, last


def _mixpanel_zone(client: QueryClient) -> str | None:
    """The zone Mixpanel reports for the project (``/api/app/me``), None when it cannot say."""
    from mixpanel_data.live import LazyClient
    from mixpanel_data.run.project import describe_project

    real = client.client if isinstance(client, LazyClient) else client
    return describe_project(real).timezone


def _refuse_unknown(
    local: LocalSide, theirs: dict[tuple[date, str], int], days: tuple[date, ...]
) -> None:
    """An event asked for by name that neither side has ever seen is a typo, not a match."""
    seen = {e for (d, e), n in theirs.items() if n and d in set(days)}
    unknown = [e for e in local.asked if e not in local.known and e not in seen]
    if unknown:
        raise NotFoundError(
            f"No event {', '.join(repr(e) for e in unknown)} in the local data or in Mixpanel "
            f"between {days[0]} and {days[-1]}: check the name (`mp events` lists them)."
        )


def _reload_range(layout: ExportLayout, mismatches: list[Mismatch]) -> tuple[date, date] | None:
    """The export days to load again so every differing day is fetched afresh."""
    if not mismatches:
        return None
    needed = [d for m in mismatches for d in layout.export_days(m.day)]
    return min(needed), max(needed)
