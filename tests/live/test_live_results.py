"""Result types: the public surface, frozen values, the lazy ``df``, ``to_dict``, odd shapes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest

from mixpanel_data import live
from mixpanel_data.exceptions import InvalidArgumentError, QueryError


class Stub:
    """A ``QueryClient`` answering canned bodies by path, recording what was asked."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self.bodies = bodies
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def query(self, path: str, params: Mapping[str, Any] | None = None, *, method: str = "GET"):
        self.asked.append((path, dict(params or {})))
        return self.bodies[path]

    def engage_page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return self.query("engage", params)

    def app(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        method: str = "GET",
        json: Any = None,
    ) -> Any:
        return self.query(path, params)


def test_public_surface_names_exist():
    assert sorted(live.__all__) == live.__all__
    assert all(hasattr(live, name) for name in live.__all__)


def test_results_are_frozen_with_a_lazy_cached_df_and_json_ready_dict():
    stub = Stub({"retention": {"2024-01-02": {"counts": [3, 1], "first": 4}}})
    result = live.retention(stub, "A", "B", "2024-01-02", "2024-01-02")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.unit = "week"  # type: ignore[misc]
    assert "df" not in vars(result)
    frame = result.df
    assert result.df is frame and list(frame.columns) == list(result.columns)
    data = result.to_dict()
    assert data["from_date"] == "2024-01-02"
    assert data["cohorts"] == [
        {"date": "2024-01-02", "size": 4, "counts": [3, 1], "rates": [0.75, 0.25]}
    ]
    json.dumps(data)
    assert stub.asked[0][1]["born_event"] == "A" and stub.asked[0][1]["event"] == "B"


def test_segmented_funnel_without_overall_sums_the_segments():
    body = {
        "meta": {"dates": ["2024-01-01"]},
        "data": {
            "2024-01-01": {
                "Chrome": {"steps": [{"count": 6}, {"count": 3}]},
                "Firefox": [{"count": 4, "event": "A"}, {"count": 1, "event": "B"}],
            }
        },
    }
    result = live.funnel(Stub({"funnels": body}), 1, "2024-01-01", "2024-01-01", on="p")
    assert [s.count for s in result.steps] == [10, 4]
    assert result.conversion_rate == 0.4
    chrome = result.segment_steps("Chrome")
    assert chrome[1].step_conversion == 0.5 and chrome[1].event == "step 2"


def test_insights_with_two_breakdowns_keeps_each_level():
    body = {
        "headers": ["$event", "country", "plan"],
        "series": {
            "Buy": {
                "US": {
                    "pro": {"2024-01-01T00:00:00+01:00": 2},
                    "free": {"2024-01-01T00:00:00+01:00": 5},
                }
            }
        },
    }
    result = live.insights(Stub({"insights": body}), 9)
    assert result.table_columns() == ("$event", "country", "plan", "date", "value")
    assert result.records()[0] == {
        "$event": "Buy",
        "country": "US",
        "plan": "free",
        "date": "2024-01-01",
        "value": 5,
    }
    assert result.points[1].segment == "Buy / US / pro"


def test_insights_with_list_values_is_refused_not_read_as_zeros():
    """A list where a number belongs is no Insights series: once silently 0, now exit 3."""
    body = {"headers": ["$event"], "series": {"Buy": {"2024-01-01": [1, 2]}}}
    with pytest.raises(InvalidArgumentError, match="Bookmark 9 is not an Insights report"):
        live.insights(Stub({"insights": body}), 9)


@pytest.mark.parametrize(
    ("raw", "columns"),
    [
        ([1, 2], ("value",)),
        ([{"name": "A", "distinct_id": "u", "time": 1}], ("name", "distinct_id", "time")),
    ],
    ids=["scalars", "events"],
)
def test_jql_tables_for_other_shapes(raw, columns):
    result = live.jql(Stub({"jql": raw}), "function main() {}")
    assert result.table_columns() == columns
    assert len(result.df) == len(raw)


def test_wrapped_lists_are_accepted():
    stub = Stub(
        {
            "cohorts/list": {
                "results": [{"id": 5, "name": "x", "count": "7", "is_visible": 0, "created": "bad"}]
            }
        }
    )
    cohort = live.cohorts_list(stub).cohorts[0]
    assert (cohort.id, cohort.count, cohort.is_visible, cohort.created) == (5, 7, False, None)


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("segmentation", lambda c: live.segmentation(c, "x", "2024-01-01", "2024-01-01")),
        ("funnels", lambda c: live.funnel(c, 1, "2024-01-01", "2024-01-01")),
        ("retention", lambda c: live.retention(c, "a", None, "2024-01-01", "2024-01-01")),
        ("events/names", lambda c: live.event_names(c)),
        ("insights", lambda c: live.insights(c, 1)),
    ],
    ids=["segmentation", "funnels", "retention", "names", "insights"],
)
def test_unexpected_shapes_are_one_line_query_errors(path, call):
    with pytest.raises(QueryError, match="unexpected shape"):
        call(Stub({path: "<html>proxy login</html>"}))
