"""The tracking plan (``tracking_plan.yaml``): pydantic models, loading with line numbers, dumping.

A plan declares the event-name convention (a regex), each event's typed properties, the
distinct_id rules, the PII allow-list and conditional rules such as "``is_cron_job`` true needs
``cron_execution_timestamp`` in Unix milliseconds". Every section has a default, so the smallest
plan is just ``events:``. A property is a mapping (``{type: string, required: true}``) or just
its type (``plan: string``). Errors name the file, the line and the key::

    tracking_plan.yaml:14: events.svc.surveys.sent.properties.survey_id.type: Input should be ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mixpanel_data.audit import patterns
from mixpanel_data.exceptions import ConfigError, NotFoundError

PropertyType = Literal[
    "string", "number", "boolean", "datetime-ms", "list", "enum", "object", "array", "any"
]
Scalar = str | int | float | bool


class TrackingPlanError(ConfigError):
    """tracking_plan.yaml is malformed; the message names file, line and key."""


class PropertySpec(BaseModel):
    """One property: its type, whether every event must carry it, and what it means.

    ``list`` is a list of strings (UUID lists); ``datetime-ms`` is an integer of Unix
    milliseconds; ``enum`` takes ``values``; a ``string`` may add ``format: uuid`` or a
    full-match ``pattern``.
    """

    model_config = ConfigDict(extra="forbid")
    type: PropertyType = "any"
    required: bool = False
    description: str = ""
    values: list[Scalar] | None = None
    format: Literal["uuid"] | None = None
    pattern: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> PropertySpec:
        if (self.type == "enum") != (self.values is not None):
            raise ValueError("an enum needs `values: [...]`, and only an enum takes values")
        if (self.format or self.pattern) and self.type != "string":
            raise ValueError("format and pattern apply to `type: string` only")
        if self.pattern is not None:
            check_regex(self.pattern)
        return self


class EventSpec(BaseModel):
    """One planned event: what it means and its properties (besides the common ones)."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    properties: dict[str, PropertySpec] = Field(default_factory=dict)


class Naming(BaseModel):
    """The event-name convention: a full-match regex, and words no name may contain."""

    model_config = ConfigDict(extra="forbid")
    convention: str = patterns.DEFAULT_CONVENTION
    pattern: str = patterns.DEFAULT_EVENT_NAME_PATTERN
    forbidden_words: list[str] = Field(default_factory=lambda: ["cron"])

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        return check_regex(value)


class IdPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        return check_regex(value)


class DistinctIdRules(BaseModel):
    """Accepted distinct_id shapes (full match, in order of preference) and forbidden values."""

    model_config = ConfigDict(extra="forbid")
    allowed: list[IdPattern] = Field(
        default_factory=lambda: [
            IdPattern(name=n, pattern=p) for n, p in patterns.DEFAULT_DISTINCT_IDS
        ]
    )
    not_equal_to: list[str] = Field(default_factory=lambda: list(patterns.DEFAULT_NOT_EQUAL_TO))
    required: bool = True


class PiiRules(BaseModel):
    """Approved properties, extra name patterns, and whether to look at values at all."""

    model_config = ConfigDict(extra="forbid")
    allow: list[str] = Field(default_factory=lambda: list(patterns.DEFAULT_PII_ALLOW))
    name_patterns: list[str] = Field(default_factory=list)
    check_values: bool = True

    @field_validator("name_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return [check_regex(v) for v in value]


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    property: str
    equals: Scalar


class ConditionalRule(BaseModel):
    """``if`` a property equals a value, ``require`` other properties (with their types)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    when: Condition = Field(alias="if")
    require: dict[str, PropertySpec]
    events: list[str] | None = None


if TYPE_CHECKING:
    from mixpanel_data.config.settings import Settings


def _default_rules() -> list[ConditionalRule]:
    return [
        ConditionalRule.model_validate(
            {
                "name": "cron jobs carry their execution time",
                "if": {"property": "is_cron_job", "equals": True},
                "require": {"cron_execution_timestamp": {"type": "datetime-ms", "required": True}},
            }
        )
    ]


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low_fill: float = Field(default=0.05, ge=0, le=1)


class TrackingPlan(BaseModel):
    """The whole plan; ``properties_of`` merges the common properties into an event's."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    naming: Naming = Field(default_factory=Naming)
    distinct_id: DistinctIdRules = Field(default_factory=DistinctIdRules)
    pii: PiiRules = Field(default_factory=PiiRules)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    system_properties: str = patterns.SYSTEM_PROPERTY
    common_properties: dict[str, PropertySpec] = Field(default_factory=dict)
    rules: list[ConditionalRule] = Field(default_factory=_default_rules)
    events: dict[str, EventSpec] = Field(default_factory=dict)

    @field_validator("system_properties")
    @classmethod
    def _regex(cls, value: str) -> str:
        return check_regex(value)

    def properties_of(self, event: str) -> dict[str, PropertySpec]:
        spec = self.events.get(event)
        return {**self.common_properties, **(spec.properties if spec else {})}

    def is_system(self, name: str) -> bool:
        return re.fullmatch(self.system_properties, name) is not None


def check_regex(pattern: str) -> str:
    """Accept only patterns that both Python and DuckDB's RE2 compile (no lookaround)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    import duckdb

    try:
        duckdb.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"not a regular expression DuckDB (RE2) accepts ({first})") from None
    return pattern


def default_plan_path(settings: Settings | None = None) -> Path:
    """The settings' tracking plan: ``MP_TRACKING_PLAN`` or ``./tracking_plan.yaml``."""
    from mixpanel_data.config.settings import Settings

    return (settings or Settings.from_env()).tracking_plan


def load_plan(path: Path | None = None) -> TrackingPlan:
    """Read and validate a plan; one-line errors naming file, line and key."""
    path = path or default_plan_path()
    if not path.is_file():
        raise NotFoundError(
            f"No tracking plan at {path}: draft one with "
            f"`mp audit plan --from-data --output {path}`, or pass --plan PATH."
        )
    return parse_plan(path.read_text(encoding="utf-8"), str(path))


def parse_plan(text: str, source: str = "tracking_plan.yaml") -> TrackingPlan:
    """Validate plan YAML text (``source`` names it in errors)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if root is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise TrackingPlanError(f"{where}: not valid YAML: fix the syntax.") from None
    if not isinstance(data, dict):
        raise TrackingPlanError(f"{source}:1: expected a mapping with `events:` at the top.")
    try:
        return TrackingPlan.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [p for p in error["loc"] if isinstance(p, int | str)]
        line = _line_of(root, loc)
        key = ".".join(str(p) for p in loc if not _is_validator_tag(p)) or "(top)"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise TrackingPlanError(f"{source}:{line}: {key}: {message}.") from None


def _is_validator_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int:
    """The 1-based line of the deepest key (or list item) of ``loc`` found in the YAML tree."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                continue
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


HEADER = """\
# Tracking plan, checked against loaded data by `mp audit` (exit 1 on any P0/P1 finding).
# Types: string (format: uuid, pattern), number, boolean, datetime-ms (Unix milliseconds),
# list (of strings), enum (values), object, array, any. `name: string` is short for
# `name: {type: string}`. Patterns are full-match RE2 regular expressions.
"""


def dump_plan(plan: TrackingPlan, header: str = HEADER, notes: dict[str, str] | None = None) -> str:
    """The plan as YAML that ``parse_plan`` reads back into an equal plan.

    ``notes``: comment lines (``# ...``) to put before a top-level key (``draft_notes``).
    """
    data = plan.model_dump(mode="json", by_alias=True)
    data["common_properties"] = _props(plan.common_properties)
    data["events"] = {name: _event(spec) for name, spec in plan.events.items()}
    data["rules"] = [
        {
            **rule.model_dump(mode="json", by_alias=True, exclude_none=True),
            "require": _props(rule.require),
        }
        for rule in plan.rules
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    for key, note in (notes or {}).items():
        at = body.find(f"\n{key}:") + 1  # a top-level key starts a line, unindented
        body = body[:at] + note + body[at:] if at else body
    return header + body


def _event(spec: EventSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.description:
        out["description"] = spec.description
    out["properties"] = _props(spec.properties)
    return out


def _props(props: dict[str, PropertySpec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in props.items():
        short = spec.model_dump(mode="json", exclude_defaults=True)
        out[name] = short.get("type", "any") if set(short) <= {"type"} else short
    return out
