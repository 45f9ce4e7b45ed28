"""Global options shared by every command (``--format``, ``--quiet``, ``--account`` ...).

The root callback fills ``OPTIONS``; commands read it. Data goes to stdout, everything meant
for a person (status, progress, prompts, logs) to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from mixpanel_data.config.settings import Settings


@dataclass
class GlobalOptions:
    """What the root callback parsed."""

    format: str = "json"
    quiet: bool = False
    verbose: bool = False
    account: str | None = None
    project: str | None = None
    workspace: str | None = None
    given_settings: Settings | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The library's settings, read once per command from ``MP_*`` (or given to ``main``)."""
        if self._settings is None:
            from mixpanel_data.config.settings import Settings

            self._settings = self.given_settings or Settings.from_env()
        return self._settings

    def reset(self) -> None:
        """Forget the settings read for the previous command (``main`` runs many in tests)."""
        self._settings = None

    @property
    def stderr(self) -> Console:
        """A rich console on stderr (no colour with ``NO_COLOR``), for progress bars."""
        from rich.console import Console

        return Console(stderr=True, no_color=no_color(), highlight=False)

    def status(self, message: str) -> None:
        """A status line on stderr, unless ``--quiet``."""
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def waiting(self, label: str, seconds: float) -> None:
        """A budget wait is starting: say so on stderr (``on_wait`` of the API client)."""
        from mixpanel_data.api.limiter import duration_text

        self.status(f"waiting {duration_text(seconds)} for Mixpanel's {label}")

    def detail(self, message: str) -> None:
        """A line on stderr only with ``--verbose``."""
        if self.verbose and not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @property
    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    def show_notices(self) -> Callable[[], None]:
        """Show the library's ``LegacySecretWarning`` once per command as a stderr line.

        It is a ``DeprecationWarning``, which Python hides by default; here it becomes
        ``warning: ...`` (``--quiet`` silences it), however many clients the command builds.
        Other warnings keep Python's handling. Returns the function that undoes it.
        """
        from mixpanel_data.config.credentials import LegacySecretWarning

        catcher = warnings.catch_warnings()
        catcher.__enter__()
        shown: set[str] = set()
        python_show = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if not issubclass(category, LegacySecretWarning):
                python_show(message, category, filename, lineno, file, line)
            elif str(message) not in shown:
                shown.add(str(message))
                self.status(f"warning: {message}")

        warnings.showwarning = show
        warnings.simplefilter("always", LegacySecretWarning)
        return lambda: catcher.__exit__(None, None, None)

    def configure_logging(self) -> Callable[[], None]:
        """``--verbose``: the library's INFO logs (retries, waits) on stderr.

        Returns the function that undoes it, so an in-process run (tests, notebooks) leaves
        the logging setup as it found it.
        """
        logger = logging.getLogger("mixpanel_data")
        if not self.verbose or self.quiet:
            return lambda: None
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

        def restore() -> None:
            logger.removeHandler(handler)
            logger.setLevel(level)

        return restore


def no_color() -> bool:
    """https://no-color.org: any non-empty ``NO_COLOR`` turns colour off."""
    return bool(os.environ.get("NO_COLOR"))


def interactive() -> bool:
    """Whether a person can answer a prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


OPTIONS = GlobalOptions()
