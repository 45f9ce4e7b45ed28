"""The live-query half of ``Workspace``: each method is one call into ``mixpanel_data.live``.

Nothing is loaded; every answer comes straight from Mixpanel's Query/App API through the
workspace's client (``Workspace.api``, built on first use), so every call spends the project's
Query API budget (60/hour). Discovery answers are cached for the workspace's life
(``clear_cache()`` forgets them); reports never are. Keyword options pass through unchanged:
see the function of the same name in ``mixpanel_data.live`` for each one's options.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.live import (
        AggregateResult,
        AnnotationList,
        CohortList,
        CohortMembers,
        DiscoveryCache,
        FrequencyResult,
        FunnelList,
        FunnelResult,
        InsightsResult,
        JQLResult,
        RetentionResult,
        SchemaList,
        SegmentationResult,
        TopEvents,
    )

Day = str | date


class LiveQueries:
    """Mixin for ``Workspace``; needs ``api`` (a client) and ``_cache``."""

    _cache: Any

    @property
    def api(self) -> MixpanelClient:  # provided by Workspace
        raise NotImplementedError

    @property
    def discovery_cache(self) -> DiscoveryCache:
        """Discovery answers kept for this workspace's life."""
        if self._cache is None:
            from mixpanel_data.live import DiscoveryCache

            self._cache = DiscoveryCache()
        return self._cache

    def clear_cache(self) -> None:
        """Forget cached discovery answers, so the next call asks Mixpanel again."""
        if self._cache is not None:
            self._cache.clear()

    # -- discovery (cached) ---------------------------------------------------------------------

    def events(self, limit: int = 255) -> list[str]:
        """Event names of the last 31 days, most common first."""
        from mixpanel_data.live import event_names

        return list(event_names(self.api, limit=limit, cache=self.discovery_cache).names)

    def properties(self, event: str, limit: int = 255) -> list[str]:
        """An event's most common property names of the last 31 days."""
        from mixpanel_data.live import event_properties

        found = event_properties(self.api, event, limit=limit, cache=self.discovery_cache)
        return list(found.names)

    def property_values(self, event: str, prop: str, limit: int = 100) -> list[str]:
        """Sample values of one event property, most common first."""
        from mixpanel_data.live import property_values

        found = property_values(self.api, event, prop, limit=limit, cache=self.discovery_cache)
        return list(found.values)

    def top_events(self, **options: Any) -> TopEvents:
        """Today's top events with their change (``type``, ``limit``)."""
        from mixpanel_data.live import top_events

        return top_events(self.api, cache=self.discovery_cache, **options)

    def funnels(self) -> FunnelList:
        """Saved funnels (id and name), for ``funnel(funnel_id, ...)``."""
        from mixpanel_data.live import funnels_list

        return funnels_list(self.api, cache=self.discovery_cache)

    def cohorts(self) -> CohortList:
        """Saved cohorts."""
        from mixpanel_data.live import cohorts_list

        return cohorts_list(self.api, cache=self.discovery_cache)

    def cohort_members(self, cohort_id: int | str, **options: Any) -> CohortMembers:
        """The profiles in one cohort (via engage)."""
        from mixpanel_data.live import cohort_members

        return cohort_members(self.api, cohort_id, **options)

    def annotations(
        self, from_date: Day | None = None, to_date: Day | None = None
    ) -> AnnotationList:
        """Chart annotations (App API: needs a service account)."""
        from mixpanel_data.live import annotations_list

        return annotations_list(self.api, from_date, to_date)

    def schemas(self, entity_type: str | None = None) -> SchemaList:
        """Lexicon schemas (App API)."""
        from mixpanel_data.live import schemas

        return schemas(self.api, entity_type, cache=self.discovery_cache)

    # -- reports (never cached) -----------------------------------------------------------------

    def segmentation(
        self, event: str, from_date: Day, to_date: Day, **options: Any
    ) -> SegmentationResult:
        """Event counts per day/week/month (``on``, ``unit``, ``where``, ``type``, ``limit``)."""
        from mixpanel_data.live import segmentation

        return segmentation(self.api, event, from_date, to_date, **options)

    def segmentation_numeric(
        self, event: str, from_date: Day, to_date: Day, on: str, **options: Any
    ) -> SegmentationResult:
        """Counts in numeric buckets of the expression ``on``."""
        from mixpanel_data.live import segmentation_numeric

        return segmentation_numeric(self.api, event, from_date, to_date, on, **options)

    def segmentation_sum(
        self, event: str, from_date: Day, to_date: Day, on: str, **options: Any
    ) -> AggregateResult:
        """The sum of the numeric expression ``on`` per period."""
        from mixpanel_data.live import segmentation_sum

        return segmentation_sum(self.api, event, from_date, to_date, on, **options)

    def segmentation_average(
        self, event: str, from_date: Day, to_date: Day, on: str, **options: Any
    ) -> AggregateResult:
        """The average of the numeric expression ``on`` per period."""
        from mixpanel_data.live import segmentation_average

        return segmentation_average(self.api, event, from_date, to_date, on, **options)

    def funnel(
        self, funnel_id: int | str, from_date: Day, to_date: Day, **options: Any
    ) -> FunnelResult:
        """A saved funnel's steps and conversion (``unit``, ``on``, ``where``, ``length`` ...)."""
        from mixpanel_data.live import funnel

        return funnel(
            self.api, funnel_id, from_date, to_date, cache=self.discovery_cache, **options
        )

    def retention(
        self,
        born_event: str | None,
        return_event: str | None,
        from_date: Day,
        to_date: Day,
        **options: Any,
    ) -> RetentionResult:
        """Retention cohorts (``unit``, ``interval_count``, ``retention_type``, ``where`` ...)."""
        from mixpanel_data.live import retention

        return retention(self.api, born_event, return_event, from_date, to_date, **options)

    def frequency(self, from_date: Day, to_date: Day, **options: Any) -> FrequencyResult:
        """How often users come back within each period (Mixpanel's "addiction" report)."""
        from mixpanel_data.live import addiction

        return addiction(self.api, from_date, to_date, **options)

    def insights(self, bookmark_id: int | str) -> InsightsResult:
        """A saved Insights report."""
        from mixpanel_data.live import insights

        return insights(self.api, bookmark_id)

    def jql(self, script: str, params: dict[str, Any] | None = None) -> JQLResult:
        """Run a JQL script (Mixpanel keeps JQL in maintenance mode)."""
        from mixpanel_data.live import jql

        return jql(self.api, script, params)
