"""What a destination needs that a plain install lacks: an extra to install, a setting to add.

Without them dlt fails deep inside a run (a Delta load fails only at its load step, after every
window was fetched, with pages of traceback in the message). ``check_extras`` refuses before
the run starts; ``explain`` turns the dlt errors of the same causes, met anywhere (``mp sql
--pipeline``, a load), into one line naming the extra or the setting.
"""

from __future__ import annotations

import importlib.util
import re

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.exceptions import ConfigError

#: (destination, table_format) -> (module dlt imports, our extra that installs it).
NEEDS: dict[tuple[str, str | None], tuple[str, str]] = {
    ("postgres", None): ("psycopg2", "postgres"),
    ("redshift", None): ("psycopg2", "postgres"),
    ("filesystem", "delta"): ("deltalake", "delta"),
}
#: dlt's ``pip install "dlt[X]"`` hint -> our extra.
_DLT_EXTRAS = {"deltalake": "delta", "postgres": "postgres", "psycopg2": "postgres"}


def check_extras(spec: PipelineSpec) -> None:
    """Refuse a pipeline whose destination's driver is not installed (exit 3)."""
    module, extra = NEEDS.get((spec.destination, spec.table_format), (None, None))
    if module and extra and importlib.util.find_spec(module) is None:
        raise missing_extra(extra, module, f"Pipeline {spec.name!r} ({_where(spec)})")


def missing_extra(extra: str, module: str, what: str) -> ConfigError:
    return ConfigError(
        f"{what} needs the `{module}` package: pip install 'mixpanel-data[{extra}]'."
    )


def _where(spec: PipelineSpec) -> str:
    fmt = f", {spec.table_format} tables" if spec.table_format else ""
    return f"destination {spec.destination}{fmt}"


def explain(exc: BaseException) -> ConfigError | None:
    """One line for a missing extra or missing destination settings found in ``exc``'s chain."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.common.exceptions import MissingDependencyException

    for found in _chain(exc):
        if isinstance(found, MissingDependencyException):
            return _missing_dependency(" ".join(found.dependencies))
        if isinstance(found, ConfigFieldMissingException):
            return _missing_settings(found)
        if "MissingDependencyException" in str(found):  # a load job's failure, kept as text
            return _missing_dependency(str(found))
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, what dlt wrapped in it (``.exception``) and its causes, each once."""
    out: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is seen for seen in out) or len(out) > 20:
            continue
        out.append(item)
        inner = getattr(item, "exception", None)
        todo += [inner if isinstance(inner, BaseException) else None]
        todo += [item.__cause__, item.__context__]
    return out


def _missing_dependency(text: str) -> ConfigError:
    match = re.search(r"dlt\[([a-z0-9_-]+)\]", text)
    name = match.group(1) if match else "deltalake"
    extra = _DLT_EXTRAS.get(name, name)
    module = next((m for (m, e) in NEEDS.values() if e == extra), name)
    return missing_extra(extra, module, "This destination")


def _missing_settings(exc: BaseException) -> ConfigError:
    """``postgres needs credentials: ...`` naming dlt's keys (never any value)."""
    spec_name = str(getattr(exc, "spec_name", ""))
    destination = re.sub(r"(Client)?(Configuration|Credentials)$", "", spec_name).lower()
    fields = [str(f) for f in getattr(exc, "fields", [])]
    missing = ", ".join(fields) or "settings"
    key = destination.upper() or "NAME"
    return ConfigError(
        f"The {destination or 'destination'} destination is missing {missing}: add "
        f"[destination.{destination or 'NAME'}.credentials] to .dlt/secrets.toml or set "
        f"DESTINATION__{key}__CREDENTIALS (a connection string)."
    )
