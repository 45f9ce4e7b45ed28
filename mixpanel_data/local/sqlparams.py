"""Named parameters of ``mp sql``: declared in the SQL as ``$name``, bound (never pasted) by DuckDB.

A query file may give defaults in its header: ``-- param: from_date = 2024-01-01``. A parameter
used but not given (and without default), or given but not used, is an error naming it.
"""

from __future__ import annotations

import re

from mixpanel_data.exceptions import InvalidArgumentError

_STRIP = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_DEFAULT = re.compile(r"^--\s*param:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*?))?\s*(?:\(.*\))?$")


def declared(sql: str) -> list[str]:
    """Parameter names used in ``sql``, outside strings and comments, in order of appearance."""
    return list(dict.fromkeys(_PARAM.findall(_STRIP.sub(" ", sql))))


def without_comments(sql: str) -> str:
    """``sql`` with its comments blanked (strings kept, so ``'--'`` stays text)."""
    return _STRIP.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"" else " ", sql)


def header_defaults(sql: str) -> dict[str, str]:
    """Defaults from ``-- param: name = value`` header lines."""
    out = {}
    for line in sql.splitlines():
        match = _DEFAULT.match(line.strip())
        if match and match.group(2) not in (None, ""):
            out[match.group(1)] = match.group(2).strip()
    return out


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``name=value`` strings from ``--param``."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidArgumentError(
                f"--param {item!r} is not name=value: write --param from_date=2024-01-01."
            )
        out[name.strip()] = value
    return out


def bind(sql: str, given: dict[str, str]) -> dict[str, str]:
    """The parameters to pass to DuckDB, or an error naming the missing or unknown one."""
    names = declared(sql)
    values = {**header_defaults(sql), **given}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidArgumentError(
            f"Unknown parameter {unknown[0]!r}: the query declares "
            f"{', '.join('$' + n for n in names) or 'no parameters'}."
        )
    missing = [n for n in names if n not in values]
    if missing:
        raise InvalidArgumentError(
            f"Missing parameter {missing[0]!r}: pass --param {missing[0]}=VALUE."
        )
    return {n: values[n] for n in names}
