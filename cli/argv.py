"""Global options work after the command too: ``mp sql "..." -f csv`` = ``mp -f csv sql "..."``.

Click only parses an option at the level that declares it. People and agents naturally put
``--format csv`` or ``-q`` at the end, so before parsing, a global option found after the
command is moved in front of it, unless that command declares the same option itself (then
it is the command's). Everything after ``--`` is left alone.
"""

from __future__ import annotations

from typing import Any

#: Global option -> how many values it takes.
GLOBAL_OPTIONS: dict[str, int] = {
    "--format": 1,
    "-f": 1,
    "--account": 1,
    "-a": 1,
    "--project": 1,
    "-p": 1,
    "--workspace": 1,
    "--quiet": 0,
    "-q": 0,
    "--verbose": 0,
    "-v": 0,
}


def hoist_global_options(args: list[str], root: Any) -> list[str]:
    """``args`` with global options after the command moved before it."""
    head, i = _leading_globals(args)
    command, path = root, []
    while i < len(args) and hasattr(command, "commands") and args[i] in command.commands:
        command = command.commands[args[i]]
        path.append(args[i])
        i += 1
    if not path:
        return list(args)
    own = _options(command)
    hoisted, rest = _split(args[i:], own)
    return [*head, *hoisted, *path, *rest]


def _leading_globals(args: list[str]) -> tuple[list[str], int]:
    i = 0
    while i < len(args) and _name(args[i]) in GLOBAL_OPTIONS:
        i += 1 + (GLOBAL_OPTIONS[_name(args[i])] if "=" not in args[i] else 0)
    return list(args[:i]), i


def _split(tokens: list[str], own: dict[str, int]) -> tuple[list[str], list[str]]:
    hoisted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        token, name = tokens[i], _name(tokens[i])
        if token == "--":
            rest += tokens[i:]
            break
        width = 1 + (0 if "=" in token else own.get(name, GLOBAL_OPTIONS.get(name, 0)))
        target = hoisted if name in GLOBAL_OPTIONS and name not in own else rest
        target += tokens[i : i + width]
        i += width
    return hoisted, rest


def _name(token: str) -> str:
    return token.split("=", 1)[0] if token.startswith("--") else token


def _options(command: Any) -> dict[str, int]:
    """The command's own option names -> how many values each takes."""
    out: dict[str, int] = {}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") != "option":
            continue
        width = 0 if getattr(param, "is_flag", False) or getattr(param, "count", False) else 1
        for name in [*param.opts, *getattr(param, "secondary_opts", [])]:
            out[name] = width
    return out
