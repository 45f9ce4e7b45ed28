"""``Settings``: every knob of the library in one frozen object, read once at the edge.

The CLI, the ``Workspace`` and the scheduler build one with ``Settings.from_env()`` (arguments
win over ``MP_*`` variables, which win over the defaults) and pass it down; the library never
reads a path or a limit from the environment on its own, and never writes one. Two settings
objects live side by side in one process, so two ``Workspace``s with different data
directories can load at the same time from two threads.

dlt's own settings (source options such as ``SOURCES__MIXPANEL__LOOKBACK_DAYS``, destination
credentials) stay with dlt's config providers, which resolve them for the pipeline at hand.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixpanel_data.config.clock import SYSTEM_CLOCK, Clock
from mixpanel_data.config.limits import LOAD_MAX_WAIT, ApiLimits
from mixpanel_data.exceptions import ConfigError

DATABASE_NAME = "mixpanel_data.duckdb"
DEFAULT_DUCKDB_MEMORY_LIMIT = "512MB"
"""DuckDB's default is 80% of RAM; beyond this a load spills to disk (MP_DUCKDB_MEMORY_LIMIT).

DuckDB fills its buffer pool up to the limit during a big merge, so the limit sets the load's
peak memory: measured at 5M events, 1GB gave a 1.5 GB process peak and 512MB a 1.0 GB one, for
4 s more (of 64 s) spent spilling the dedupe; at 1M the two ran equally fast."""
DUCKDB_COMPRESSIONS = ("zstd", "auto", "uncompressed")
"""How the embedded DuckDB compresses the ``properties`` JSON column (see ``duckdb_tables``)."""

#: ``MP_*`` variable -> what it sets (the README's Environment table lists each).
ENV_VARS = {
    "MP_DATA_DIR": "data_dir",
    "MP_CONFIG_PATH": "config_path",
    "MP_PIPELINES": "pipelines_file",
    "MP_TRACKING_PLAN": "tracking_plan",
    "MP_BASE_URL": "base_url",
    "MP_DUCKDB_MEMORY_LIMIT": "duckdb_memory_limit",
    "MP_DUCKDB_COMPRESSION": "duckdb_compression",
    "MP_QUERY_CONCURRENT": "limits.query_concurrent",
    "MP_QUERY_PER_HOUR": "limits.query_per_hour",
    "MP_MAX_WAIT": "max_wait",
    "MP_LOAD_CHUNK_MB": "load_chunk_mb",
    "MP_LOAD_CHUNK_PROFILES": "load_chunk_profiles",
    "MP_LOCK_WAIT": "lock_wait",
}


def _home() -> Path:
    return Path.home() / ".mp"


@dataclass(frozen=True)
class Settings:
    """Where local state lives, how the embedded DuckDB loads, the API budgets and the clock."""

    data_dir: Path = field(default_factory=lambda: _home() / "data")
    config_path: Path = field(default_factory=lambda: _home() / "config.toml")
    pipelines_file: Path = Path("pipelines.yaml")
    tracking_plan: Path = Path("tracking_plan.yaml")
    base_url: str | None = None
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    duckdb_compression: str = "zstd"
    limits: ApiLimits = field(default_factory=ApiLimits)
    max_wait: float | None = None
    """``MP_MAX_WAIT``: the longest single wait for a budget, loads and live queries alike.
    Unset, a live query waits at most a minute and a load up to an hour (``for_loads``)."""
    load_chunk_mb: float = 1024.0
    """Export megabytes (decompressed) committed per dlt load of a long events run: a kill or a
    failure loses at most this much download; the rerun continues after the last commit."""
    load_chunk_profiles: int | None = None
    """Profiles committed per dlt load of a profiles run (whole engage parts, at least one);
    None: ``profiles_per_load``."""
    lock_wait: float = 30.0
    """``MP_LOCK_WAIT``: seconds a reader (``mp sql``, ``mp info``, ...) waits for a load that
    is writing the database before it gives up with exit 6 (``local.dblock``)."""
    clock: Clock = field(default=SYSTEM_CLOCK, compare=False)

    def __post_init__(self) -> None:
        for name in ("data_dir", "config_path", "pipelines_file", "tracking_plan"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())
        if "%" in str(self.data_dir):
            raise ConfigError(
                f"MP_DATA_DIR {str(self.data_dir)!r} contains '%', which dlt's file writer "
                "cannot use in a path: choose a directory without '%'."
            )
        compression = self.duckdb_compression.strip().lower() or "zstd"
        if compression not in DUCKDB_COMPRESSIONS:
            raise ConfigError(
                f"MP_DUCKDB_COMPRESSION={self.duckdb_compression!r} is not one of "
                f"{', '.join(DUCKDB_COMPRESSIONS)}: use zstd (the default) or auto "
                "(DuckDB's own choice)."
            )
        object.__setattr__(self, "duckdb_compression", compression)
        self._check_chunks()
        if self.max_wait is not None:
            if self.max_wait < 0:
                raise ConfigError(f"max_wait {self.max_wait} is negative: use 0 or more seconds.")
            limits = dataclasses.replace(self.limits, max_wait=float(self.max_wait))
            object.__setattr__(self, "limits", limits)
        if self.base_url is not None and not self.base_url.strip():
            object.__setattr__(self, "base_url", None)

    def _check_chunks(self) -> None:
        mb = float(self.load_chunk_mb)
        if not mb > 0:
            raise ConfigError(f"MP_LOAD_CHUNK_MB={self.load_chunk_mb!r} must be more than 0.")
        object.__setattr__(self, "load_chunk_mb", mb)
        if self.load_chunk_profiles is None:
            return
        given = float(self.load_chunk_profiles)
        if given < 1 or not given.is_integer():
            shown = int(given) if given.is_integer() else given
            raise ConfigError(f"MP_LOAD_CHUNK_PROFILES={shown} must be a whole number, 1 or more.")
        object.__setattr__(self, "load_chunk_profiles", int(given))

    @property
    def profiles_per_load(self) -> int:
        """``load_chunk_profiles``, or by default what a kill may cost to fetch again.

        Under Mixpanel's hourly Query budget (60 requests, engage included; engage pages of
        1,000: ../shared/mixpanel-api digest §5 and the engage section) 25,000 profiles are 25
        pages, about 25 minutes of budget, so a chunk stays that small. Without an hourly budget
        (``MP_QUERY_PER_HOUR=0``) pages cost seconds, and each dlt load costs ~0.35 CPU-s of
        fixed work: 100,000 per load took 1M profiles from 37.5 to 27.3 CPU-s and peak RSS
        from 583 to 532 MB on a quiet machine (benchmarks/README.md, Profiles).
        """
        if self.load_chunk_profiles is not None:
            return self.load_chunk_profiles
        return 25_000 if self.limits.query_per_hour is not None else 100_000

    @property
    def load_chunk_bytes(self) -> int:
        """``load_chunk_mb`` in bytes."""
        return max(1, int(self.load_chunk_mb * 2**20))

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``MP_*`` variables, then ``overrides`` (arguments win)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        limits: dict[str, Any] = {}
        for var, target in ENV_VARS.items():
            raw = env.get(var, "").strip()
            if not raw:
                continue
            if target.startswith("limits."):
                limits[target.removeprefix("limits.")] = _limit(var, raw)
            elif target in ("max_wait", "lock_wait"):
                values[target] = _limit(var, raw)
            elif target.startswith("load_chunk"):
                values[target] = _number(var, raw)
            else:
                values[target] = raw
        if limits:
            values["limits"] = ApiLimits(**limits)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def for_loads(self) -> Settings:
        """These settings for a load: budget waits of up to an hour unless ``max_wait`` says.

        A load that outruns Mixpanel's hourly budget waits for it by default (the progress bar
        says so), where a live query gives up after a minute.
        """
        if self.max_wait is not None:
            return self
        return self.with_(limits=dataclasses.replace(self.limits, max_wait=LOAD_MAX_WAIT))

    # -- derived paths ---------------------------------------------------------------------------

    @property
    def database_path(self) -> Path:
        """The embedded DuckDB file."""
        return self.data_dir / DATABASE_NAME

    @property
    def pipelines_dir(self) -> Path:
        """dlt's working directory (state, pending load packages), kept beside the database."""
        return self.data_dir / "pipelines"

    @property
    def schedule_dir(self) -> Path:
        """Run locks and the scheduler's history."""
        return self.data_dir / "schedule"

    def duckdb_config(self) -> dict[str, str | bool]:
        """Settings of the embedded DuckDB while dlt loads (its memory limit)."""
        return {"memory_limit": self.duckdb_memory_limit, "preserve_insertion_order": False}


def _limit(var: str, raw: str) -> int | float | None:
    """A whole number of requests (``0`` = no limit), or seconds for the ``*_WAIT`` settings."""
    if var in ("MP_MAX_WAIT", "MP_LOCK_WAIT"):
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if seconds < 0:
            raise ConfigError(f"{var}={raw!r} is not a number of seconds: set e.g. 600 (0: never).")
        return seconds
    if not raw.isdigit():
        raise ConfigError(f"{var}={raw!r} is not a whole number: set it to e.g. 60 (0 = off).")
    return int(raw) or None


def _number(var: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a number: set e.g. 1024.") from None
