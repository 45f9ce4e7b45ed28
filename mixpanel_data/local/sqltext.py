"""SQL text built around names a user chose: string literals and DuckDB JSON paths.

A Mixpanel property name can hold any character (quotes, dots, backslashes). The events parser,
the PII policy and the audit all pull properties out of JSON in DuckDB; one quoting rule here
keeps them reading the same property for the same name.
"""

from __future__ import annotations

from collections.abc import Iterable


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_path(prop: str, root: str = "$") -> str:
    """The JSON path of key ``prop`` under ``root``, quoted so any name is one key.

    ``root`` is a path itself: ``$`` for a ``properties`` column, ``$.properties`` for a whole
    export line.
    """
    return root + '."' + prop.replace("\\", "\\\\").replace('"', '\\"') + '"'


def path_list(paths: Iterable[str]) -> str:
    """A DuckDB list of JSON paths: one multi-path ``json_extract`` parses a row only once."""
    return "[" + ", ".join(literal(path) for path in paths) + "]"
