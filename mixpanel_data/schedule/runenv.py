"""What an exported schedule needs to run the same ``mp`` against the same data as its exporter.

cron and systemd start a job with a minimal environment: a ``PATH`` without the user's venv, no
``MP_*`` variable, and (systemd) a ``HOME`` that may be another user's. So every export names:

- the absolute path of the ``mp`` that exported (``sys.argv[0]`` when it is the ``mp`` or
  ``mixpanel-data`` script, else the one beside the running Python), or ``VENV/bin/mp``;
- every path setting, absolute (``MP_DATA_DIR``, ``MP_PIPELINES``, ``MP_CONFIG_PATH``), and each
  other ``MP_*`` setting that differs from its default, read from the exporter's ``Settings``;
- an environment file for the secrets, whose path the unit carries and whose variable names the
  file lists as comments. Secret values are never written by the export.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mixpanel_data.config.pipelines import PipelineSpec
from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import InvalidArgumentError

ENV_FILENAME = "mixpanel-data.env"
SCRIPT_NAMES = ("mp", "mixpanel-data")
#: Mixpanel credentials read from the environment (mixpanel_data.config.resolve), in file order.
CREDENTIAL_VARS = {
    "MP_USERNAME": "service account user name",
    "MP_SECRET": "service account secret (or a legacy project API secret)",
    "MP_PROJECT_ID": "project id",
    "MP_WORKSPACE_ID": "workspace (Data View) id, if you use one",
    "MP_REGION": "us, eu or in (default us)",
}


@dataclass(frozen=True)
class RunContext:
    """The command, directory and environment of one exported ``mp run``."""

    mp: Path
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    """Non-secret ``MP_*`` settings, written into the unit itself."""
    env_file: Path | None = None
    """The secrets file the unit reads (cron: sourced; systemd: ``EnvironmentFile=``)."""
    global_args: tuple[str, ...] = ()
    """``--account``/``--project`` given to the export, repeated on each run."""

    def argv(self, pipeline: str) -> list[str]:
        """The command that runs ``pipeline``."""
        return [str(self.mp), "--quiet", *self.global_args, "run", pipeline]

    def command(self, pipeline: str) -> str:
        """``argv`` as one shell-quoted line."""
        return shlex.join(self.argv(pipeline))


def find_mp(venv: Path | None, argv0: str, executable: str) -> Path:
    """The ``mp`` to schedule: ``VENV/bin/mp`` when given, else the one running this export.

    ``argv0`` and ``executable`` are ``sys.argv[0]`` and ``sys.executable`` (passed in, so a
    test can name them): an installed script is run by path, so ``argv0`` is the script itself;
    under ``python -m`` or a test runner, the ``mp`` beside the interpreter is the one.
    """
    if venv is not None:
        candidate = venv.expanduser().absolute() / "bin" / "mp"
        if not _runnable(candidate):
            raise InvalidArgumentError(
                f"--venv {venv}: no executable {candidate}: give the virtualenv that has "
                "mixpanel-data installed (pip install . inside it)."
            )
        return candidate
    script = Path(argv0)
    if script.name in SCRIPT_NAMES and _runnable(script):
        return script.absolute()
    beside = Path(executable).absolute().parent / "mp"
    if _runnable(beside):
        return beside
    raise InvalidArgumentError(
        "Cannot tell which mp to schedule (this one runs as "
        f"{argv0!r}): pass --venv PATH, the virtualenv that has mixpanel-data installed."
    )


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``MP_*`` variables that make a run see ``settings``: paths always, absolute; the
    rest only when they differ from the defaults. Refuses a base URL with a password in it."""
    default = Settings()
    env = {"MP_DATA_DIR": str(settings.data_dir.absolute())}
    if settings.pipelines_file.exists():  # else the built-ins, which have no schedule
        env["MP_PIPELINES"] = str(settings.pipelines_file.absolute())
    env["MP_CONFIG_PATH"] = str(settings.config_path.absolute())
    if settings.base_url:
        if urlsplit(settings.base_url).password or "@" in urlsplit(settings.base_url).netloc:
            raise InvalidArgumentError(
                "MP_BASE_URL holds credentials: a schedule would carry them in clear; give the "
                "proxy its credentials another way."
            )
        env["MP_BASE_URL"] = settings.base_url
    plain = {
        "MP_DUCKDB_MEMORY_LIMIT": (settings.duckdb_memory_limit, default.duckdb_memory_limit),
        "MP_DUCKDB_COMPRESSION": (settings.duckdb_compression, default.duckdb_compression),
        "MP_QUERY_CONCURRENT": (settings.limits.query_concurrent, default.limits.query_concurrent),
        "MP_QUERY_PER_HOUR": (settings.limits.query_per_hour, default.limits.query_per_hour),
        "MP_MAX_WAIT": (settings.max_wait, default.max_wait),
        "MP_LOAD_CHUNK_MB": (settings.load_chunk_mb, default.load_chunk_mb),
        "MP_LOAD_CHUNK_PROFILES": (settings.load_chunk_profiles, default.load_chunk_profiles),
    }
    for name, (value, usual) in plain.items():
        if value != usual:
            env[name] = "0" if value is None else _text(value)  # None budgets mean "no limit"
    return env


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def secret_names(specs: list[PipelineSpec]) -> dict[str, str]:
    """Every secret variable the scheduled runs may read, with what it is for."""
    names = dict(CREDENTIAL_VARS)
    for spec in specs:
        if spec.destination not in ("duckdb", "filesystem"):
            key = f"DESTINATION__{spec.destination.upper()}__CREDENTIALS"
            names.setdefault(key, f"{spec.destination} credentials (pipeline {spec.name})")
        if spec.destination == "filesystem":
            names.setdefault(
                "DESTINATION__FILESYSTEM__BUCKET_URL", f"where pipeline {spec.name} writes"
            )
        if "hash" in (spec.options.get("pii") or {}):
            names.setdefault("SOURCES__MIXPANEL__PII_SALT", f"pii hash salt ({spec.name})")
    return names


def env_file_template(specs: list[PipelineSpec], workdir: Path) -> str:
    """A secrets file holding only commented variable names: fill in what your runs use."""
    lines = [
        "# Secrets of the scheduled mixpanel-data runs (written by mp schedule export, never",
        "# with values). Read by cron (`set -a; . FILE`) and systemd (EnvironmentFile=): one",
        "# KEY=value per line, no spaces around =, a value holding spaces, # or $ in single",
        "# quotes, no comment after a value. Keep it mode 0600.",
        "# A variable set here overrides the unit's own. Credentials may instead come from",
        f"# {workdir / '.dlt' / 'secrets.toml'} or an account in MP_CONFIG_PATH.",
    ]
    for name, what in secret_names(specs).items():
        lines += [f"# {what}:", f"#{name}="]
    return "\n".join(lines) + "\n"


def write_env_file(path: Path, specs: list[PipelineSpec], workdir: Path) -> bool:
    """Create ``path`` (mode 0600) from the template unless it exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(env_file_template(specs, workdir))
    return True
