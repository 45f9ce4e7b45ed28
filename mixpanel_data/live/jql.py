"""JQL: run a JavaScript query on Mixpanel's servers (``POST /api/query/jql``).

Mixpanel has put JQL in maintenance mode: it still answers, gets no new features, and may be
retired; prefer segmentation, funnels, retention or Insights for new work. A JQL query counts
against the Query API budget (60/hour, 5 concurrent), times out after 2 minutes and may process
at most 5 GB. Event ``time`` in JQL output is milliseconds in the project's time zone.

The body is form-encoded ``script`` plus ``params`` (JSON text, ``params`` in the script); the
answer is a JSON array of whatever the script emits (API reference §6.10), e.g. a ``groupBy``
gives ``[{"key": [...], "value": n}]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mixpanel_data.exceptions import InvalidArgumentError, QueryError, QueryFileNotFoundError
from mixpanel_data.live._base import LiveResult, QueryClient, check_text

__all__ = ["JQLResult", "jql", "parse_jql_params", "read_script"]


@dataclass(frozen=True)
class JQLResult(LiveResult):
    """A JQL answer: ``raw`` as Mixpanel sent it, and a table built from it.

    Table rules: ``groupBy`` items become ``key_1..key_n`` plus ``value``; other objects keep
    their top-level fields as columns; scalars become one ``value`` column.
    """

    script: str = field(repr=False)
    params: dict[str, Any]
    raw: tuple[Any, ...]

    def table_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for r in self.records() for k in r))

    def records(self) -> list[dict[str, Any]]:
        return [_record(item) for item in self.raw]


def jql(client: QueryClient, script: str, params: dict[str, Any] | None = None) -> JQLResult:
    """Run ``script`` with ``params`` (maintenance mode; see the module docstring)."""
    script = check_text(script, "JQL script")
    form: dict[str, Any] = {"script": script}
    if params:
        form["params"] = dict(params)
    body = client.query("jql", form, method="POST")
    if not isinstance(body, list):
        raise QueryError(
            "Mixpanel /jql did not answer a JSON array: check the script returns a collection "
            "and MP_BASE_URL points at Mixpanel's Query API."
        )
    return JQLResult(script, dict(params or {}), tuple(body))


def _record(item: Any) -> dict[str, Any]:
    if isinstance(item, dict) and isinstance(item.get("key"), list) and "value" in item:
        keys = {f"key_{i + 1}": k for i, k in enumerate(item["key"])}
        return {**keys, "value": item["value"]}
    if isinstance(item, dict):
        return dict(item)
    return {"value": item}


def read_script(path: str | Path) -> str:
    """The text of a JQL file; ``-`` reads standard input."""
    if str(path) == "-":
        import sys

        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        raise QueryFileNotFoundError(f"No JQL file at {file}: check the path.")
    return file.read_text(encoding="utf-8")


def parse_jql_params(assignments: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` as a dict; values that read as JSON (``5``, ``true``, ``[1]``) are typed."""
    params: dict[str, Any] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidArgumentError(
                f"--param {item!r} is not name=value: write e.g. --param limit=5."
            )
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = text
        params[name] = value
    return params
