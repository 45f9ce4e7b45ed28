"""Source settings as dlt resolves them, for the code that must know one before the source runs.

A source option (``project_timezone``, ``lookback_days``, ...) reaches ``mixpanel_source`` from
pipelines.yaml options or from dlt's own providers (``SOURCES__MIXPANEL__<NAME>``,
``[sources.mixpanel]`` in ``.dlt/config.toml``). The runner and ``mp auth test`` need
``project_timezone`` before the source is built (to ask Mixpanel only when it is not set), so
they read it here the way dlt would: the source's section first, then dlt's fallbacks.
"""

from __future__ import annotations

from typing import Any

SECTION = "sources.mixpanel"


def source_setting(name: str, options: dict[str, Any] | None = None) -> Any:
    """``options[name]`` when given there, else what dlt's providers hold for the source."""
    if options and options.get(name) is not None:
        return options[name]
    import dlt

    for key in (f"{SECTION}.{name}", f"sources.{name}"):
        value: Any = dlt.config.get(key)
        if value is not None:
            return value
    return None
