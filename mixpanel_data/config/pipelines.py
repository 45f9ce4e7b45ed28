"""Named pipelines: ``pipelines.yaml`` validated with pydantic, plus the built-in defaults.

The built-ins ``events`` and ``profiles`` work with no file at all, from any directory. A
``pipelines.yaml`` in the working directory (or the file named by ``MP_PIPELINES``) adds to or
overrides them. Schema of one entry (every key but the name optional)::

    pipelines:
      NAME:
        source: mixpanel                 # or a report source (below)
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

A report pipeline names one of Mixpanel's report sources instead (``config.reports``)::

      signups:
        source: mixpanel_funnels         # or mixpanel_segmentation, _retention, _insights, _lists
        options: {funnel_ids: [7509], unit: week, lookback_days: 14}
        schedule: {cron: "0 7 * * *"}

Its ``resources`` are the source's tables (all of them by default), its ``options`` the
source's arguments, and its tables land in the dataset ``reports`` unless ``dataset`` says
otherwise. Each report pipeline keeps its own dlt pipeline (``mp_report_<name>``), so two of
them never share a cursor.

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
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mixpanel_data.config.reports import REPORT_FAMILIES, ReportFamily, check_report_option
from mixpanel_data.config.sources import OPTION_RULES, check_option
from mixpanel_data.exceptions import PipelineConfigError, PipelineNotFoundError

Resource = Literal["events", "profiles"]
#: ``source:`` values: the events/profiles source, then the report sources.
Source = Literal[
    "mixpanel",
    "mixpanel_funnels",
    "mixpanel_segmentation",
    "mixpanel_retention",
    "mixpanel_insights",
    "mixpanel_lists",
]
RESOURCES: tuple[str, ...] = ("events", "profiles")
DEFAULT_FILE = Path("pipelines.yaml")
#: Options whose keys are property names (or pii actions), never secrets: ``push_token`` there
#: names a property. The PII salt, the one secret near them, is refused by ``pii``'s own rule.
_PROPERTY_MAPS = frozenset({"promote", "pii"})
_REPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
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
    """The dotted path of the first secret-looking key inside ``value``, if any.

    Only where a secret could go: the keys of ``promote`` and ``pii`` are property names
    (``promote: {push_token: text}`` promotes a property, it holds no token)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                return here
            if str(key) in _PROPERTY_MAPS:
                continue
            found = _find_secret(inner, here)
            if found:
                return found
    return None


def _secret_in_url(value: object) -> bool:
    """A URL with ``user:password@`` in it carries a secret."""
    from urllib.parse import urlsplit

    return isinstance(value, str) and "@" in urlsplit(value).netloc


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
    source: Source = "mixpanel"
    resources: list[str] = Field(default=["events"], min_length=1)
    destination: str = "duckdb"
    table_format: Literal["delta", "parquet"] | None = None
    dataset: str = Field(default="mixpanel", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    options: dict[str, Any] = Field(default_factory=dict)
    schedule: Schedule | None = None

    @model_validator(mode="before")
    @classmethod
    def _report_defaults(cls, data: Any) -> Any:
        """A report pipeline loads every table of its source into ``reports`` by default."""
        if not isinstance(data, dict):
            return data
        options = data.get("options")
        if isinstance(options, dict) and True in options:
            # YAML 1.1 reads an unquoted ``on:`` key as true: it is the breakdown option
            data = {**data, "options": {("on" if k is True else k): v for k, v in options.items()}}
        family = REPORT_FAMILIES.get(str(data.get("source")))
        if family is None:
            return data
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        defaults = {"resources": family.default_tables(options or {}), "dataset": "reports"}
        return {**defaults, **data}

    @field_validator("resources")
    @classmethod
    def _known_resources(cls, value: list[str], info: ValidationInfo) -> list[str]:
        source = info.data.get("source", "mixpanel")
        family = REPORT_FAMILIES.get(source)
        known = family.tables if family else RESOURCES
        unknown = [r for r in value if r not in known]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a table of source {source} (use any of {', '.join(known)})"
            )
        return value

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
    def _known_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        secret = _find_secret(value)
        if secret:
            raise ValueError(secret_hint(secret))
        if _secret_in_url(value.get("base_url")):
            raise OptionValueError(
                "base_url",
                "the URL holds a user or password, which never belongs in pipelines.yaml: give "
                "the origin only (e.g. https://proxy.example.com) and the credentials in "
                ".dlt/secrets.toml [sources.mixpanel.credentials] (or MP_SECRET)",
            )
        source = info.data.get("source", "mixpanel")
        family = REPORT_FAMILIES.get(source)
        if family is not None:
            return _report_options(source, family, value)
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
        if self.family is not None:
            _check_required(self.source, self.family, self.options)
        if self.is_report and not _REPORT_NAME.match(self.name or "x"):
            raise ValueError(
                f"report pipeline name {self.name!r} must be letters, digits, _ or - "
                "(it names the pipeline's dlt working folder)"
            )
        if self.table_format and self.destination != "filesystem":
            raise ValueError("table_format applies to the filesystem destination only")
        if self.destination == "filesystem" and self.table_format is None:
            self.table_format = "delta"  # the events/profiles merges need a table format
        return self

    @property
    def is_report(self) -> bool:
        """Whether this pipeline loads a report source (``config.reports``)."""
        return self.source in REPORT_FAMILIES

    @property
    def family(self) -> ReportFamily | None:
        """The report source's family, for a report pipeline."""
        return REPORT_FAMILIES.get(self.source)

    @property
    def dlt_name(self) -> str:
        """The dlt pipeline (state, cursors) of this destination + dataset; a report pipeline
        has its own (its windows' state is its own)."""
        where = "" if self.destination == "duckdb" else f"{self.destination}_"
        if self.is_report:
            return f"mp_{where}report_{self.name}"
        return f"mp_{where}{self.dataset}"


def _report_options(source: str, family: ReportFamily, value: dict[str, Any]) -> dict[str, Any]:
    """A report source's options: known names, right values, the required ones present."""
    unknown = sorted(set(value) - set(family.rules))
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r} for source {source} "
            f"(known: {', '.join(sorted(family.rules))})"
        )
    for key, item in value.items():
        try:
            check_report_option(family, key, item)
        except ValueError as exc:
            raise OptionValueError(key, str(exc)) from None
    return value


def _check_required(source: str, family: ReportFamily, options: dict[str, Any]) -> None:
    """The options a report source cannot run without (a compounded retention needs no born
    event)."""
    missing = [k for k in family.required if options.get(k) is None]
    if missing == ["born_event"] and options.get("retention_type") == "compounded":
        return
    if missing:
        hint = family.rules[missing[0]].hint
        raise ValueError(f"source {source} needs option {missing[0]!r} under options: {hint}")
    if options.get("unit") == "week" and options.get("type") in ("unique", "average"):
        # weeks are added up from days (Mixpanel's /segmentation has no week): users do not add
        raise ValueError(
            f"unit week with type {options['type']} cannot be added up from days: use unit day "
            "or month, or type general"
        )


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
    stray = [k for k in raw if k != "pipelines" and not str(k).startswith("x-")]
    if stray:
        line = _line_of(root, [stray[0]])
        raise PipelineConfigError(
            f"{path}:{line}: unknown top-level key {str(stray[0])!r}: the file holds one "
            "'pipelines:' mapping (put each pipeline under it; keys starting with x- are free "
            "for YAML anchors)."
        )
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


def named_file_error(path: Path) -> PipelineConfigError | None:
    """The error for a pipelines file named explicitly (``MP_PIPELINES``) that is not there.

    Without ``MP_PIPELINES`` a missing ``./pipelines.yaml`` just means the built-ins; a file
    someone named and mistyped must not silently mean the same (the CLI asks at its edge)."""
    if path.is_file():
        return None
    what = "is a directory" if path.is_dir() else "does not exist"
    return PipelineConfigError(
        f"MP_PIPELINES names {str(path)!r}, which {what}: fix the path, or unset MP_PIPELINES "
        "to use ./pipelines.yaml."
    )


def get_pipeline(name: str, path: Path | None = None) -> PipelineSpec:
    """One pipeline by name, or a not-found error listing the known names."""
    specs = load_pipelines(path)
    if name not in specs:
        raise PipelineNotFoundError(
            f"No pipeline named {name!r} (known: {', '.join(sorted(specs))}): "
            "define it in pipelines.yaml."
        )
    return specs[name]
