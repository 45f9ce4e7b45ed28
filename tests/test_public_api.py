"""The names ``mixpanel_data`` promises, and that importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import mixpanel_data
from mixpanel_data import exceptions, live, results

LOCAL_RESULTS = {
    "ColumnInfo",
    "DatabaseInfo",
    "DateRange",
    "FetchResult",
    "PipelineStatus",
    "SqlResult",
    "TableInfo",
    "TableSchema",
}
LIVE_RESULTS = {
    "AggregateResult",
    "Annotation",
    "AnnotationList",
    "Cohort",
    "CohortList",
    "CohortMember",
    "CohortMembers",
    "EventNames",
    "EventProperties",
    "FrequencyPeriod",
    "FrequencyResult",
    "FunnelInfo",
    "FunnelList",
    "FunnelPeriod",
    "FunnelResult",
    "FunnelStep",
    "InsightsPoint",
    "InsightsResult",
    "JQLResult",
    "LiveResult",
    "PropertyCount",
    "PropertyValues",
    "RetentionCohort",
    "RetentionResult",
    "SchemaEntry",
    "SchemaList",
    "SchemaProperty",
    "SegmentationResult",
    "SeriesPoint",
    "TopEvent",
    "TopEvents",
}
EXCEPTIONS = {name for name in exceptions.__all__ if name[0].isupper()}
PUBLIC = {"Workspace"} | EXCEPTIONS | LOCAL_RESULTS | LIVE_RESULTS


def test_all_is_exactly_the_public_names():
    assert set(mixpanel_data.__all__) == PUBLIC
    assert len(mixpanel_data.__all__) == len(PUBLIC)


def test_every_public_name_resolves_to_its_home():
    for name in EXCEPTIONS:
        assert getattr(mixpanel_data, name) is getattr(exceptions, name)
    for name in LOCAL_RESULTS:
        assert getattr(mixpanel_data, name) is getattr(results, name)
    for name in LIVE_RESULTS:
        assert getattr(mixpanel_data, name) is getattr(live, name)


def test_every_exception_is_a_mixpanel_data_error():
    for name in EXCEPTIONS - {"MixpanelDataError"}:
        assert issubclass(getattr(mixpanel_data, name), mixpanel_data.MixpanelDataError)


def test_star_import_and_unknown_names():
    namespace: dict[str, object] = {}
    exec("from mixpanel_data import *", namespace)
    assert set(namespace) >= PUBLIC
    try:
        mixpanel_data.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, mixpanel_data\n"
        "heavy = ('dlt', 'pandas', 'duckdb', 'httpx', 'mixpanel_data.live')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: Import paths the README and SKILL.md document, pinned so a reorganisation cannot move them.
DOCUMENTED = {
    "mixpanel_data": ["Workspace", "live"],
    "mixpanel_data.live": ["live_client", "funnel", "event_names", "DiscoveryCache"],
    "mixpanel_data.sources.mixpanel": [
        "mixpanel_source",
        "mixpanel_funnels",
        "mixpanel_segmentation",
        "mixpanel_retention",
        "mixpanel_insights",
        "mixpanel_lists",
        "REPORT_SOURCES",
    ],
    "mixpanel_data.sources.mixpanel.pii": ["hash_value"],
    "mixpanel_data.config": ["Settings", "Clock", "SystemClock"],
    "mixpanel_data.api": ["MixpanelClient", "ApiLimits", "RetryPolicy", "make_client"],
    "mixpanel_data.standin": ["StandIn", "ProjectSpec", "FakeClock"],
    "mixpanel_data.cli.main": ["run", "main"],
}
WORKSPACE_METHODS = {
    "fetch_events",
    "fetch_profiles",
    "sql",
    "sql_scalar",
    "sql_rows",
    "tables",
    "schema",
    "info",
    "drop",
    "drop_all",
    "verify",
    "events",
    "properties",
    "property_values",
    "segmentation",
    "funnel",
    "retention",
    "frequency",
    "insights",
    "jql",
    "funnels",
    "cohorts",
    "annotations",
    "schemas",
    "clear_cache",
    "close",
    "ephemeral",
    "open",
}


def test_documented_import_paths_hold():
    import importlib
    import inspect

    for module, names in DOCUMENTED.items():
        found = importlib.import_module(module)
        for name in names:
            assert hasattr(found, name), f"{module}.{name}"
    public = {n for n, _ in inspect.getmembers(mixpanel_data.Workspace) if not n.startswith("_")}
    assert public >= WORKSPACE_METHODS
