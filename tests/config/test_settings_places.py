"""Every source setting works from every documented place, checked by a real load.

The README promises that each setting of the Mixpanel source can be given in ``pipelines.yaml``
(a pipeline's ``options``), in ``.dlt/config.toml`` (``[sources.mixpanel]``) or in the
environment (``SOURCES__MIXPANEL__<NAME>``). dlt quietly hands a parameter its default when it
cannot parse the configured value into the parameter's type (``str | bool`` was one such type),
so each setting is given in each place and the load is checked for the setting's effect on the
requests the stand-in saw, the stored rows or the run's state. The ``unset`` column runs the
same check with the setting given nowhere and expects it to fail: no check passes whatever the
code does.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomlkit
import yaml

from mixpanel_data.run.runner import RunSummary

from ..harsh import Harsh, utc

NOW = utc(2024, 3, 12, 12)  # 04:00 on 2024-03-12 in Los Angeles, the project's zone
FIRST = date(2024, 3, 6)  # where most cases start their first load: a week of small days
PIPELINE = "p"  # the pipeline written to pipelines.yaml (dataset mixpanel, as the built-ins)
SLOW = 0.3  # seconds the stand-in holds each request in the concurrency cases


def _run(env: Harsh, **helpers: Any) -> RunSummary:
    """One incremental run of the pipeline; ``helpers`` are explicit options the check needs."""
    return env.run(PIPELINE, options={"start_date": FIRST.isoformat(), **helpers})


def _requests(env: Harsh, family: str) -> list[Any]:
    """The stand-in's records of ``export`` or ``engage`` requests."""
    if family == "engage":
        return env.queries("engage")
    return env.server.requests.filter(family=family)


def _params(env: Harsh, family: str) -> list[dict[str, str]]:
    """Query parameters of every request of ``family`` the stand-in answered."""
    found = _requests(env, family)
    assert found, f"no {family} request was made"
    return [r.params for r in found]


def _peak(env: Harsh, family: str) -> int:
    """The most requests of ``family`` the stand-in held at once.

    Every request is held ``SLOW`` seconds before its first byte, so one that truly overlaps
    another is still in flight half that time after the other started; a request sent right
    after the previous answer (a few microseconds apart in the log) is not counted.
    """
    spans = [(r.started, r.started + r.seconds) for r in _requests(env, family)]
    assert len(spans) > 2, f"too few {family} requests to see concurrency"
    probes = [start + SLOW / 2 for start, _ in spans]
    return max(sum(start <= t < end for start, end in spans) for t in probes)


def _check_project_timezone(env: Harsh, value: str) -> None:
    summary = _run(env)
    assert (summary.timezone, summary.timezone_source) == (value, "setting")


def _check_legacy_timezone(env: Harsh, value: bool) -> None:
    _run(env)
    decision = env.events_state()["export_times"]
    assert (decision["legacy"], decision["decided"]) == (value, "setting")


def _check_lookback_days(env: Harsh, value: int) -> None:
    _run(env)
    cursor = date.fromisoformat(env.events_state()["cursor"])
    env.server.requests.clear()
    _run(env)
    second_start = min(params["from_date"] for params in _params(env, "export"))
    assert second_start == (cursor - timedelta(days=value)).isoformat()


def _check_start_date(env: Harsh, value: date) -> None:
    env.run(PIPELINE)
    assert min(params["from_date"] for params in _params(env, "export")) == value.isoformat()


def _check_events(env: Harsh, value: list[str]) -> None:
    _run(env, legacy_timezone=False)  # too few rows of one event to tell it from the data
    asked = [json.loads(params.get("event", "null")) for params in _params(env, "export")]
    assert all(names == value for names in asked)
    assert env.rows("SELECT DISTINCT event_name FROM mixpanel.events") == [(value[0],)]


def _check_where(env: Harsh, value: str) -> None:
    _run(env, legacy_timezone=False)  # too few matching rows to tell it from the data
    assert {params.get("where") for params in _params(env, "export")} == {value}


def _event_columns(env: Harsh) -> dict[str, str]:
    """Column name -> DuckDB type of the stored events table."""
    return dict(
        env.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'mixpanel' AND table_name = 'events'"
        )
    )


def _check_promote(env: Harsh, value: dict[str, str]) -> None:
    _run(env)
    assert _event_columns(env).get("amount") == "DOUBLE"


def _check_promote_list(env: Harsh, value: list[str]) -> None:
    _run(env)
    assert _event_columns(env).get("plan") == "VARCHAR"


def _window_lengths(env: Harsh) -> dict[str, int]:
    """Export windows by first day: how many days each asked for."""
    return {
        params["from_date"]: (
            date.fromisoformat(params["to_date"]) - date.fromisoformat(params["from_date"])
        ).days
        + 1
        for params in _params(env, "export")
    }


def _check_window_days(env: Harsh, value: int) -> None:
    _run(env)
    lengths = _window_lengths(env)
    assert lengths[FIRST.isoformat()] == value and max(lengths.values()) == value


def _check_concurrency(env: Harsh, value: int) -> None:
    env.server.add_fault("slow_first_byte", family="export", times=-1, delay=SLOW)
    _run(env, window_days=1)
    assert _peak(env, "export") == value


def _check_profiles_where(env: Harsh, value: str) -> None:
    _run(env)
    assert all(value in params.get("where", "") for params in _params(env, "engage"))


def _check_cohort_id(env: Harsh, value: int) -> None:
    _run(env)
    asked = [json.loads(params.get("filter_by_cohort", "{}")) for params in _params(env, "engage")]
    assert {cohort.get("id") for cohort in asked} == {value}


def _check_profile_page_size(env: Harsh, value: int) -> None:
    _run(env)
    assert {params.get("page_size") for params in _params(env, "engage")} == {str(value)}


def _check_profile_concurrency(env: Harsh, value: int) -> None:
    env.server.add_fault("slow_first_byte", family="engage", times=-1, delay=SLOW)
    _run(env, profile_page_size=10)  # 60 profiles: page 0, then 5 pages at once if allowed
    assert _peak(env, "engage") == value


def _check_pii(env: Harsh, value: dict[str, list[str]]) -> None:
    _run(env)
    [(rows, with_property)] = env.rows(
        "SELECT count(*), count(*) FILTER (WHERE list_contains(json_keys(properties), ?)) "
        "FROM mixpanel.events",
        value["drop"][0],
    )
    assert rows > 0 and with_property == 0


@dataclass(frozen=True)
class Case:
    """A setting's value (not its default) and the check that sees it in a load.

    ``setting`` is the option's name when the case's id is not (a second form of one option).
    """

    value: Any
    check: Callable[[Harsh, Any], None]
    resources: tuple[str, ...] = ("events",)
    setting: str | None = None


CASES: dict[str, Case] = {
    "project_timezone": Case("Asia/Tokyo", _check_project_timezone),
    "legacy_timezone": Case(False, _check_legacy_timezone),
    "legacy_timezone-true": Case(True, _check_legacy_timezone, setting="legacy_timezone"),
    "lookback_days": Case(2, _check_lookback_days),
    "start_date": Case(date(2024, 3, 8), _check_start_date),
    "events": Case(["Purchase"], _check_events),
    "where": Case('properties["amount"] > 100', _check_where),
    "promote": Case({"amount": "double"}, _check_promote),
    "promote-list": Case(["plan"], _check_promote_list, setting="promote"),
    "window_days": Case(3, _check_window_days),
    "concurrency": Case(1, _check_concurrency),
    "profiles_where": Case('properties["logins"] > 100', _check_profiles_where, ("profiles",)),
    "cohort_id": Case(1000, _check_cohort_id, ("profiles",)),
    "profile_page_size": Case(25, _check_profile_page_size, ("profiles",)),
    "profile_concurrency": Case(1, _check_profile_concurrency, ("profiles",)),
    "pii": Case({"drop": ["$browser"]}, _check_pii),
}
PLACES = ("env", "toml", "yaml", "unset")


#: Known not to work, each with why (strict: the day it works, the mark must go).
def _cases() -> Iterator[Any]:
    """Every case in every place."""
    for case in CASES:
        for place in PLACES:
            yield pytest.param(case, place, id=f"{case}-{place}")


def _env_text(value: Any) -> str:
    """How a person writes ``value`` in a ``SOURCES__MIXPANEL__<NAME>`` variable."""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value)


@pytest.fixture
def dlt_reload(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Make dlt read ``.dlt/`` here as it is now (it reads the first run dir's, once).

    Restores dlt's previous run dir afterwards, so no other test sees this one's settings.
    """
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    context = Container()[PluggableRunContext]
    previous = context.context.run_dir
    yield lambda: context.reload(str(tmp_path))
    shutil.rmtree(tmp_path / ".dlt", ignore_errors=True)
    context.reload(previous)


def _place(place: str, name: str, case: Case, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Write the pipeline, and setting ``name`` in ``place`` (nowhere for ``unset``)."""
    for var in [v for v in os.environ if v.startswith("SOURCES__MIXPANEL__")]:
        monkeypatch.delenv(var)
    options = {name: case.value} if place == "yaml" else {}
    pipeline = {"resources": list(case.resources), "options": options}
    (root / "pipelines.yaml").write_text(yaml.safe_dump({"pipelines": {PIPELINE: pipeline}}))
    if place == "env":
        monkeypatch.setenv(f"SOURCES__MIXPANEL__{name.upper()}", _env_text(case.value))
    if place == "toml":
        (root / ".dlt").mkdir(exist_ok=True)
        text = tomlkit.dumps({"sources": {"mixpanel": {name: case.value}}})
        (root / ".dlt" / "config.toml").write_text(text)


@pytest.mark.parametrize(("name", "place"), list(_cases()))
def test_setting_works_from_every_place(
    harsh: Callable[..., Harsh],
    tmp_path: Path,
    dlt_reload: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    place: str,
) -> None:
    env = harsh(now=NOW, start=date(2024, 3, 1), days=12)
    case = CASES[name]
    assert env.settings.pipelines_file == tmp_path / "pipelines.yaml"
    _place(place, case.setting or name, case, tmp_path, monkeypatch)
    dlt_reload()
    if place == "unset":
        with pytest.raises(AssertionError):
            case.check(env, case.value)
    else:
        case.check(env, case.value)
