"""JQL without JavaScript: a few recognised script shapes, answered from the data.

Recognised (whitespace and quotes flexible; dates literal or ``params.<name>``):

    function main() { return Events({from_date: "...", to_date: "...",
                                     event_selectors: [{event: "Login"}, ...]})      # optional
        [.groupBy(["name" | "distinct_id" | "properties.<prop>", ...], mixpanel.reducer.count())]
        [.groupByUser(mixpanel.reducer.count())]
        [.reduce(mixpanel.reducer.count())]; }

Without a chained call the raw events come back as ``{name, distinct_id, time (ms, project
time), sampling_factor, properties}``. Anything else -> ``JqlError`` -> 400.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

from mixpanel_data.standin.expr import MISSING
from mixpanel_data.standin.project import Project
from mixpanel_data.standin.querydata import EPOCH, Row, rows

SUPPORTED = (
    "Events({from_date, to_date[, event_selectors]}) optionally followed by "
    ".groupBy([keys], mixpanel.reducer.count()), "
    ".groupByUser(mixpanel.reducer.count()) or .reduce(mixpanel.reducer.count())"
)

_MAIN = re.compile(
    r"^\s*function\s+main\s*\(\s*\)\s*\{\s*return\s+Events\s*\(\s*\{(?P<args>.*?)"
    r"\}\s*\)(?P<chain>.*?);?\s*\}\s*;?\s*$",
    re.S,
)
_DATE = re.compile(r"(from_date|to_date)\s*:\s*(?:[\"'](\d{4}-\d\d-\d\d)[\"']|params\.(\w+))")
_SELECTOR = re.compile(r"event\s*:\s*[\"']([^\"']+)[\"']")
_COUNT = r"mixpanel\.reducer\.count\(\s*\)"
_GROUP_BY = re.compile(r"^\.groupBy\(\s*\[(?P<keys>[^\]]*)\]\s*,\s*" + _COUNT + r"\s*\)$", re.S)
_GROUP_BY_USER = re.compile(r"^\.groupByUser\(\s*" + _COUNT + r"\s*\)$")
_REDUCE = re.compile(r"^\.reduce\(\s*" + _COUNT + r"\s*\)$")


class JqlError(ValueError):
    """The script is not one of the recognised shapes."""


def _dates(args: str, params: dict[str, Any]) -> tuple[date, date]:
    found: dict[str, str] = {}
    for key, literal, param in _DATE.findall(args):
        value = literal or params.get(param)
        if not isinstance(value, str):
            raise JqlError(f"params.{param} is missing for {key}")
        found[key] = value
    try:
        return date.fromisoformat(found["from_date"]), date.fromisoformat(found["to_date"])
    except (KeyError, ValueError):
        raise JqlError("Events() needs from_date and to_date as YYYY-MM-DD") from None


def _key(row: Row, key: str) -> Any:
    if key == "name":
        return row.name
    if key == "distinct_id":
        return row.distinct_id
    if key.startswith("properties."):
        value = row.props.get(key[len("properties.") :], MISSING)
        return None if value is MISSING else value
    raise JqlError(f"unsupported groupBy key {key!r}")


def _raw(row: Row) -> dict[str, Any]:
    local_ms = int((row.local - EPOCH).total_seconds()) * 1000
    props = {k: v for k, v in row.props.items() if k not in ("time", "distinct_id")}
    return {
        "name": row.name,
        "distinct_id": row.distinct_id,
        "time": local_ms,
        "sampling_factor": 1,
        "properties": props,
    }


def run_jql(project: Project, script: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Answer a recognised script, or raise ``JqlError`` naming what is supported."""
    m = _MAIN.match(script)
    if not m:
        raise JqlError(f"unsupported JQL script; the stand-in understands {SUPPORTED}")
    first, last = _dates(m["args"], params or {})
    if first > last:
        raise JqlError("from_date cannot be later than to_date")
    if last > project.today:
        raise JqlError("to_date cannot be later than today")
    names = set(_SELECTOR.findall(m["args"]))
    items = [r for r in rows(project, first, last) if not names or r.name in names]
    chain = re.sub(r"\s+", " ", m["chain"].strip())
    if not chain:
        return [_raw(r) for r in items]
    if _REDUCE.match(chain):
        return [len(items)]
    if _GROUP_BY_USER.match(chain):
        users = Counter(r.distinct_id for r in items)
        return [{"key": [uid], "value": n} for uid, n in sorted(users.items(), key=_order)]
    group = _GROUP_BY.match(chain)
    if group:
        keys = [k.strip().strip("\"'") for k in group["keys"].split(",") if k.strip()]
        counts = Counter(tuple(_freeze(_key(r, k)) for k in keys) for r in items)
        return [{"key": list(key), "value": n} for key, n in sorted(counts.items(), key=_order)]
    raise JqlError(f"unsupported JQL chain {chain[:80]!r}; the stand-in understands {SUPPORTED}")


def _freeze(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _order(item: tuple[Any, int]) -> tuple[str, int]:
    return (str(item[0]), item[1])


__all__ = ["JqlError", "run_jql"]
