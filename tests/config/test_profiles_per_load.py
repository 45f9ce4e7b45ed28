"""How many profiles one dlt load commits: small under the hourly Query budget, larger without."""

from __future__ import annotations

import pytest

from mixpanel_data.config.settings import Settings
from mixpanel_data.exceptions import ConfigError


def test_default_follows_the_hourly_budget() -> None:
    assert Settings.from_env({}).profiles_per_load == 25_000  # 60 requests/hour: 25 pages
    unlimited = Settings.from_env({"MP_QUERY_PER_HOUR": "0"})
    assert unlimited.limits.query_per_hour is None
    assert unlimited.profiles_per_load == 100_000


def test_an_explicit_value_wins_under_any_budget() -> None:
    for budget in ("60", "0"):
        env = {"MP_QUERY_PER_HOUR": budget, "MP_LOAD_CHUNK_PROFILES": "5000"}
        assert Settings.from_env(env).profiles_per_load == 5000


@pytest.mark.parametrize("value", ["0", "2.5", "-3"])
def test_a_bad_value_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^MP_LOAD_CHUNK_PROFILES={value} must be a whole"):
        Settings.from_env({"MP_LOAD_CHUNK_PROFILES": value})
