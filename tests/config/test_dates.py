"""One day parser for every date argument: the same strings refused with the same message."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mixpanel_data.config.dates import is_day, parse_day
from mixpanel_data.exceptions import InvalidArgumentError

GOOD = [
    ("2024-01-31", date(2024, 1, 31)),
    (" 2024-02-29 ", date(2024, 2, 29)),
    (date(2024, 3, 1), date(2024, 3, 1)),
    (datetime(2024, 3, 1, 23, 59), date(2024, 3, 1)),
]
#: ``20240131`` and the week form passed ``date.fromisoformat`` (so ``--from``) but not the live
#: queries' check: both are refused everywhere now, as Mixpanel refuses them.
BAD = [
    "20240131",
    "2024-W05-3",
    "2024-13-01",
    "2023-02-29",
    "2024/01/31",
    "March",
    "",
    "２０２４-01-31",
]


@pytest.mark.parametrize(("value", "day"), GOOD, ids=["text", "spaces", "date", "datetime"])
def test_a_day_is_read(value: str | date, day: date):
    assert parse_day(value, "--from") == day


@pytest.mark.parametrize("value", BAD, ids=BAD)
def test_anything_else_is_one_line_naming_the_argument_and_the_form(value: str):
    with pytest.raises(InvalidArgumentError) as caught:
        parse_day(value, "from_date")
    assert (
        str(caught.value) == f"from_date {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31."
    )
    assert caught.value.exit_code == 3
    assert not is_day(value)
