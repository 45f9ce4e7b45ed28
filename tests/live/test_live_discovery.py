"""Discovery, cohorts, annotations, Lexicon and JQL against the stand-in; the discovery cache."""

from __future__ import annotations

import pytest

from mixpanel_data import live
from mixpanel_data.standin import answers


def test_event_discovery_matches_ground_truth(client, mp):
    names = live.event_names(client)
    assert names.names == tuple(answers.event_names(mp.project))
    assert "Café ☕ ordered" in names.names
    top = live.top_events(client, limit=3)
    assert [(e.event, e.amount, e.percent_change) for e in top.events] == [
        (e["event"], e["amount"], e["percent_change"])
        for e in answers.events_top(mp.project)["events"][:3]
    ]
    props = live.event_properties(client, "Purchase", limit=20)
    truth = answers.event_properties_top(mp.project, "Purchase", 20)
    assert {p.name: p.count for p in props.properties} == {
        k: v.get("count") for k, v in truth.items()
    }
    values = live.property_values(client, "Purchase", "currency", limit=3)
    assert values.values == tuple(
        answers.event_property_values(mp.project, "Purchase", "currency", 3)
    )
    assert len(values.values) == 3


def test_discovery_cache_asks_once_until_cleared(client, mp):
    cache = live.DiscoveryCache()
    calls = [
        lambda: live.event_names(client, cache=cache),
        lambda: live.event_properties(client, "Login", cache=cache),
        lambda: live.property_values(client, "Login", "method", cache=cache),
        lambda: live.cohorts_list(client, cache=cache),
        lambda: live.funnels_list(client, cache=cache),
        lambda: live.schemas(client, cache=cache),
        lambda: live.top_events(client, cache=cache),
    ]
    first = [call() for call in calls]
    assert len(mp.requests) == len(calls)
    assert [call() for call in calls] == first
    assert len(mp.requests) == len(calls) and len(cache) == len(calls)
    live.event_names(client, limit=3, cache=cache)  # other parameters: another entry
    assert len(mp.requests) == len(calls) + 1
    cache.clear()
    assert len(cache) == 0
    live.event_names(client, cache=cache)
    assert len(mp.requests) == len(calls) + 2


def test_cohorts_and_members_match_ground_truth(client, mp):
    cohorts = live.cohorts_list(client)
    assert cohorts.records() == [
        {
            **{k: c[k] for k in ("id", "name", "count", "description")},
            "created": cohorts.by_id(c["id"]).created,
            "is_visible": bool(c["is_visible"]),
        }
        for c in answers.cohorts_list(mp.project)
    ]
    assert str(cohorts.by_id(1000).created) == "2019-03-19 23:49:51"
    members = live.cohort_members(client, 1000, page_size=7)  # several engage pages
    assert sorted(members.distinct_ids) == sorted(mp.project.cohort_members(1000))
    assert len(mp.requests.filter(endpoint="engage")) > 2
    assert live.cohort_members(client, 1003).members == ()


def test_annotations_and_schemas_match_the_project(client, mp):
    notes = live.annotations_list(client)
    oldest_first = sorted(mp.project.annotations, key=lambda a: (a["date"], a["id"]))
    assert [a.id for a in notes.annotations] == [a["id"] for a in oldest_first]
    assert [a.description for a in notes.annotations] == [a["description"] for a in oldest_first]
    assert notes.annotations[0].tags == ("release",)
    ranged = live.annotations_list(client, "2024-03-01", "2024-03-02")
    assert [str(a.date) for a in ranged.annotations] == ["2024-03-01 12:00:00"]
    lexicon = live.schemas(client)
    assert {(e.entity_type, e.name) for e in lexicon.entries} == {
        (s["entityType"], s["name"]) for s in mp.project.schemas
    }
    profile = live.schemas(client, "profile")
    assert [e.name for e in profile.entries] == ["$user"]
    assert {p.name: p.type for p in profile.entries[0].properties} == {
        "plan": "string",
        "lifetime_value": "number",
        "beta_tester": "boolean",
    }


def test_jql_matches_ground_truth(client, mp):
    script = (
        "function main() { return Events({from_date: params.from, to_date: params.to})"
        '.groupBy(["name"], mixpanel.reducer.count()); }'
    )
    params = {"from": "2024-03-01", "to": "2024-03-02"}
    result = live.jql(client, script, params)
    truth = answers.run_jql(mp.project, script, params)
    assert list(result.raw) == truth
    assert {r["key_1"]: r["value"] for r in result.records()} == {
        t["key"][0]: t["value"] for t in truth
    }
    assert result.params == params
    assert mp.requests.filter(endpoint="jql")[0].method == "POST"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (["n=5", "flag=true", "day=2024-03-01"], {"n": 5, "flag": True, "day": "2024-03-01"}),
        (['names=["a","b"]', "text=hello world"], {"names": ["a", "b"], "text": "hello world"}),
    ],
    ids=["scalars", "list-and-text"],
)
def test_jql_params_are_typed_when_they_read_as_json(text, expected):
    from mixpanel_data.live.jql import parse_jql_params

    assert parse_jql_params(text) == expected
