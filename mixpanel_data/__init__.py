"""mixpanel-data: Mixpanel analytics data, loaded once with dlt, asked with SQL.

    from mixpanel_data import Workspace

The public names are ``__all__`` (a test holds them): the ``Workspace`` facade, every exception,
and the result types. This module imports nothing heavy (no dlt, pandas or duckdb), because
the ``mp`` command imports it on every start.
"""

from __future__ import annotations

from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    ConfigError,
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

__all__ = [
    "AccountExistsError",
    "AccountNotFoundError",
    "AuthenticationError",
    "ColumnInfo",
    "ConfigError",
    "DatabaseInfo",
    "DateRange",
    "FetchResult",
    "IncompleteExportError",
    "InvalidArgumentError",
    "MixpanelDataError",
    "NotFoundError",
    "PipelineConfigError",
    "PipelineNotFoundError",
    "PipelineStatus",
    "PlanRestrictedError",
    "QueryError",
    "QueryFileNotFoundError",
    "RateLimitError",
    "SqlResult",
    "TableExistsError",
    "TableInfo",
    "TableNotFoundError",
    "TableSchema",
    "TransientError",
    "Workspace",
]
