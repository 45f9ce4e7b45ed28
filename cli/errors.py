"""The one error boundary: exceptions become a one-line message on stderr and an exit code.

Exit codes: 0 success, 1 general error, 2 authentication, 3 invalid arguments or input (Click's
usage errors included), 4 not found, 5 rate limit exhausted, 130 interrupted.
``MP_DEBUG=1`` re-raises so the traceback shows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from mixpanel_data.exceptions import MixpanelDataError, redact

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_AUTH = 2
EXIT_INVALID = 3
EXIT_NOT_FOUND = 4
EXIT_RATE_LIMIT = 5
EXIT_INTERRUPTED = 130


def _classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from Click and from Typer (newer Typer vendors its own Click), where present."""
    import typer

    modules: list[Any] = [typer, click.exceptions]
    try:
        from typer._click import exceptions as vendored

        modules.append(vendored)
    except ImportError:
        pass
    found = {getattr(m, name) for m in modules if isinstance(getattr(m, name, None), type)}
    return tuple(found)


USAGE_ERRORS = _classes("UsageError")
CLICK_ERRORS = _classes("ClickException")
EXITS = _classes("Exit")
ABORTS = _classes("Abort")


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an exception (table in the module docstring)."""
    if isinstance(exc, MixpanelDataError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, USAGE_ERRORS):
        return EXIT_INVALID
    return EXIT_ERROR


def message_for(exc: BaseException) -> str:
    """One line, secrets removed; unknown exceptions keep their type name for bug reports."""
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted."
    if isinstance(exc, USAGE_ERRORS):
        text = exc.format_message()  # type: ignore[attr-defined]
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        return f"{text}{hint}"
    if isinstance(exc, CLICK_ERRORS):
        return str(exc.format_message())  # type: ignore[attr-defined]
    if isinstance(exc, MixpanelDataError):
        return exc.message
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {redact(text)} (set MP_DEBUG=1 for the traceback)"


def guarded(main: Callable[[], Any]) -> int:
    """Run ``main`` and turn whatever escapes into the exit code, printing one line."""
    try:
        main()
        return EXIT_OK
    except EXITS as exc:
        return int(exc.exit_code)  # type: ignore[attr-defined]
    except ABORTS:
        print("Error: aborted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except BaseException as exc:
        if os.environ.get("MP_DEBUG") == "1":
            raise
        print(f"Error: {_unwrap_message(exc)}", file=sys.stderr)
        return exit_code_for(_unwrap(exc))


def _unwrap(exc: BaseException) -> BaseException:
    """dlt wraps source errors in PipelineStepFailed; report the library error inside it."""
    seen = exc
    while not isinstance(seen, MixpanelDataError) and seen.__cause__ is not None:
        seen = seen.__cause__
    inner = getattr(seen, "exception", None)
    if not isinstance(seen, MixpanelDataError) and isinstance(inner, BaseException):
        return _unwrap(inner)
    return seen if isinstance(seen, MixpanelDataError) else exc


def _unwrap_message(exc: BaseException) -> str:
    return message_for(_unwrap(exc))
