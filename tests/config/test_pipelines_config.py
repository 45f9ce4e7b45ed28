"""pipelines.yaml: built-ins without a file, validation errors that name file, line, key and fix.

Option values are checked as strictly as names, by the same rules that check dlt config
(``SOURCES__MIXPANEL__<NAME>``, ``[sources.mixpanel]`` in ``.dlt/config.toml``).
"""

from __future__ import annotations

import os
from datetime import date

import pytest
import yaml

from mixpanel_data.config.pipelines import SOURCE_OPTIONS, get_pipeline, load_pipelines
from mixpanel_data.config.sources import (
    OPTION_RULES,
    PROMOTE_TYPES,
    check_dlt_settings,
    check_option,
    source_setting,
)
from mixpanel_data.exceptions import ConfigError, PipelineConfigError, PipelineNotFoundError

from ..harsh import utc


def test_builtins_exist_without_a_file(tmp_path):
    specs = load_pipelines(tmp_path / "missing.yaml")
    assert specs["events"].resources == ["events"]
    assert specs["profiles"].resources == ["profiles"]
    assert specs["events"].destination == "duckdb"


def test_file_adds_and_overrides(tmp_path):
    path = tmp_path / "pipelines.yaml"
    path.write_text(
        "pipelines:\n  events:\n    options: {lookback_days: 2}\n"
        "  both:\n    resources: [events, profiles]\n    schedule: {cron: '0 3 * * *'}\n"
    )
    specs = load_pipelines(path)
    assert specs["events"].options == {"lookback_days": 2}
    assert specs["both"].resources == ["events", "profiles"]
    assert specs["both"].schedule is not None and specs["both"].schedule.cron == "0 3 * * *"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pipelines:\n  x:\n    resources: [cohorts]\n", "pipelines.x.resources"),
        ("pipelines:\n  x:\n    options: {secret: abc}\n", "secrets.toml"),
        ("pipelines:\n  x:\n    bogus: 1\n", "pipelines.x.bogus"),
        ("pipelines: [\n", "not valid YAML"),
        ("- a\n- b\n", "top-level 'pipelines:'"),
    ],
    ids=["bad-resource", "secret-refused", "unknown-key", "bad-yaml", "bad-shape"],
)
def test_invalid_files_fail_with_file_and_key(tmp_path, text, message):
    path = tmp_path / "pipelines.yaml"
    path.write_text(text)
    with pytest.raises(PipelineConfigError, match=message) as err:
        load_pipelines(path)
    assert str(path) in str(err.value)
    assert err.value.exit_code == 3


def test_unknown_pipeline_lists_known_names(tmp_path):
    with pytest.raises(PipelineNotFoundError, match="known: events, profiles"):
        get_pipeline("nope", tmp_path / "missing.yaml")


def _mp(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from mixpanel_data.cli.main import main

    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(list(args))
        return code, stdout.getvalue().decode(), stderr.getvalue().decode()


def _with_option(key: str, value: str) -> str:
    """A file whose 6th line sets ``key`` (``options:`` is line 5: the error names the key's)."""
    return (
        "# my pipelines\npipelines:\n  p:\n    resources: [events, profiles]\n    options:\n"
        f"      {key}: {value}\n"
    )


#: (option, YAML value, words of the fix the error must name)
BAD_VALUES = [
    ("lookback_days", "banana", "0 or more"),
    ("lookback_days", "-1", "0 or more"),
    ("lookback_days", "true", "whole days"),
    ("lookback_days", "", "no value given"),
    ("window_days", "0", "1 or more"),
    ("concurrency", "2.5", "1 or more"),
    ("batch_bytes", "1000", "1 MiB"),
    ("profile_page_size", "0", "1 or more"),
    ("profile_concurrency", "four", "1 or more"),
    ("cohort_id", "abc", "mp cohorts"),
    ("start_date", "2024/01/31", "YYYY-MM-DD"),
    ("start_date", "2024-13-01", "YYYY-MM-DD"),
    ("start_date", "2024-01-31 10:00:00", "YYYY-MM-DD"),
    ("legacy_timezone", "maybe", "auto"),
    ("legacy_timezone", "", "auto"),
    ("project_timezone", "Mars/Base", "IANA"),
    ("events", "Purchase", "list of event names"),
    ("events", "[Purchase, 3]", "list of event names"),
    ("where", "''", "Mixpanel expression"),
    ("profiles_where", "{plan: pro}", "engage expression"),
    ("promote", "{amount: decimal}", "text, bigint, double, bool or timestamp"),
    ("promote", "amount", "mapping of property"),
    ("pii", "{remove: [$email]}", "drop, hash or mask"),
    ("pii", "[$email]", "drop, hash or mask"),
    ("pii", "{drop: [$email, 3]}", "property names"),
    ("base_url", "localhost:8080", "http(s)"),
    ("account", "42", "mp auth list"),
]
BAD_IDS = [
    "lookback-text",
    "lookback-negative",
    "lookback-bool",
    "lookback-null",
    "window-zero",
    "concurrency-float",
    "batch-tiny",
    "page-size-zero",
    "profile-concurrency-text",
    "cohort-text",
    "date-slashes",
    "date-impossible",
    "date-with-time",
    "legacy-word",
    "legacy-null",
    "zone-unknown",
    "events-text",
    "events-number",
    "where-empty",
    "profiles-where-mapping",
    "promote-type",
    "promote-text",
    "pii-action",
    "pii-list",
    "pii-number",
    "url-no-scheme",
    "account-number",
]


@pytest.mark.parametrize(("key", "value", "fix"), BAD_VALUES, ids=BAD_IDS)
def test_bad_option_values_name_file_line_key_and_fix(tmp_path, key, value, fix):
    path = tmp_path / "pipelines.yaml"
    path.write_text(_with_option(key, value))
    with pytest.raises(PipelineConfigError) as caught:
        load_pipelines(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:6: pipelines.p.options.{key}: ")
    assert fix in message and caught.value.exit_code == 3


def test_salt_under_pii_says_where_it_goes(tmp_path):
    path = tmp_path / "pipelines.yaml"
    path.write_text(_with_option("pii", "{drop: [$email], salt: pepper}"))
    with pytest.raises(PipelineConfigError) as caught:
        load_pipelines(path)
    assert str(caught.value).startswith(f"{path}:6: pipelines.p.options.pii: ")
    assert "SOURCES__MIXPANEL__PII_SALT" in str(caught.value) and "pepper" not in str(caught.value)


GOOD_OPTIONS = """\
pipelines:
  p:
    options:
      account: work
      project_timezone: Europe/Berlin
      legacy_timezone: false
      start_date: 2024-01-31
      lookback_days: 0
      events: [Purchase, Sign Up]
      where: 'properties["amount"] > 100'
      promote: {amount: double, plan: text}
      window_days: 7
      concurrency: 3
      batch_bytes: 33554432
      profiles_where: 'properties["plan"] == "pro"'
      cohort_id: 1000
      profile_page_size: 500
      profile_concurrency: 2
      pii: {drop: [$email], mask: $city}
      base_url: http://127.0.0.1:8080
  q:
    options: {legacy_timezone: auto, start_date: '2024-02-29', promote: [plan], window_days: null}
"""


def test_every_good_value_loads_as_written(tmp_path):
    path = tmp_path / "pipelines.yaml"
    path.write_text(GOOD_OPTIONS)
    specs = load_pipelines(path)
    written = yaml.safe_load(GOOD_OPTIONS)["pipelines"]
    assert specs["p"].options == written["p"]["options"]
    assert specs["q"].options == written["q"]["options"]
    assert set(specs["p"].options) == SOURCE_OPTIONS  # every option has a good value above


@pytest.mark.parametrize("command", [["pipelines"], ["run", "p"]], ids=["pipelines", "run"])
def test_cli_refuses_a_bad_value_with_one_line(tmp_path, monkeypatch, command):
    path = tmp_path / "pipelines.yaml"
    path.write_text(_with_option("lookback_days", "banana"))
    monkeypatch.setenv("MP_PIPELINES", str(path))
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MP_DEBUG", raising=False)
    code, out, err = _mp(*command)
    assert code == 3 and out == ""
    assert err.strip().splitlines() == [
        f"Error: {path}:6: pipelines.p.options.lookback_days: 'banana' is not a whole number: "
        "use whole days re-read for late data, 0 or more (default 5)"
    ]


def test_rules_match_the_source():
    """The rules name the source's own promote types and defaults (no drift between the two)."""
    from mixpanel_data.sources.mixpanel import settings
    from mixpanel_data.sources.mixpanel.events_arrow import PROMOTE_TYPES as SOURCE_TYPES

    assert tuple(SOURCE_TYPES) == PROMOTE_TYPES
    defaults = {
        "lookback_days": settings.DEFAULT_LOOKBACK_DAYS,
        "concurrency": settings.DEFAULT_CONCURRENCY,
        "batch_bytes": settings.DEFAULT_BATCH_BYTES,
        "profile_page_size": settings.DEFAULT_PROFILE_PAGE_SIZE,
        "profile_concurrency": settings.DEFAULT_PROFILE_CONCURRENCY,
    }
    for name, default in defaults.items():
        assert f"(default {default})" in OPTION_RULES[name].hint
        assert check_option(name, default) == default  # the default passes its own rule


@pytest.fixture
def dlt_here(tmp_path, monkeypatch):
    """dlt reads ``.dlt/`` and ``SOURCES__MIXPANEL__*`` of this test only."""
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    for var in [v for v in os.environ if v.startswith("SOURCES__")]:
        monkeypatch.delenv(var)
    context = Container()[PluggableRunContext]
    previous = context.context.run_dir
    (tmp_path / ".dlt").mkdir()

    def write(toml: str) -> None:
        (tmp_path / ".dlt" / "config.toml").write_text(toml)
        context.reload(str(tmp_path))

    yield write
    context.reload(previous)


BAD_DLT = [
    ("LOOKBACK_DAYS", "banana", "lookback_days = -3", "0 or more"),
    ("EVENTS", "Purchase", 'events = "Purchase"', "list of event names"),
    ("PROMOTE", '{"amount": "decimal"}', 'promote = {amount = "decimal"}', "double"),
    ("LEGACY_TIMEZONE", "maybe", 'legacy_timezone = "maybe"', "auto"),
    ("PROJECT_TIMEZONE", "Mars/Base", 'project_timezone = "Mars/Base"', "IANA"),
    ("PII", '{"remove": ["$email"]}', "pii = {remove = ['$email']}", "drop, hash or mask"),
    ("START_DATE", "31.01.2024", "start_date = 20240131", "YYYY-MM-DD"),
]


@pytest.mark.parametrize(("var", "env", "toml", "fix"), BAD_DLT, ids=[b[0] for b in BAD_DLT])
@pytest.mark.parametrize("place", ["env", "toml"])
def test_dlt_config_values_meet_the_same_rules(dlt_here, monkeypatch, place, var, env, toml, fix):
    if place == "env":
        monkeypatch.setenv(f"SOURCES__MIXPANEL__{var}", env)
        dlt_here("")
    else:
        dlt_here(f"[sources.mixpanel]\n{toml}\n")
    with pytest.raises(ConfigError) as caught:
        check_dlt_settings()
    message = str(caught.value)
    assert message.startswith(f"SOURCES__MIXPANEL__{var} ({var.lower()} in [sources.mixpanel]")
    assert fix in message and caught.value.exit_code == 3
    check_dlt_settings({var.lower(): "given in pipelines.yaml"})  # an explicit value wins


def test_dlt_config_text_values_pass(dlt_here, monkeypatch):
    """What dlt parses from the environment (numbers and JSON as text) passes the rules."""
    values = {
        "LOOKBACK_DAYS": "0",
        "WINDOW_DAYS": "3",
        "EVENTS": '["Purchase"]',
        "PROMOTE": '{"amount": "double"}',
        "PII": '{"drop": ["$email"]}',
        "LEGACY_TIMEZONE": "false",
        "START_DATE": "2024-01-31",
        "COHORT_ID": "1000",
    }
    for var, value in values.items():
        monkeypatch.setenv(f"SOURCES__MIXPANEL__{var}", value)
    dlt_here("[sources.mixpanel]\nproject_timezone = 'Asia/Tokyo'\nstart_date = 2024-01-31\n")
    check_dlt_settings()
    assert source_setting("project_timezone") == "Asia/Tokyo"
    assert source_setting("lookback_days") == 0 and source_setting("events") == ["Purchase"]


def test_project_timezone_from_dlt_is_checked_where_the_runner_reads_it(dlt_here, monkeypatch):
    monkeypatch.setenv("SOURCES__MIXPANEL__PROJECT_TIMEZONE", "Mars/Base")
    dlt_here("")
    with pytest.raises(ConfigError, match=r"SOURCES__MIXPANEL__PROJECT_TIMEZONE.*IANA"):
        source_setting("project_timezone")
    assert source_setting("project_timezone", {"project_timezone": "UTC"}) == "UTC"


def test_a_bad_dlt_setting_stops_the_run_before_any_request(harsh, monkeypatch):
    """``SOURCES__MIXPANEL__LOOKBACK_DAYS=banana`` is named with its fix before anything is
    fetched (dlt would otherwise fail mid-extract with its own exception name)."""
    env = harsh(now=utc(2024, 3, 12, 12), start=date(2024, 3, 1), days=3)
    monkeypatch.setenv("SOURCES__MIXPANEL__LOOKBACK_DAYS", "banana")
    with pytest.raises(ConfigError, match=r"SOURCES__MIXPANEL__LOOKBACK_DAYS.*whole number"):
        env.run(from_date="2024-03-01", to_date="2024-03-02")
    assert env.server.requests.snapshot() == []
