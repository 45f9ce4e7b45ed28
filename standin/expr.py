"""A small evaluator for Mixpanel segmentation expressions (``where`` / ``on``).

Supported: ``properties["x"]``, ``event["x"]``, ``user["x"]``; literals (numbers, strings, true,
false, null, ``[...]`` lists); ``+ - * / %``; ``== != < <= > >=``; ``in``; ``and or not``;
functions ``defined number string boolean datetime floor round ceil lower upper``.
``datetime("2024-01-01T00:00:00")``, ``datetime("2024-01-01")`` and ``datetime(<unix seconds>)``
compare with ``$time`` (export) and with ``YYYY-MM-DDTHH:MM:SS`` strings (engage).
Anything else raises ``ExprError`` -> the server answers 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Getter = Callable[[str, str], Any]  # (source, key) -> value or MISSING
Compiled = Callable[[Getter], Any]


class ExprError(ValueError):
    """The expression cannot be parsed or uses an unsupported construct."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Moment(float):
    """Epoch seconds produced by ``datetime(...)``; compares with ISO strings too."""


_TOKEN = re.compile(
    r"""\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"""
    r"""|(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
    r"""|(?P<op>==|!=|<=|>=|[-+*/%<>()\[\],])"""
    r"""|(?P<name>[A-Za-z_$][\w$]*))"""
)


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def parse_moment(value: Any) -> float | None:
    """Epoch seconds from a Moment, a number (s or ms) or an ISO date/datetime string."""
    if isinstance(value, bool) or value is None or value is MISSING:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000 if value > 10**11 else float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    return None


def compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, Moment) or isinstance(b, Moment):
        a, b = parse_moment(a), parse_moment(b)
    if op == "==":
        return bool(a == b) and a is not MISSING
    if op == "!=":
        return bool(a != b) or a is MISSING
    if a is None or b is None or a is MISSING or b is MISSING:
        return False
    try:
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
    except TypeError:
        return False


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _string(v: Any) -> Any:
    if v is MISSING or v is None:
        return v
    return v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)


def _rounding(fn: Callable[[float], int]) -> Callable[[Any], Any]:
    return lambda v: None if _number(v) is None else fn(_number(v))


FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "defined": lambda v: v is not MISSING,
    "number": _number,
    "string": _string,
    "boolean": lambda v: False if v is MISSING else bool(v),
    "datetime": lambda v: None if parse_moment(v) is None else Moment(parse_moment(v) or 0),
    "floor": _rounding(math.floor),
    "ceil": _rounding(math.ceil),
    "round": _rounding(round),
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
    "upper": lambda v: v.upper() if isinstance(v, str) else v,
}

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
}


def arith(op: str, a: Any, b: Any) -> Any:
    try:
        return _ARITH[op](a, b)
    except (TypeError, ZeroDivisionError):
        return None


def contains(a: Any, b: Any) -> bool:
    if isinstance(b, list):
        return a in b
    return isinstance(a, str) and isinstance(b, str) and a in b
