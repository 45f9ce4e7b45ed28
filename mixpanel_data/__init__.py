"""mixpanel-data: Mixpanel analytics data, loaded once with dlt, asked with SQL.

    from mixpanel_data import Workspace

The public names are ``__all__`` (a test holds them): the ``Workspace`` facade, every exception,
and the result types. This module imports nothing heavy (no dlt, pandas or duckdb), because
the ``mp`` command imports it on every start; the live-query result types load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    ConfigError,
    DatabaseBusyError,
    IncompleteExportError,
    InvalidArgumentError,
    MixpanelDataError,
    NotFoundError,
    PipelineConfigError,
    PipelineNotFoundError,
    PlanRestrictedError,
    QueryError,
    QueryFileNotFoundError,
    RateLimitError,
    TableExistsError,
    TableNotFoundError,
    TransientError,
)
from mixpanel_data.results import (
    ColumnInfo,
    DatabaseInfo,
    DateRange,
    FetchResult,
    PipelineStatus,
    SqlResult,
    TableInfo,
    TableSchema,
)
from mixpanel_data.workspace import Workspace

if TYPE_CHECKING:
    from mixpanel_data.live import (
        AggregateResult,
        Annotation,
        AnnotationList,
        Cohort,
        CohortList,
        CohortMember,
        CohortMembers,
        EventNames,
        EventProperties,
        FrequencyPeriod,
        FrequencyResult,
        FunnelInfo,
        FunnelList,
        FunnelPeriod,
        FunnelResult,
        FunnelStep,
        InsightsPoint,
        InsightsResult,
        JQLResult,
        LiveResult,
        PropertyCount,
        PropertyValues,
        RetentionCohort,
        RetentionResult,
        SchemaEntry,
        SchemaList,
        SchemaProperty,
        SegmentationResult,
        SeriesPoint,
        TopEvent,
        TopEvents,
    )

__all__ = [
    "AccountExistsError",
    "AccountNotFoundError",
    "AggregateResult",
    "Annotation",
    "AnnotationList",
    "AuthenticationError",
    "Cohort",
    "CohortList",
    "CohortMember",
    "CohortMembers",
    "ColumnInfo",
    "ConfigError",
    "DatabaseBusyError",
    "DatabaseInfo",
    "DateRange",
    "EventNames",
    "EventProperties",
    "FetchResult",
    "FrequencyPeriod",
    "FrequencyResult",
    "FunnelInfo",
    "FunnelList",
    "FunnelPeriod",
    "FunnelResult",
    "FunnelStep",
    "IncompleteExportError",
    "InsightsPoint",
    "InsightsResult",
    "InvalidArgumentError",
    "JQLResult",
    "LiveResult",
    "MixpanelDataError",
    "NotFoundError",
    "PipelineConfigError",
    "PipelineNotFoundError",
    "PipelineStatus",
    "PlanRestrictedError",
    "PropertyCount",
    "PropertyValues",
    "QueryError",
    "QueryFileNotFoundError",
    "RateLimitError",
    "RetentionCohort",
    "RetentionResult",
    "SchemaEntry",
    "SchemaList",
    "SchemaProperty",
    "SegmentationResult",
    "SeriesPoint",
    "SqlResult",
    "TableExistsError",
    "TableInfo",
    "TableNotFoundError",
    "TableSchema",
    "TopEvent",
    "TopEvents",
    "TransientError",
    "Workspace",
]

#: Names in ``__all__`` not defined above: live-query result types, loaded on first use.
_LIVE_RESULTS = frozenset(name for name in __all__ if name not in globals())


def __getattr__(name: str) -> Any:
    if name in _LIVE_RESULTS:
        from mixpanel_data import live

        return getattr(live, name)
    raise AttributeError(f"module 'mixpanel_data' has no attribute {name!r}")
