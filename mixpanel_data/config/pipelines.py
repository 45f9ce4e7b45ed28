"""Named pipelines: ``pipelines.yaml`` validated with pydantic, plus the built-in defaults.

The built-ins ``events`` and ``profiles`` work with no file at all, from any directory. A
``pipelines.yaml`` in the working directory (or the file named by ``MP_PIPELINES``) adds to or
overrides them. Schema of one entry (every key but the name optional)::

    pipelines:
      NAME:
        source: mixpanel                 # the only source so far
        resources: [events, profiles]    # what to load
        destination: duckdb              # any dlt destination by name (postgres, filesystem, ...)
        table_format: delta              # filesystem only: delta (default, merges) or parquet
        dataset: mixpanel                # schema / folder the tables land in
        options:                         # mixpanel_source arguments (see SOURCE_OPTIONS)
          start_date: 2024-01-01         # where the first incremental run starts
          lookback_days: 5
          promote: {amount: double}
          events: [Purchase]             # filters: event names, where, profiles_where, cohort_id
        schedule:                        # optional: used by `mp schedule`
          cron: "0 6 * * *"
          timezone: Europe/Berlin        # IANA name; cron fields are wall-clock times there

Secrets never belong here: they go in ``.dlt/secrets.toml`` or the environment, and a key that
looks like one is refused with an error that says where it goes. Option names and values are
both checked when the file is read (values by ``config.sources.OPTION_RULES``, the rules dlt
config is checked by too), so ``lookback_days: banana`` fails before a run starts. Errors name
the file, the line and the key, and say what to write instead (exit 3).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mixpanel_data.config.sources import OPTION_RULES, check_option
from mixpanel_data.exceptions import PipelineConfigError, PipelineNotFoundError

Resource = Literal["events", "profiles"]
_SECRET_WORDS = ("secret", "password", "passwd", "token", "credential", "private_key", "api_key")
#: ``mixpanel_source`` arguments a pipeline may set (run-time ones like from/to are CLI flags).
SOURCE_OPTIONS = frozenset(OPTION_RULES)
_DESTINATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class OptionValueError(ValueError):
    """A source option's value is wrong; ``key`` lets the file error point at its line."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that an impossible date (``2024-13-01``) stays text instead of failing
    the whole file with a bare ``ValueError``: the option's own check then names key and line."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> date | str:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def secret_hint(key: str) -> str:
    """Where a secret named ``key`` belongs instead of pipelines.yaml."""
    return (
        f"{key!r} is a secret and never belongs in pipelines.yaml: put Mixpanel credentials in "
        ".dlt/secrets.toml [sources.mixpanel.credentials] (or MP_SECRET), destination ones in "
        ".dlt/secrets.toml [destination.<name>.credentials] "
        "(or DESTINATION__<NAME>__CREDENTIALS)"
    )


def _find_secret(value: object, path: str = "") -> str | None:
    """The dotted path of the first secret-looking key inside ``value``, if any."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                return here
            found = _find_secret(inner, here)
            if found:
                return found
    return None


class Schedule(BaseModel):
    """When a pipeline runs by itself (used by ``mp schedule``): a cron line in an IANA zone."""

    model_config = ConfigDict(extra="forbid")
    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        value = " ".join(value.split())
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a 5-field cron expression (minute hour day month weekday)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
        return value

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after ``after`` (aware UTC), DST-correct."""
        from mixpanel_data.config.cron import next_fire

        return next_fire(self.cron, self.timezone, after)

    def previous_run(self, at: datetime) -> datetime:
        """The last run at or before ``at`` (aware UTC)."""
        from mixpanel_data.config.cron import previous_fire

        return previous_fire(self.cron, self.timezone, at)


class PipelineSpec(BaseModel):
    """One named pipeline: what to load, where, and with which source options."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    source: Literal["mixpanel"] = "mixpanel"
    resources: list[Resource] = Field(default=["events"], min_length=1)
    destination: str = "duckdb"
    table_format: Literal["delta", "parquet"] | None = None
    dataset: str = Field(default="mixpanel", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    options: dict[str, Any] = Field(default_factory=dict)
    schedule: Schedule | None = None

    @field_validator("destination")
    @classmethod
    def _destination_name(cls, value: str) -> str:
        if "://" in value or "@" in value:
            raise ValueError(secret_hint("destination") + "; name the destination only")
        if not _DESTINATION_NAME.match(value):
            raise ValueError(f"{value!r} is not a dlt destination name (e.g. duckdb, postgres)")
        return value

    @field_validator("options")
    @classmethod
    def _known_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        secret = _find_secret(value)
        if secret:
            raise ValueError(secret_hint(secret))
        unknown = sorted(set(value) - SOURCE_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown source option {unknown[0]!r} (known: {', '.join(sorted(SOURCE_OPTIONS))})"
            )
        for key, item in value.items():
            try:
                check_option(key, item)
            except ValueError as exc:
                raise OptionValueError(key, str(exc)) from None
        return value

    @model_validator(mode="after")
    def _format_fits(self) -> PipelineSpec:
        if self.table_format and self.destination != "filesystem":
            raise ValueError("table_format applies to the filesystem destination only")
        if self.destination == "filesystem" and self.table_format is None:
            self.table_format = "delta"  # the events/profiles merges need a table format
        return self

    @property
    def dlt_name(self) -> str:
        """The dlt pipeline (state, cursors) of this destination + dataset."""
        if self.destination == "duckdb":
            return f"mp_{self.dataset}"
        return f"mp_{self.destination}_{self.dataset}"


BUILTIN: dict[str, PipelineSpec] = {
    "events": PipelineSpec(name="events", resources=["events"]),
    "profiles": PipelineSpec(name="profiles", resources=["profiles"]),
}


def pipelines_file() -> Path:
    """``MP_PIPELINES`` or ``./pipelines.yaml`` (the settings' ``pipelines_file``)."""
    from mixpanel_data.config.settings import Settings

    return Settings.from_env().pipelines_file


def load_pipelines(path: Path | None = None) -> dict[str, PipelineSpec]:
    """Built-ins overlaid with the file's pipelines (if the file exists).

    ``path`` is the settings' ``pipelines_file``; without one, ``MP_PIPELINES`` is read.
    """
    path = path or pipelines_file()
    specs = dict(BUILTIN)
    if not path.exists():
        return specs
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.load(text, Loader=_Loader) or {}  # a SafeLoader
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PipelineConfigError(f"{where}: not valid YAML: fix the syntax.") from None
    entries = raw.get("pipelines", {}) if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise PipelineConfigError(f"{path}:1: expected a top-level 'pipelines:' mapping.")
    for name, body in entries.items():
        keys: list[str | int] = ["pipelines", name]
        if body is not None and not isinstance(body, dict):
            line = _line_of(root, keys)
            raise PipelineConfigError(f"{path}:{line}: pipelines.{name} must be a mapping.")
        try:
            specs[str(name)] = PipelineSpec(**{"name": str(name), **(body or {})})
        except ValidationError as exc:
            raise _spec_error(path, root, keys, body, exc) from None
    return specs


def _spec_error(
    path: Path, root: yaml.Node | None, keys: list[str | int], body: object, exc: ValidationError
) -> PipelineConfigError:
    """``file:line: pipelines.NAME.key: message`` for the first error pydantic found."""
    error = exc.errors()[0]
    loc: list[str | int] = [p for p in error["loc"] if p != "__root__"]
    cause = (error.get("ctx") or {}).get("error")
    secret = _find_secret(body or {})
    if isinstance(cause, OptionValueError):
        loc = ["options", cause.key]
    elif secret and loc and loc[0] == "options":
        loc = [*secret.split(".")]
    line = _line_of(root, keys + loc)
    key = ".".join(str(p) for p in [*keys, *loc])
    message = str(error["msg"]).removeprefix("Value error, ")
    return PipelineConfigError(f"{path}:{line}: {key}: {message}")


def _line_of(root: yaml.Node | None, keys: list[str | int]) -> int:
    """1-based line of the deepest node of ``keys`` found in the composed YAML tree."""
    node, line = root, 1
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(key)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def get_pipeline(name: str, path: Path | None = None) -> PipelineSpec:
    """One pipeline by name, or a not-found error listing the known names."""
    specs = load_pipelines(path)
    if name not in specs:
        raise PipelineNotFoundError(
            f"No pipeline named {name!r} (known: {', '.join(sorted(specs))}): "
            "define it in pipelines.yaml."
        )
    return specs[name]
