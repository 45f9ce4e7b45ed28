"""The generated project and its ground truth: what export must return, deduped views, state.

Tests compare a client's output against these methods; the server answers from them too, so
the two can never drift apart.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from mixpanel_data.standin import catalog
from mixpanel_data.standin.clock import FakeClock, epoch_ms
from mixpanel_data.standin.generator import (
    DayBatch,
    Event,
    active_days,
    day_active,
    generate_day,
    generate_late,
)
from mixpanel_data.standin.profiles import Profile, generate_profiles, naive
from mixpanel_data.standin.spec import ProjectSpec
from mixpanel_data.standin.tz import day_clock, from_local_epoch, local_date, local_midnight_utc

BATCH_CACHE_EVENTS = 150_000  # keep at most this many generated rows alive as dicts


def dedupe_key(event: Event) -> tuple[Any, ...]:
    """Mixpanel's 4-tuple (event, distinct_id, time, $insert_id); a row without ``$insert_id``
    is never deduplicated (docs.mixpanel.com, "Duplicate events"), so its key is itself."""
    props = event["properties"]
    insert_id = props.get("$insert_id")
    if insert_id is None:
        return ("no $insert_id", id(event))
    return (event["event"], props.get("distinct_id"), props["time"], insert_id)


def _identity(event: Event) -> bytes:
    """The row's content but for when it was processed: equal for a row and its resends."""
    props = {k: v for k, v in event["properties"].items() if k != "mp_processing_time_ms"}
    return orjson.dumps({"event": event["event"], "properties": props}, option=orjson.OPT_SORT_KEYS)


def dedupe(events: list[Event]) -> list[Event]:
    """One row per dedupe key: the LATEST copy by ``mp_processing_time_ms``, the one
    Mixpanel's queries surface ("only the latest ingested copy is surfaced in queries")."""
    best: dict[Any, int] = {}
    for i, ev in enumerate(events):
        key = dedupe_key(ev)
        j = best.get(key)
        if j is None or (
            ev["properties"]["mp_processing_time_ms"]
            > events[j]["properties"]["mp_processing_time_ms"]
        ):
            best[key] = i
    return [events[i] for i in sorted(best.values())]


class Project:
    """A deterministic Mixpanel project: events per export day, profiles, saved objects.

    A row exists (for export, every Query answer and every ground-truth method) once it is
    processed: ``mp_processing_time_ms <= now``. ``now`` comes from ``clock`` (without one, a
    private ``FakeClock`` frozen at ``spec.now`` or the real time of creation).
    Thread-safe: the server reads it from many threads while tests move the clock, land late
    data and touch profiles.
    """

    def __init__(self, spec: ProjectSpec | None = None, clock: FakeClock | None = None) -> None:
        self.spec = spec or ProjectSpec()
        self.clock = clock or FakeClock(self.spec.now or datetime.now(UTC))
        self._lock = threading.RLock()
        self._late: dict[date, list[DayBatch]] = {}
        self._versions: dict[date, int] = {}
        self._batches: OrderedDict[date, DayBatch] = OrderedDict()
        self._profiles: list[Profile] | None = None
        self._profile_updates: dict[str, dict[str, Any]] = {}
        self.profiles_version = 0
        """Bumped whenever ``profiles()`` would answer differently (engage caches by it)."""
        self.annotations: list[dict[str, Any]] = catalog.initial_annotations(
            self.spec.start, self.spec.days
        )
        self.annotation_tags: list[dict[str, Any]] = [dict(t) for t in catalog.ANNOTATION_TAGS]
        self.schemas: list[dict[str, Any]] = catalog.initial_schemas()

    # ----- clock -------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        """The project's wall time (aware UTC)."""
        return self.clock.now()

    def now_ms(self) -> int:
        """``now`` as epoch milliseconds (what ``mp_processing_time_ms`` is compared with)."""
        return epoch_ms(self.clock.now())

    @property
    def today(self) -> date:
        """``now``'s date in the project timezone; ``to_date`` after it is refused."""
        return local_date(self.clock.now().timestamp(), self.spec.timezone)

    @today.setter
    def today(self, value: date) -> None:
        self.set_today(value)

    def set_today(self, day: date) -> None:
        """Move the clock to 23:59:59 project-local time on ``day``."""
        end = local_midnight_utc(day + timedelta(days=1), self.spec.timezone) - 1
        self.clock.set(datetime.fromtimestamp(end, UTC))

    def set_now(self, moment: datetime) -> datetime:
        """Move the clock to ``moment`` (naive means UTC)."""
        return self.clock.set(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta``."""
        return self.clock.advance(delta)

    @property
    def days(self) -> list[date]:
        """Every generated export day that has events, oldest first."""
        return list(active_days(self.spec))

    def data_days(self, first: date, last: date) -> list[date]:
        """Export days in ``first..last`` that can hold rows (no loop over empty days)."""
        active = active_days(self.spec)
        found = active[bisect.bisect_left(active, first) : bisect.bisect_right(active, last)]
        with self._lock:
            late = [d for d in self._late if first <= d <= last and d not in found]
        return sorted([*found, *late]) if late else list(found)

    # ----- events ------------------------------------------------------------------------
    def version(self, day: date) -> int:
        """Bumped whenever late data lands in ``day`` (export caches key on it)."""
        return self._versions.get(day, 0)

    def batch(self, day: date, cache: bool = True, now_ms: int | None = None) -> DayBatch:
        """The rows of one export day processed by ``now_ms`` (default: now)."""
        return self.full_batch(day, cache).visible(self.now_ms() if now_ms is None else now_ms)

    def full_batch(self, day: date, cache: bool = True) -> DayBatch:
        """Base plus late rows of one export day, processed or not (cached, bounded)."""
        with self._lock:
            cached = self._batches.get(day)
            if cached is not None:
                self._batches.move_to_end(day)
                return cached
        batch = generate_day(self.spec, day)
        with self._lock:
            for late in self._late.get(day, []):
                batch.extend(late)
            if not cache:
                return batch
            self._batches[day] = batch
            total = sum(len(b.events) for b in self._batches.values())
            while total > BATCH_CACHE_EVENTS and len(self._batches) > 1:
                _, old = self._batches.popitem(last=False)
                total -= len(old.events)
        return batch

    def has_data(self, day: date) -> bool:
        """Whether an export day can hold rows (generated range, or late data landed)."""
        return day_active(self.spec, day) or day in self._late

    def raw_events(self, day: date) -> list[Event]:
        """Exactly what export returns for ``day`` now (processed duplicates and late rows)."""
        return self.batch(day).events

    def unique_events(self, day: date) -> list[Event]:
        """``raw_events`` deduped on the 4-tuple, keeping the latest processed copy."""
        return dedupe(self.raw_events(day))

    def count(self, day: date) -> int:
        """Raw row count of one export day."""
        return len(self.raw_events(day))

    def unique_count(self, day: date) -> int:
        """Deduped row count of one export day."""
        return len(self.unique_events(day))

    def iter_unique(
        self, first: date, last: date, now_ms: int | None = None
    ) -> Iterator[tuple[Event, int]]:
        """(event, true UTC seconds) for deduped rows of export days ``first..last``."""
        cut = self.now_ms() if now_ms is None else now_ms
        for day in self.data_days(first, last):
            batch = self.batch(day, now_ms=cut)
            keep = {id(e) for e in dedupe(batch.events)}
            for ev, ms in zip(batch.events, batch.utc_ms, strict=True):
                if id(ev) in keep:
                    yield ev, ms // 1000

    def add_late_events(self, day: date, n: int) -> list[Event]:
        """Land ``n`` new rows in ``day``, processed now (visible at once).

        Their event times are before now; a day that has not started yet gets none.
        """
        with self._lock:
            batches = self._late.setdefault(day, [])
            late = generate_late(self.spec, day, len(batches), n, self.now_ms())
            batches.append(late)
            self._versions[day] = self._versions.get(day, 0) + 1
            self._batches.pop(day, None)
        return late.events

    def export_day_of(self, event: Event) -> date:
        """The export day an event belongs to (UTC day, or local day for legacy projects)."""
        t = event["properties"]["time"]
        seconds = t // 1000 if t > 10**11 else t
        return date(1970, 1, 1) + timedelta(days=seconds // 86_400)

    def true_utc(self, event: Event) -> int:
        """True UTC epoch seconds of an exported event (undoes the legacy local shift)."""
        t = event["properties"]["time"]
        seconds = t // 1000 if t > 10**11 else t
        if not self.spec.legacy_timezone:
            return int(seconds)
        candidates = from_local_epoch(seconds, self.spec.timezone)
        if len(candidates) == 1:
            return int(candidates[0])
        return self._lookup_utc(event, seconds)

    def _lookup_utc(self, event: Event, seconds: int) -> int:
        """Resolve a fall-back-hour ambiguity by finding the row in the ground truth."""
        batch = self.full_batch(self.export_day_of(event))
        want = _identity(
            {"event": event["event"], "properties": {**event["properties"], "time": seconds}}
        )
        for ev, ms in zip(batch.events, batch.utc_ms, strict=True):
            if _identity(ev) == want:
                return ms // 1000
        raise LookupError("event is not part of this project")

    def day_span_utc(self, day: date) -> tuple[int, int]:
        """True-UTC [start, end) seconds covered by export day ``day``."""
        clock = day_clock(day, self.spec.timezone, self.spec.legacy_timezone)
        return clock.start_utc, clock.end_utc

    # ----- profiles ----------------------------------------------------------------------
    def profiles(self) -> list[Profile]:
        """All profiles as engage returns them now (updates applied; copies, safe to edit)."""
        with self._lock:
            if self._profiles is None:
                self._profiles = generate_profiles(self.spec)
            out = copy.deepcopy(self._profiles)
            updates = dict(self._profile_updates)
        for prof in out:
            prof["$properties"].update(updates.get(prof["$distinct_id"], {}))
        return out

    def touch_profiles(self, count: int, when: datetime | None = None) -> list[str]:
        """Bump ``$last_seen`` of ``count`` profiles (every k-th), as later activity would.

        Returns the touched distinct ids; ``when`` defaults to noon of ``today``.
        """
        ids = [p["$distinct_id"] for p in self.profiles()]
        if count <= 0 or not ids:
            return []
        step = max(len(ids) // count, 1)
        chosen = ids[::step][:count]
        stamp = naive(when or datetime(self.today.year, self.today.month, self.today.day, 12))
        with self._lock:
            for uid in chosen:
                self._profile_updates.setdefault(uid, {})["$last_seen"] = stamp
            self.profiles_version += 1
        return chosen

    # ----- saved objects -----------------------------------------------------------------
    def cohort_members(self, cohort_id: int) -> list[str]:
        """Distinct ids in a saved cohort (may include users without a profile)."""
        rule = next((c.rule for c in catalog.COHORTS if c.cohort_id == cohort_id), None)
        if rule is None:
            raise KeyError(cohort_id)
        profiles = self.profiles()
        if rule == "plan_paid":
            return [
                p["$distinct_id"]
                for p in profiles
                if p["$properties"]["plan"] in ("pro", "enterprise")
            ]
        if rule == "beta":
            return [p["$distinct_id"] for p in profiles if p["$properties"]["beta_tester"]]
        if rule == "purchasers_first_week":
            last = min(self.spec.start + timedelta(days=6), self.spec.end)
            found = {
                ev["properties"]["distinct_id"]
                for ev, _ in self.iter_unique(self.spec.start, last)
                if ev["event"] == "Purchase" and "distinct_id" in ev["properties"]
            }
            return sorted(found)
        return []

    def funnel(self, funnel_id: int) -> catalog.FunnelDef:
        """A saved funnel definition (KeyError when unknown)."""
        for f in catalog.FUNNELS:
            if f.funnel_id == funnel_id:
                return f
        raise KeyError(funnel_id)

    def bookmark(self, bookmark_id: int) -> catalog.BookmarkDef:
        """A saved Insights report definition (KeyError when unknown)."""
        for b in catalog.BOOKMARKS:
            if b.bookmark_id == bookmark_id:
                return b
        raise KeyError(bookmark_id)
