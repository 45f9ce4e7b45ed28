"""Live queries: quick answers straight from Mixpanel's Query and App APIs, nothing loaded.

Every function takes a client first (``mixpanel_data.api.MixpanelClient``, or anything with its
``query``/``engage_page``/``app`` methods), validates its inputs before sending anything
(``InvalidArgumentError``, exit 3), and returns a frozen result: the parameters asked, the
parsed numbers, ``records()``, a lazily built pandas ``df`` and ``to_dict()``. Dates are
inclusive ``YYYY-MM-DD`` days in the project's time zone.

All calls draw from the process-wide Query API budget (5 concurrent, 60/hour per project;
``MP_QUERY_CONCURRENT``/``MP_QUERY_PER_HOUR``); a 429 is retried with backoff and, when retries
run out, ``RateLimitError`` says how long to wait. Discovery functions take a
``DiscoveryCache`` so a Workspace asks Mixpanel once per answer until ``clear()``.

    module         functions                                       result types
    segmentation   segmentation, segmentation_numeric              SegmentationResult
                   segmentation_sum, segmentation_average          AggregateResult
    funnels        funnel, funnels_list*                           FunnelResult, FunnelList
    retention      retention, addiction                            RetentionResult, FrequencyResult
    insights       insights                                        InsightsResult
    discovery      event_names*, top_events*, event_properties*,   EventNames, TopEvents,
                   property_values*                                EventProperties, PropertyValues
    event_counts   event_counts (many events, one request per 100) EventCounts
    cohorts        cohorts_list*, cohort_members                   CohortList, CohortMembers
    annotations    annotations_list                                AnnotationList
    lexicon        schemas*                                        SchemaList
    jql            jql (maintenance mode)                          JQLResult

    * takes ``cache=DiscoveryCache()``
"""

from __future__ import annotations

from mixpanel_data.live._base import LiveResult, QueryClient
from mixpanel_data.live.annotations import Annotation, AnnotationList, annotations_list
from mixpanel_data.live.cache import DiscoveryCache
from mixpanel_data.live.client import LazyClient, live_client, query_limits
from mixpanel_data.live.cohorts import (
    Cohort,
    CohortList,
    CohortMember,
    CohortMembers,
    cohort_members,
    cohorts_list,
)
from mixpanel_data.live.discovery import (
    EventNames,
    EventProperties,
    PropertyCount,
    PropertyValues,
    TopEvent,
    TopEvents,
    event_names,
    event_properties,
    property_values,
    top_events,
)
from mixpanel_data.live.event_counts import EventCount, EventCounts, event_counts
from mixpanel_data.live.funnels import (
    FunnelInfo,
    FunnelList,
    FunnelPeriod,
    FunnelResult,
    FunnelStep,
    funnel,
    funnels_list,
)
from mixpanel_data.live.insights import InsightsPoint, InsightsResult, insights
from mixpanel_data.live.jql import JQLResult, jql
from mixpanel_data.live.lexicon import SchemaEntry, SchemaList, SchemaProperty, schemas
from mixpanel_data.live.retention import (
    FrequencyPeriod,
    FrequencyResult,
    RetentionCohort,
    RetentionResult,
    addiction,
    retention,
)
from mixpanel_data.live.segmentation import (
    AggregateResult,
    SegmentationResult,
    SeriesPoint,
    segmentation,
    segmentation_average,
    segmentation_numeric,
    segmentation_sum,
)

__all__ = [
    "AggregateResult",
    "Annotation",
    "AnnotationList",
    "Cohort",
    "CohortList",
    "CohortMember",
    "CohortMembers",
    "DiscoveryCache",
    "EventCount",
    "EventCounts",
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
    "LazyClient",
    "LiveResult",
    "PropertyCount",
    "PropertyValues",
    "QueryClient",
    "RetentionCohort",
    "RetentionResult",
    "SchemaEntry",
    "SchemaList",
    "SchemaProperty",
    "SegmentationResult",
    "SeriesPoint",
    "TopEvent",
    "TopEvents",
    "addiction",
    "annotations_list",
    "cohort_members",
    "cohorts_list",
    "event_counts",
    "event_names",
    "event_properties",
    "funnel",
    "funnels_list",
    "insights",
    "jql",
    "live_client",
    "property_values",
    "query_limits",
    "retention",
    "schemas",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
    "top_events",
]
