"""Global options shared by every command (``--format``, ``--quiet``, ``--account`` ...)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from rich.console import Console


@dataclass
class GlobalOptions:
    """What the root callback parsed; commands read it from ``ctx.obj``."""

    format: str = "json"
    quiet: bool = False
    verbose: bool = False
    account: str | None = None
    project: str | None = None

    @property
    def stderr(self) -> Console:
        return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)

    def status(self, message: str) -> None:
        """A status line on stderr, unless ``--quiet``."""
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @property
    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


OPTIONS = GlobalOptions()
