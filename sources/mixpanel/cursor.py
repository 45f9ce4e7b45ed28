"""Where an events load starts and ends, and what it has committed: the resource's own state.

dlt's ``incremental`` treats ``initial_value`` as a floor under ``last_value - lag`` and makes a
run with ``end_value`` stateless. That clamped every run to "30 days ago" (a January backfill
followed by ``mp run events`` skipped February to April) and could not resume a long backfill.
So the events resource keeps its cursor in the resource state dlt commits with each load
(``dlt.current.resource_state()``, the dlt-documented way to write custom incremental loading):

    cursor    the last export day of the unbroken run of days incremental loads committed
    loaded    every export-day range committed, merged (``mp verify`` and ``mp info`` read it)
    backfill  a ``--from/--to`` range in progress, with the windows it committed so far
    export_times, zone   how export ``time`` was read, and the zone ``event_date`` is in
    stored_through       state from before ``loaded`` was complete: every day up to this one
                         may hold rows (``stored_days``)

Rules (``plan_run``): the first run ever starts at ``--from``, else ``start_date``, else 30
days before the last exportable day; every later run without ``--from`` starts at ``cursor -
lookback_days``, however long the pipeline sat idle, and runs to ``--to`` or the last
exportable day. ``--from`` with a cursor is a backfill: the cursor stays. Any ``--from`` range
(the very first run's included) is recorded while it runs, so the same command run again after
a budget stop or a kill continues after the windows it committed. State written by the earlier
``incremental`` layout is read once and carried over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypedDict

from mixpanel_data.config.dates import parse_day
from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.sources.mixpanel.daysums import VERSION as FINGERPRINT_VERSION
from mixpanel_data.sources.mixpanel.settings import DEFAULT_START_DAYS_AGO
from mixpanel_data.sources.mixpanel.windows import Window, merge_ranges, uncovered

Mode = Literal["first", "incremental", "backfill"]

# "from" is a keyword, hence the functional form.
BackfillDict = TypedDict(
    "BackfillDict",
    {"from": str, "to": str | None, "done": list[list[str]], "sets_cursor": bool},
    total=False,
)
"""A ``Backfill`` as stored: days as ``YYYY-MM-DD``, ``done`` as ``[[first, last], ...]``."""


class ExportTimes(TypedDict, total=False):
    """How export ``time`` was read (``legacy``: project-local), who decided it, and why."""

    legacy: bool
    decided: str
    evidence: str


class _Incremental(TypedDict, total=False):
    last_value: str | date
    """The last export day: dlt's state gives back a ``date`` (or its text)."""


class EventsStateDict(TypedDict, total=False):
    """The events resource's state as dlt commits it (``dlt.current.resource_state()``).

    ``version`` 2 is this layout; ``incremental`` and ``legacy_time`` are an earlier version's,
    read once and dropped on the next write.
    """

    version: int
    cursor: str | None
    loaded: list[list[str]]
    backfill: BackfillDict | None
    export_times: ExportTimes | None
    zone: str | None
    fingerprints: dict[str, list[int | str]]
    fingerprint_version: str | None
    loaded_complete: bool
    stored_through: str | None
    incremental: dict[str, _Incremental]
    legacy_time: bool


@dataclass
class Backfill:
    """A ``--from/--to`` range in progress: its request and the windows committed so far.

    ``sets_cursor`` is True for the very first run of a pipeline given ``--from``: it
    establishes the cursor as its windows commit, and keeps doing so when it is resumed.
    """

    first: date
    last: date | None
    done: list[Window] = field(default_factory=list)
    sets_cursor: bool = False

    def to_state(self) -> BackfillDict:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat() if self.last else None,
            "done": ranges_state(self.done),
            "sets_cursor": self.sets_cursor,
        }

    @classmethod
    def from_state(cls, raw: BackfillDict) -> Backfill:
        last = raw.get("to")
        return cls(
            first=parse_day(raw["from"], "backfill.from"),
            last=parse_day(last, "backfill.to") if last else None,
            done=_windows(raw.get("done")),
            sets_cursor=bool(raw.get("sets_cursor")),
        )

    def matches(self, first: date, last: date | None) -> bool:
        """Whether a run asked for ``first..last`` continues this backfill."""
        return (self.first, self.last) == (first, last)


@dataclass
class EventsState:
    """The events resource's state (see the module docstring)."""

    cursor: date | None = None
    loaded: list[Window] = field(default_factory=list)
    backfill: Backfill | None = None
    export_times: ExportTimes | None = None
    zone: str | None = None
    fingerprints: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Export day -> (raw rows, hash sum) as last committed (``daysums``), in ``VERSION``."""
    stored_through: date | None = None
    """Every day up to this one may hold rows that ``loaded`` does not record (see
    ``stored_days``); None when ``loaded`` records every load."""

    def stored_days(self) -> list[Window]:
        """The export days the table may hold rows of: a load of any other day can append.

        ``loaded`` is committed with the rows it describes, so it is exact for state this
        version started. State an earlier version wrote may predate ``loaded`` (the
        ``incremental`` layout kept a cursor only), so there every day up to the last one it
        knew of counts as stored.
        """
        days = list(self.loaded)
        if self.stored_through is not None:
            days.append(Window(date.min, self.stored_through))
        return merge_ranges(days)

    @classmethod
    def read(cls, raw: EventsStateDict) -> EventsState:
        """From ``dlt.current.resource_state()``, the earlier ``incremental`` layout included."""
        cursor: str | date | None = raw.get("cursor")
        if cursor is None:  # written by dlt.sources.incremental("export_date") before
            old = (raw.get("incremental") or {}).get("export_date") or {}
            cursor = old.get("last_value")
        legacy = raw.get("export_times")
        if legacy is None and isinstance(raw.get("legacy_time"), bool):
            legacy = {"legacy": raw["legacy_time"], "evidence": "decided by an earlier version"}
        backfill = raw.get("backfill")
        state = cls(
            cursor=parse_day(cursor, "cursor") if cursor is not None else None,
            loaded=_windows(raw.get("loaded")),
            backfill=Backfill.from_state(backfill) if backfill else None,
            export_times=legacy,
            zone=raw.get("zone"),
            fingerprints=_fingerprints(raw),
        )
        if raw.get("loaded_complete"):
            through = raw.get("stored_through")
            state.stored_through = parse_day(through, "stored_through") if through else None
        else:
            state.stored_through = _last_known_day(state)
        return state

    def write(self, raw: EventsStateDict) -> None:
        """Into the resource state dlt commits with this load."""
        raw.pop("incremental", None)
        raw.pop("legacy_time", None)
        raw["version"] = 2
        raw["cursor"] = self.cursor.isoformat() if self.cursor else None
        raw["loaded"] = ranges_state(self.loaded)
        raw["backfill"] = self.backfill.to_state() if self.backfill else None
        raw["export_times"] = self.export_times
        raw["zone"] = self.zone
        raw["fingerprints"] = {
            day: [count, total] for day, (count, total) in self.fingerprints.items()
        }
        raw["fingerprint_version"] = FINGERPRINT_VERSION
        raw["loaded_complete"] = True
        raw["stored_through"] = self.stored_through.isoformat() if self.stored_through else None


@dataclass(frozen=True)
class RunPlan:
    """The export days one run fetches (``todo``) and how it moves the state.

    ``explicit``: the range came from ``--from`` (recorded, so the same command resumes it).
    """

    mode: Mode
    start: date
    end: date
    todo: tuple[Window, ...]
    explicit: bool = False

    @property
    def days(self) -> int:
        return sum(w.days for w in self.todo)


def plan_run(
    state: EventsState,
    *,
    from_date: date | None,
    to_date: date | None,
    start_date: date | None,
    lookback_days: int,
    last_day: date,
) -> RunPlan:
    """The run's range by the rules in the module docstring, or a one-line error (exit 3)."""
    check_request(from_date, to_date, last_day)
    if from_date is not None:
        return _plan_range(state, from_date, to_date, to_date or last_day)
    if state.cursor is None:
        start = start_date or last_day - timedelta(days=DEFAULT_START_DAYS_AGO)
        end = to_date or last_day
        if start > end:
            raise InvalidArgumentError(
                f"The first load would start on {start} (start_date) but end on {end}: "
                "pass --from, or a later --to."
            )
        return RunPlan("first", start, end, (Window(start, end),))
    start = min(state.cursor - timedelta(days=max(0, lookback_days)), last_day)
    end = to_date or last_day
    if end < start:
        raise InvalidArgumentError(
            f"--to {end} is before {start}, where the next incremental run starts (the stored "
            f"cursor {state.cursor} minus lookback_days): add --from to re-read older days."
        )
    return RunPlan("incremental", start, end, (Window(start, end),))


def _plan_range(state: EventsState, first: date, asked_to: date | None, end: date) -> RunPlan:
    """An explicit ``--from`` range: it sets the cursor on a pipeline's very first run and is a
    backfill after that; asked again with the same ``--from/--to`` it resumes after the windows
    it committed (a budget stop, a kill), whichever it was."""
    backfill = state.backfill
    if backfill is not None and backfill.matches(first, asked_to):
        todo = uncovered(first, end, backfill.done)
        mode: Mode = "first" if backfill.sets_cursor else "backfill"
        return RunPlan(mode, first, end, tuple(todo), explicit=True)
    mode = "first" if state.cursor is None else "backfill"
    return RunPlan(mode, first, end, (Window(first, end),), explicit=True)


def check_request(from_date: date | None, to_date: date | None, last_day: date) -> None:
    """Refuse, before any request, a range that is reversed or reaches past what Mixpanel has."""
    if from_date and to_date and to_date < from_date:
        raise InvalidArgumentError(f"--from {from_date} is after --to {to_date}: swap them.")
    if from_date and from_date > last_day:
        raise InvalidArgumentError(
            f"--from {from_date} is in the future: the last day Mixpanel can export now is "
            f"{last_day} (today in the project's time zone)."
        )
    if to_date and to_date > last_day:
        raise InvalidArgumentError(
            f"--to {to_date} is after {last_day}, the last day Mixpanel can export now "
            "(today in the project's time zone): use a day no later than that."
        )


class Progress:
    """Moves the state as windows commit: only over an unbroken run of days from the start.

    Windows finish out of order (several download at once); the cursor advances to the end of
    the longest stretch from the run's start that is fully done, so a stop or a kill can never
    leave an unfetched day behind the cursor. An explicit range is recorded as a ``Backfill``
    while it runs, so running the same command again resumes it.
    """

    def __init__(
        self, state: EventsState, plan: RunPlan, to_date: date | None, done: list[Window]
    ) -> None:
        """``to_date`` is the ``--to`` the run was asked with: a range resumes only when run
        again with the same ``--from`` and ``--to``. ``done`` collects the run's windows across
        its chunks."""
        self.state = state
        self.plan = plan
        self._done = done
        self._ranged = plan.explicit
        if self._ranged:
            backfill = state.backfill
            if backfill is None or not backfill.matches(plan.start, to_date):
                state.backfill = Backfill(plan.start, to_date, sets_cursor=plan.mode == "first")

    def done(self, window: Window) -> None:
        """``window``'s rows are all in this load."""
        self._done.append(window)
        self.state.loaded = merge_ranges([*self.state.loaded, window])
        covered = self._done
        if self._ranged:
            assert self.state.backfill is not None
            self.state.backfill.done = merge_ranges([*self.state.backfill.done, window])
            covered = self.state.backfill.done
        if self.plan.mode == "backfill":
            return
        reach = _reach(self.plan.start, covered)
        if reach is not None and (self.state.cursor is None or reach > self.state.cursor):
            self.state.cursor = reach

    def finish(self) -> None:
        """Every planned window committed: a finished range leaves nothing to resume."""
        if self._ranged:
            self.state.backfill = None


def _reach(start: date, done: list[Window]) -> date | None:
    """The last day of the unbroken stretch of ``done`` days beginning at ``start``."""
    merged = merge_ranges(done)
    if not merged or merged[0].start > start:
        return None
    return merged[0].end


def _last_known_day(state: EventsState) -> date | None:
    """The last day state written before ``loaded_complete`` knew of (None: it held nothing)."""
    days = [w.end for w in state.loaded]
    if state.cursor is not None:
        days.append(state.cursor)
    if state.backfill is not None:
        days += [w.end for w in state.backfill.done]
    days += [parse_day(day, "fingerprints") for day in state.fingerprints]
    return max(days) if days else None


def _fingerprints(raw: EventsStateDict) -> dict[str, tuple[int, str]]:
    """The stored day fingerprints, none when another fingerprint version wrote them."""
    if raw.get("fingerprint_version") != FINGERPRINT_VERSION:
        return {}
    return {day: (int(fp[0]), str(fp[1])) for day, fp in (raw.get("fingerprints") or {}).items()}


def ranges_state(windows: list[Window]) -> list[list[str]]:
    """Merged ranges as JSON-ready ``[[first, last], ...]``."""
    return [[w.start.isoformat(), w.end.isoformat()] for w in merge_ranges(windows)]


def _windows(raw: list[list[str]] | None) -> list[Window]:
    out = []
    for item in raw or []:
        first, last = item
        out.append(Window(parse_day(first, "state"), parse_day(last, "state")))
    return merge_ranges(out)
