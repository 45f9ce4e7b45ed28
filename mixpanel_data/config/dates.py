"""Days as the user writes them: ``YYYY-MM-DD``, the form Mixpanel's APIs take.

One parser for every date argument (``--from``/``--to``, ``from_date``, ``start_date``, stored
cursors) so each refuses the same strings with the same one-line message, and a day accepted by
one command is accepted by all.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from mixpanel_data.exceptions import InvalidArgumentError

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_day(text: str) -> bool:
    """Whether ``text`` (spaces around it aside) is a real day written ``YYYY-MM-DD``.

    Stricter than ``date.fromisoformat``, which also takes ``20240131`` and ``2024-W05-3``:
    Mixpanel refuses those, so they are refused here, before a request is spent.
    """
    text = text.strip()
    if not _DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_day(value: str | date, name: str) -> date:
    """A ``YYYY-MM-DD`` string or a date (a datetime gives its date); ``name`` is the argument
    the user typed, named in the one-line ``InvalidArgumentError`` (exit 3)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not is_day(str(value)):
        raise InvalidArgumentError(
            f"{name} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31."
        )
    return date.fromisoformat(str(value).strip())
