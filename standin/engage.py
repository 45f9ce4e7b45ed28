"""``/engage``: profiles paged through a session (README §6.2, §7.5).

Page 0 freezes the matching profiles into a session; any page of a live session can then be
read in any order (mixpanel-utils fetches pages concurrently). ``total`` is on page 0 only
unless ``Options.engage_total_on_every_page``.
"""

from __future__ import annotations

import bisect
import random
import re
import string
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson

from mixpanel_data.standin.expr import MISSING, ExprError
from mixpanel_data.standin.exprparse import compile_expr
from mixpanel_data.standin.state import EngageSession, ServerState
from mixpanel_data.standin.wire import Exchange, HttpError, Request

if TYPE_CHECKING:
    from mixpanel_data.standin.project import Project

_RNG = random.SystemRandom()
MAX_PAGE_SIZE = 10_000


def new_session_id() -> str:
    """Shaped like Mixpanel's, e.g. ``1715000000-AB12CD``."""
    tail = "".join(_RNG.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return f"{int(time.time())}-{tail}"


def drop_session(state: ServerState, session_id: str | None) -> None:
    """Forget a session (the ``expired_session`` fault and TTL expiry)."""
    if session_id:
        with state.lock:
            state.sessions.pop(session_id, None)


def _profile_getter(profile: dict[str, Any]) -> Any:
    props = profile["$properties"]

    def get(source: str, key: str) -> Any:
        if key == "$distinct_id":
            return profile["$distinct_id"]
        return props.get(key, MISSING)

    return get


# -- large projects: a ``$last_seen`` range read from an index ---------------------------------
# The profiles loader cuts a big project into ``$last_seen`` ranges, one session each (40 at
# 1M profiles). Copying and filtering every profile per session took a minute at 1M, so a
# ``where`` of exactly the loader's shapes is answered from a snapshot sorted by ``$last_seen``
# with pre-serialized profiles; any other request takes the general path below.

_STAMP = r'properties\["\$last_seen"\]'
_RANGE = re.compile(
    rf'(?:{_STAMP} >= "(?P<low>[^"\\]*)")?(?P<sep> and )?'
    rf'(?:{_STAMP} < "(?P<high>[^"\\]*)"'
    rf'|\(not defined\({_STAMP}\) or {_STAMP} < "(?P<or_missing>[^"\\]*)"\))?'
)


@dataclass(frozen=True)
class _Snapshot:
    """All profiles of one ``profiles_version``: JSON fragments and a ``$last_seen`` index."""

    version: int
    fragments: list[orjson.Fragment]
    stamps: list[str]  # sorted string ``$last_seen`` values ...
    positions: list[int]  # ... and the profile each belongs to
    missing: list[int]  # profiles without ``$last_seen``


_SNAPSHOTS: weakref.WeakKeyDictionary[Project, _Snapshot] = weakref.WeakKeyDictionary()
_SNAPSHOT_LOCK = threading.Lock()


def profile_snapshot(project: Project) -> _Snapshot:
    """The project's current snapshot, built once per ``profiles_version`` (``--prepare``)."""
    with _SNAPSHOT_LOCK:
        found = _SNAPSHOTS.get(project)
        if found is not None and found.version == project.profiles_version:
            return found
        version = project.profiles_version
        profiles = project.profiles()
        keyed = sorted(
            (v, i)
            for i, p in enumerate(profiles)
            if isinstance(v := p["$properties"].get("$last_seen"), str)
        )
        snap = _Snapshot(
            version=version,
            # A copy of each body: the bytes orjson returns keep ~4 KB of RSS each (measured:
            # 390 MB per 100k small bodies; 50 MB once copied).
            fragments=[orjson.Fragment(bytes(memoryview(orjson.dumps(p)))) for p in profiles],
            stamps=[v for v, _ in keyed],
            positions=[i for _, i in keyed],
            missing=[i for i, p in enumerate(profiles) if "$last_seen" not in p["$properties"]],
        )
        _SNAPSHOTS[project] = snap
        return snap


def _range_where(where: str | None) -> tuple[str | None, str | None, bool] | None:
    """``(low, high, missing_too)`` when ``where`` is one of the loader's range shapes."""
    if not where:
        return None, None, False
    m = _RANGE.fullmatch(where)
    if m is None:
        return None
    low, high, or_missing = m["low"], m["high"], m["or_missing"]
    upper = high if high is not None else or_missing
    if (low is None and upper is None) or bool(m["sep"]) != (low is not None and upper is not None):
        return None
    return low, upper, or_missing is not None and low is None


def _indexed_profiles(state: ServerState, req: Request) -> list[Any] | None:
    """The profiles of a plain or ``$last_seen``-range listing, in project order; else None.

    Same answer as the general path: a string compares as text, any other value fails ``>=``
    and ``<``, and ``not defined`` holds only where the key is absent (``expr.py``).
    """
    plain = not any(
        req.params.get(k)
        for k in ("data_group_id", "distinct_id", "distinct_ids", "filter_by_cohort")
    )
    bounds = _range_where(req.params.get("where"))
    if not plain or bounds is None or req.params.get("output_properties") is not None:
        return None
    snap = profile_snapshot(state.project)
    low, high, missing_too = bounds
    if low is None and high is None:
        return list(snap.fragments)
    start = 0 if low is None else bisect.bisect_left(snap.stamps, low)
    end = len(snap.stamps) if high is None else bisect.bisect_left(snap.stamps, high)
    picked = snap.positions[start:end] + (snap.missing if missing_too else [])
    return [snap.fragments[i] for i in sorted(picked)]


def select_profiles(state: ServerState, req: Request) -> list[dict[str, Any]]:
    """Profiles matching distinct_id(s), where, filter_by_cohort; output_properties applied."""
    indexed = _indexed_profiles(state, req)
    if indexed is not None:  # JSON fragments: the page body embeds them as they are
        return cast("list[dict[str, Any]]", indexed)
    profiles = state.project.profiles()
    if req.params.get("data_group_id"):
        return []
    ids = req.get_json("distinct_ids")
    if req.params.get("distinct_id"):
        ids = [req.params["distinct_id"]]
    if ids is not None:
        wanted = {str(i) for i in ids}
        profiles = [p for p in profiles if p["$distinct_id"] in wanted]
    cohort = req.get_json("filter_by_cohort")
    if cohort is not None:
        profiles = _cohort_filter(state, req, profiles, cohort)
    where = req.params.get("where")
    if where:
        try:
            pred = compile_expr(where)
        except ExprError as exc:
            raise HttpError(400, f"invalid where expression: {exc}") from None
        profiles = [p for p in profiles if pred(_profile_getter(p))]
    keep = req.get_json("output_properties")
    if keep is not None:
        if not isinstance(keep, list):
            raise HttpError(400, "output_properties must be a JSON array")
        for p in profiles:
            p["$properties"] = {k: v for k, v in p["$properties"].items() if k in keep}
    return profiles


def _cohort_filter(
    state: ServerState, req: Request, profiles: list[dict[str, Any]], cohort: Any
) -> list[dict[str, Any]]:
    if not isinstance(cohort, dict) or not isinstance(cohort.get("id"), int | str):
        raise HttpError(400, 'filter_by_cohort must be a JSON object like {"id": 123}')
    try:
        members = state.project.cohort_members(int(cohort["id"]))
    except (KeyError, ValueError):
        raise HttpError(400, f"unknown cohort id {cohort['id']!r}") from None
    by_id = {p["$distinct_id"]: p for p in profiles}
    include_all = req.get_bool("include_all_users", default=True)
    out = []
    for uid in members:
        if uid in by_id:
            out.append(by_id[uid])
        elif include_all:
            out.append({"$distinct_id": uid, "$properties": {}})
    return out


def _session(state: ServerState, req: Request, page: int) -> EngageSession:
    session_id = req.params.get("session_id") or None
    ttl = state.options.engage_session_ttl
    if session_id is None:
        if page > 0:
            raise HttpError(400, "session_id is required when page > 0")
        session = EngageSession(new_session_id(), select_profiles(state, req), state.monotonic())
        with state.lock:
            state.sessions[session.session_id] = session
        return session
    with state.lock:
        found = state.sessions.get(session_id)
    if found is not None and ttl is not None and state.monotonic() - found.created > ttl:
        drop_session(state, session_id)
        found = None
    if found is None:
        raise HttpError(
            400, f"session_id {session_id!r} is unknown or has expired; start again from page 0"
        )
    return found


def handle_engage(state: ServerState, ex: Exchange) -> None:
    """Serve one engage page."""
    req = ex.request
    page = req.get_int("page", 0) or 0
    size = req.get_int("page_size", state.options.engage_default_page_size)
    assert size is not None
    if page < 0:
        raise HttpError(400, "page must be >= 0")
    if not 0 < size <= MAX_PAGE_SIZE:
        raise HttpError(400, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    session = _session(state, req, page)
    results = session.profiles[page * size : (page + 1) * size]
    body: dict[str, Any] = {
        "page": page,
        "page_size": size,
        "session_id": session.session_id,
        "status": "ok",
    }
    if page == 0 or state.options.engage_total_on_every_page:
        body["total"] = len(session.profiles)
    body["results"] = results
    ex.send_json(200, body)
