"""The one error boundary: an exception becomes one line on stderr and a documented exit code.

The mapping is the table ``RULES`` (first match wins; it has a unit test):

    exception                                   exit  message
    KeyboardInterrupt, click/typer Abort         130  "Interrupted."
    click/typer UsageError (Typer's vendored)      3  Click's message + "see `mp CMD --help`"
    MixpanelDataError                           .exit_code  its message (secrets redacted)
                                                    (2 auth, 3 input, 4 not found, 5 rate limit,
                                                     6 database busy: try again)
    other click/typer ClickException               1  Click's message
    BrokenPipeError (``mp sql ... | head``)        0  nothing
    OSError on a path (read-only data dir)         3  "Cannot use PATH: reason. ..." (else 1)
    anything else                                  1  "Type: text (set MP_DEBUG=1 ...)"

``MP_DEBUG=1`` re-raises so the traceback shows. dlt wraps errors raised inside a source in
``PipelineStepFailed``; the boundary reports the library error inside.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from mixpanel_data.exceptions import MixpanelDataError, redact

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_AUTH = 2
EXIT_INVALID = 3
EXIT_NOT_FOUND = 4
EXIT_RATE_LIMIT = 5
EXIT_BUSY = 6
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


def _usage_message(exc: BaseException) -> str:
    text = exc.format_message()  # type: ignore[attr-defined]
    if not text.strip():  # no arguments at all: the help was already printed
        return ""
    if type(exc).__name__ == "NoArgsIsHelpError":  # plain Click help: the message is the help
        print(text, file=sys.stderr, flush=True)
        return ""
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    return f"{text}{hint}"


def _unknown_message(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {redact(text)} (set MP_DEBUG=1 for the traceback)"


#: A path the user chose cannot be used (a read-only or misplaced data dir): fix the setting.
_PATH_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


def _os_exit(exc: BaseException) -> int:
    path_problem = getattr(exc, "filename", None) and getattr(exc, "errno", None) in _PATH_ERRNOS
    return EXIT_INVALID if path_problem else EXIT_ERROR


def _os_message(exc: BaseException) -> str:
    """``Cannot write /x: Read-only file system ...``, not ``PermissionError: [Errno 30] ...``."""
    filename = getattr(exc, "filename", None)
    reason = getattr(exc, "strerror", None)
    if not filename or not reason:
        return _unknown_message(exc)
    return redact(
        f"Cannot use {filename}: {reason}. Check the path and its permissions, or point "
        "MP_DATA_DIR at a writable directory."
    )


@dataclass(frozen=True)
class Rule:
    """Exceptions of ``kinds`` exit with ``code`` (a number, or read from the exception)."""

    kinds: tuple[type[BaseException], ...]
    code: int | Callable[[BaseException], int]
    message: Callable[[BaseException], str]

    def exit_code(self, exc: BaseException) -> int:
        return self.code if isinstance(self.code, int) else self.code(exc)


RULES: tuple[Rule, ...] = (
    Rule((KeyboardInterrupt, *ABORTS), EXIT_INTERRUPTED, lambda e: "Interrupted."),
    Rule(USAGE_ERRORS, EXIT_INVALID, _usage_message),
    Rule((MixpanelDataError,), lambda e: e.exit_code, lambda e: e.message),  # type: ignore[attr-defined]
    Rule(CLICK_ERRORS, EXIT_ERROR, lambda e: str(e.format_message())),  # type: ignore[attr-defined]
    Rule((BrokenPipeError,), EXIT_OK, lambda e: ""),
    Rule((OSError,), lambda e: _os_exit(e), lambda e: _os_message(e)),
    Rule((BaseException,), EXIT_ERROR, _unknown_message),
)


def rule_for(exc: BaseException) -> Rule:
    """The first rule whose kinds match ``exc`` (the last rule matches everything)."""
    return next(rule for rule in RULES if isinstance(exc, rule.kinds))


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an exception (after unwrapping dlt's wrappers)."""
    inner = _unwrap(exc)
    return rule_for(inner).exit_code(inner)


def message_for(exc: BaseException) -> str:
    """One line, secrets removed; unknown exceptions keep their type name for bug reports."""
    inner = _unwrap(exc)
    return rule_for(inner).message(inner)


def guarded(main: Callable[[], Any]) -> int:
    """Run ``main`` and turn whatever escapes into the exit code, printing one line.

    Typer returns an exit code instead of raising in two cases: an explicit ``Exit`` (``--help``
    is 0) and Ctrl+C, which it turns into ``Exit(130)`` itself.
    """
    try:
        result = main()
        if isinstance(result, int) and not isinstance(result, bool):
            if result == EXIT_INTERRUPTED:
                print("Error: Interrupted.", file=sys.stderr, flush=True)
            return result
        return EXIT_OK
    except EXITS as exc:
        return int(exc.exit_code)  # type: ignore[attr-defined]
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except BaseException as exc:  # the one boundary: everything becomes one line and an exit code
        if os.environ.get("MP_DEBUG") == "1":
            raise
        if isinstance(exc, BrokenPipeError):
            _silence_stdout()
        message = message_for(exc)
        if message:
            print(f"Error: {message}", file=sys.stderr, flush=True)
        return exit_code_for(exc)


def _silence_stdout() -> None:
    """The reader went away: point stdout at /dev/null so the exit flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _unwrap(exc: BaseException) -> BaseException:
    """dlt wraps source errors in PipelineStepFailed; report the library error inside it."""
    from mixpanel_data.exceptions import MixpanelDataError, library_error

    inner = library_error(exc)
    if not isinstance(inner, MixpanelDataError) and "dlt" in sys.modules:
        from mixpanel_data.destinations.extras import explain

        return explain(exc) or inner  # a missing extra or destination setting: one line
    return inner
