"""Named pipelines: ``pipelines.yaml`` validated with pydantic, plus the built-in defaults.

The built-ins ``events`` and ``profiles`` work with no file at all, from any directory. A
``pipelines.yaml`` in the working directory (or the file named by ``MP_PIPELINES``) adds to or
overrides them. Secrets never belong here: they go in ``.dlt/secrets.toml`` or the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mixpanel_data.exceptions import PipelineConfigError, PipelineNotFoundError

Resource = Literal["events", "profiles"]
_SECRET_KEYS = {"secret", "password", "api_secret", "token", "credentials"}


class Schedule(BaseModel):
    """When a pipeline runs by itself (used by ``mp schedule``)."""

    model_config = ConfigDict(extra="forbid")
    cron: str
    timezone: str = "UTC"


class PipelineSpec(BaseModel):
    """One named pipeline: what to load, where, and with which source options."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    source: Literal["mixpanel"] = "mixpanel"
    resources: list[Resource] = Field(default=["events"])
    destination: str = "duckdb"
    dataset: str = "mixpanel"
    options: dict[str, Any] = Field(default_factory=dict)
    schedule: Schedule | None = None

    @field_validator("options")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key.lower() in _SECRET_KEYS:
                raise ValueError(
                    f"{key!r} is a secret: put it in .dlt/secrets.toml "
                    "([sources.mixpanel.credentials]) or MP_SECRET, never in pipelines.yaml"
                )
        return value


BUILTIN: dict[str, PipelineSpec] = {
    "events": PipelineSpec(name="events", resources=["events"]),
    "profiles": PipelineSpec(name="profiles", resources=["profiles"]),
}


def pipelines_file() -> Path:
    """``MP_PIPELINES`` or ``./pipelines.yaml``."""
    return Path(os.environ.get("MP_PIPELINES", "pipelines.yaml"))


def load_pipelines(path: Path | None = None) -> dict[str, PipelineSpec]:
    """Built-ins overlaid with the file's pipelines (if the file exists)."""
    path = path or pipelines_file()
    specs = dict(BUILTIN)
    if not path.exists():
        return specs
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PipelineConfigError(f"{where}: not valid YAML: fix the syntax.") from None
    entries = raw.get("pipelines", {}) if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise PipelineConfigError(f"{path}: expected a top-level 'pipelines:' mapping.")
    for name, body in entries.items():
        try:
            specs[str(name)] = PipelineSpec(**{"name": str(name), **(body or {})})
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(p) for p in error["loc"])
            raise PipelineConfigError(f"{path}: pipelines.{name}.{key}: {error['msg']}") from None
        except TypeError:
            raise PipelineConfigError(f"{path}: pipelines.{name} must be a mapping.") from None
    return specs


def get_pipeline(name: str, path: Path | None = None) -> PipelineSpec:
    """One pipeline by name, or a not-found error listing the known names."""
    specs = load_pipelines(path)
    if name not in specs:
        raise PipelineNotFoundError(
            f"No pipeline named {name!r} (known: {', '.join(sorted(specs))}): "
            "define it in pipelines.yaml."
        )
    return specs[name]
