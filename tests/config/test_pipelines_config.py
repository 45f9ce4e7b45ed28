"""pipelines.yaml: built-ins without a file, validation errors that name file and key."""

from __future__ import annotations

import pytest

from mixpanel_data.exceptions import PipelineConfigError, PipelineNotFoundError
from mixpanel_data.pipelines import get_pipeline, load_pipelines


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
