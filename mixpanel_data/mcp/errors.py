"""A tool's failure as one line for the model: what kind, what happened, what to do.

The same table as the CLI's exit codes (``cli/errors.py``), in words, since an MCP client sees
no exit code: ``auth``, ``invalid input``, ``not found``, ``rate limited``, ``error``. The text
is the library's own one-line message (secrets already redacted); anything unexpected keeps only
its type and first line, redacted again, and never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from mixpanel_data.exceptions import MixpanelDataError, library_error, redact

logger = logging.getLogger("mixpanel_data.mcp")

KINDS = {2: "auth", 3: "invalid input", 4: "not found", 5: "rate limited"}
MAX_MESSAGE = 400

F = TypeVar("F", bound=Callable[..., Any])


class ToolFailure(ToolError):
    """An anticipated failure: the SDK answers ``is_error`` with this one line, no traceback."""


def message_for(exc: BaseException) -> str:
    """``kind: message``, one line, secrets removed, at most ``MAX_MESSAGE`` characters."""
    inner = library_error(exc)
    if isinstance(inner, MixpanelDataError):
        text = f"{KINDS.get(inner.exit_code, 'error')}: {inner.message}"
    else:
        first = (str(inner).strip().splitlines() or [""])[0]
        text = f"error: {type(inner).__name__}: {first or 'no message'}"
    text = redact(" ".join(text.split()))
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def arguments_message(exc: ValidationError) -> str:
    """Arguments that do not fit a tool's schema, one line: each field and what it should be."""
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
        for error in exc.errors()
    ]
    text = "invalid input: " + "; ".join(problems)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def one_line_errors(fn: F) -> F:
    """Run ``fn``; any exception leaves as ``ToolFailure`` with ``message_for``'s line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ToolFailure:
            raise
        except Exception as exc:
            message = message_for(exc)
            logger.info("tool %s failed: %s", fn.__name__, message)
            raise ToolFailure(message) from None

    return wrapper  # type: ignore[return-value]
