"""Source settings: the rules every value must meet, and how dlt resolves them.

A source option (``project_timezone``, ``lookback_days``, ...) reaches ``mixpanel_source`` from
pipelines.yaml options or from dlt's own providers (``SOURCES__MIXPANEL__<NAME>``,
``[sources.mixpanel]`` in ``.dlt/config.toml``). A wrong value used to surface mid-run as a bare
``ValueError`` (or, from dlt, as its default), so ``OPTION_RULES`` checks a value from any place
with one message that names the fix before anything is fetched: ``pipelines.load_pipelines``
adds file, line and key; ``check_dlt_settings`` names the variable and the TOML key.

The runner and ``mp auth test`` need ``project_timezone`` before the source is built (to ask
Mixpanel only when it is not set), so they read it here the way dlt would: the source's section
first, then dlt's fallbacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mixpanel_data.config.dates import is_day
from mixpanel_data.exceptions import ConfigError

SECTION = "sources.mixpanel"
PROMOTE_TYPES = ("text", "bigint", "double", "bool", "timestamp")
"""Column types ``promote`` accepts: the source's ``events_arrow.PROMOTE_TYPES`` (a test pins
them), named here so that checking pipelines.yaml does not import the source and pyarrow."""
PII_ACTIONS = ("drop", "hash", "mask")
_LEGACY_WORDS = ("auto", "true", "false", "yes", "no", "on", "off", "1", "0")
_INTEGER = re.compile(r"\s*-?\d+\s*")

Check = Callable[[object, bool], object]
"""``check(value, text)``: the value as the source takes it, or ``ValueError`` saying what is
wrong. ``text`` is true for dlt config, where a number or a list may arrive as text. The value
comes from YAML, TOML or the environment: any type, narrowed by the check."""


@dataclass(frozen=True)
class Rule:
    """One option's check, the fix an error names, and whether it may be left empty (null)."""

    check: Check
    hint: str
    nullable: bool = True


class _Complete(ValueError):
    """A message that already names its fix (the rule's hint would only repeat the shape)."""


def check_option(name: str, value: object, *, text: bool = False) -> Any:
    """``value`` of option ``name`` as the source takes it; ``ValueError`` naming the fix.

    ``Any``: the type depends on ``name`` (``OPTION_RULES``), as ``mixpanel_source``'s
    parameter of that name takes it."""
    return apply_rule(OPTION_RULES[name], value, text=text)


def apply_rule(rule: Rule, value: object, *, text: bool = False) -> Any:
    """``rule``'s check on ``value``: null where the rule allows it, else ``ValueError`` with the
    rule's hint (the report sources' options are checked by this too)."""
    if value is None:
        if rule.nullable:
            return None
        raise ValueError(f"no value given: {rule.hint}")
    try:
        return rule.check(value, text)
    except _Complete as exc:
        raise ValueError(str(exc)) from None
    except ValueError as exc:
        raise ValueError(f"{exc}: {rule.hint}") from None


def _shown(value: object) -> str:
    """A value as the person wrote it: YAML and TOML spell booleans ``true``/``false``."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def whole(minimum: int) -> Check:
    """A whole number ``minimum`` or more (as text too, for dlt config)."""

    def check(value: object, text: bool) -> int:
        if text and isinstance(value, str) and _INTEGER.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{_shown(value)} is not a whole number")
        if value < minimum:
            raise ValueError(f"{value} is less than {minimum}")
        return value

    return check


def _text(value: object, text: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{_shown(value)} is not text")
    if not value.strip():
        raise ValueError("the text is empty")
    return value


def _zone(value: object, text: bool) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = _text(value, text)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{_shown(value)} is not an IANA time zone") from None
    return str(value)


def _legacy(value: object, text: bool) -> bool | str:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or value.strip().lower() not in _LEGACY_WORDS:
        raise ValueError(f"{_shown(value)} is not auto, true or false")
    return value


def _day(value: object, text: bool) -> date | str:
    if isinstance(value, datetime):
        raise ValueError(f"{value.isoformat(sep=' ')!r} is a time, not a day")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and is_day(value):
        return value
    raise ValueError(f"{_shown(value)} is not a day")


def _decoded(value: object, text: bool) -> object:
    """dlt config may hold a list or mapping as JSON text (an environment variable always does)."""
    if text and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(f"{value!r} is not JSON") from None
    return value


def _names(value: object, what: str) -> list[str]:
    """A list of non-empty names; ``what`` names one of them (``an event name``)."""
    if not isinstance(value, list | tuple):
        raise ValueError(f"{_shown(value)} is not a list")
    bad = [v for v in value if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ValueError(f"{_shown(bad[0])} is not {what}")
    return list(value)


def _events(value: object, text: bool) -> list[str]:
    return _names(_decoded(value, text), "an event name")


def _promote(value: object, text: bool) -> dict[str, str] | list[str]:
    value = _decoded(value, text)
    if isinstance(value, list | tuple):
        return _names(value, "a property name")
    if not isinstance(value, Mapping):
        raise ValueError(f"{_shown(value)} is neither a mapping nor a list")
    for prop, kind in value.items():
        if not isinstance(prop, str) or not prop.strip():
            raise ValueError(f"{_shown(prop)} is not a property name")
        if kind not in PROMOTE_TYPES:
            raise ValueError(f"{prop!r} has the unknown type {_shown(kind)}")
    return dict(value)


def _pii(value: object, text: bool) -> dict[str, str | list[str]]:
    value = _decoded(value, text)
    if not isinstance(value, Mapping):
        raise ValueError(f"{_shown(value)} is not a mapping")
    for action, names in value.items():
        if "salt" in str(action).lower():
            raise _Complete(
                "the PII salt is a secret, not a pii option: set SOURCES__MIXPANEL__PII_SALT "
                "(or pii_salt under [sources.mixpanel] in .dlt/secrets.toml, or MP_PII_SALT)"
            )
        if action not in PII_ACTIONS:
            raise _Complete(f"unknown key {_shown(action)}: use drop, hash or mask")
        _names([names] if isinstance(names, str) else names, "a property name")
    return dict(value)


def _url(value: object, text: bool) -> str:
    if not isinstance(value, str) or not re.match(r"https?://[^/\s]+", value):
        raise ValueError(f"{_shown(value)} is not an http(s) URL")
    return value


_WHERE = 'e.g. \'properties["plan"] == "pro"\''
#: Every option a pipeline (or dlt config) may set for ``mixpanel_source``, with its rule.
OPTION_RULES: dict[str, Rule] = {
    "account": Rule(_text, "name an account of `mp auth list`"),
    "project_timezone": Rule(_zone, "use an IANA name such as America/New_York"),
    "legacy_timezone": Rule(
        _legacy, "use auto (decide from the data, the default), true or false", nullable=False
    ),
    "start_date": Rule(_day, "use a day as YYYY-MM-DD, e.g. 2024-01-31"),
    "lookback_days": Rule(
        whole(0), "use whole days re-read for late data, 0 or more (default 5)", nullable=False
    ),
    "events": Rule(_events, 'use a list of event names, e.g. ["Purchase", "Sign Up"]'),
    "where": Rule(_text, f"use a Mixpanel expression as text, {_WHERE}"),
    "promote": Rule(
        _promote,
        "use a mapping of property to text, bigint, double, bool or timestamp, e.g. "
        '{"amount": "double"} (or a list of properties, promoted as text)',
    ),
    "window_days": Rule(
        whole(1), "use whole days per export window, 1 or more (leave it out to size by volume)"
    ),
    "concurrency": Rule(
        whole(1), "use export windows downloaded at once, 1 or more (default 3)", nullable=False
    ),
    "batch_bytes": Rule(
        whole(2**20),
        "use bytes of export parsed at once, 1048576 (1 MiB) or more (default 33554432)",
        nullable=False,
    ),
    "profiles_where": Rule(_text, f"use an engage expression as text, {_WHERE}"),
    "cohort_id": Rule(whole(1), "use the numeric id of a saved cohort (`mp cohorts` lists them)"),
    "profile_page_size": Rule(
        whole(1), "use profiles per engage page, 1 or more (default 1000)", nullable=False
    ),
    "profile_concurrency": Rule(
        whole(1), "use engage pages fetched at once, 1 or more (default 4)", nullable=False
    ),
    "pii": Rule(
        _pii, 'use a mapping of drop, hash or mask to property names, e.g. {"drop": ["$email"]}'
    ),
    "base_url": Rule(_url, "use an http(s) origin, e.g. http://127.0.0.1:8080"),
}


def _dlt_value(name: str) -> object:
    """What dlt's providers hold for the source's setting ``name`` (its section, then fallback)."""
    import dlt

    for key in (f"{SECTION}.{name}", f"sources.{name}"):
        value: object = dlt.config.get(key)
        if value is not None:
            return value
    return None


def _dlt_error(name: str, exc: ValueError) -> ConfigError:
    where = f"SOURCES__MIXPANEL__{name.upper()} ({name} in [sources.mixpanel] of .dlt/config.toml)"
    return ConfigError(f"{where}: {exc}.")


def source_setting(name: str, options: Mapping[str, object] | None = None) -> Any:
    """``options[name]`` when given there, else what dlt's providers hold for the source.

    A value from dlt is checked by the option's rule (a ``ConfigError`` naming the fix).
    ``Any``, as ``check_option``: the type depends on ``name``.
    """
    if options and options.get(name) is not None:
        return options[name]
    value = _dlt_value(name)
    if value is None:
        return None
    try:
        return check_option(name, value, text=True)
    except ValueError as exc:
        raise _dlt_error(name, exc) from None


def check_dlt_settings(given: Mapping[str, object] | None = None) -> None:
    """Check every source setting dlt config holds, except those ``given`` explicitly.

    dlt refuses text it cannot parse into the parameter's type only once the source is built,
    and lets through values of the right type that make no sense (``lookback_days = -3``);
    this says which setting is wrong, and how to fix it, before any request.
    """
    for name in OPTION_RULES:
        if given and given.get(name) is not None:
            continue  # an explicit argument wins over dlt config: dlt never reads this one
        source_setting(name)
