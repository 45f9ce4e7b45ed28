"""Data Views: ``workspace_id`` rides on every Query and App API call when set, never when not.

Real HTTP against the stand-in, read back from its request log (``standin/reqlog.py``). Where
Mixpanel takes it: every Query endpoint (query.openapi.yaml, parameter ``workspaceId`` on all 19
paths; API reference §2 "Projects with Data Views also send workspace_id"). Where it does not:
the raw export (export.openapi.yaml has no such parameter, and mixpanel-headless keeps export
project-scoped: "data view filters never apply to raw export streaming") and ``/me`` (about the
account: it lists every project and Data View, so it takes neither ``project_id`` nor a view).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from mixpanel_data import live
from mixpanel_data.api import ApiLimits, MixpanelClient, RetryPolicy, reset_budgets
from mixpanel_data.config.credentials import Credentials
from mixpanel_data.standin import ProjectSpec, StandIn

SPEC = ProjectSpec(
    seed=11,
    start=date(2024, 3, 1),
    days=6,
    events_per_day=200,
    timezone="America/Los_Angeles",
    now=datetime(2024, 3, 7, 4, tzinfo=UTC),
)
FIRST, LAST = "2024-03-01", "2024-03-03"
#: Query endpoints the library calls (the spec's paths but /stream/query, which it never calls).
QUERY_PATHS = {
    "segmentation",
    "segmentation/numeric",
    "segmentation/sum",
    "segmentation/average",
    "funnels",
    "funnels/list",
    "retention",
    "retention/addiction",
    "insights",
    "jql",
    "engage",
    "events",
    "events/names",
    "events/top",
    "events/properties/top",
    "events/properties/values",
    "cohorts/list",
}
APP_PATHS = {"annotations", "schemas"}  # under /api/app/projects/{id}/


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    with StandIn(SPEC) as mp:
        yield mp


def _client(server: StandIn, workspace: str | None) -> MixpanelClient:
    user, secret = server.auth
    creds = Credentials(
        secret=secret, username=user, project_id=str(server.project_id), workspace_id=workspace
    )
    policy = RetryPolicy(max_attempts=2, base_delay=0.0, jitter=0.0, sleep=lambda s: None)
    return MixpanelClient(creds, base_url=server.base_url, retry=policy, limits=ApiLimits())


def _every_family(client: MixpanelClient) -> None:
    """One call per endpoint the library uses, through the real live functions."""
    live.segmentation(client, "Login", FIRST, LAST)
    live.segmentation_numeric(client, "Purchase", FIRST, LAST, 'properties["amount"]')
    live.segmentation_sum(client, "Purchase", FIRST, LAST, 'properties["amount"]')
    live.segmentation_average(client, "Purchase", FIRST, LAST, 'properties["amount"]')
    live.funnel(client, 7509, FIRST, LAST)
    live.funnels_list(client)
    live.retention(client, "Sign Up", "Login", FIRST, LAST)
    live.addiction(client, FIRST, LAST)
    live.insights(client, 44001)
    live.jql(
        client,
        "function main() { return Events({from_date: '2024-03-01', to_date: "
        "'2024-03-01'}).reduce(mixpanel.reducer.count()); }",
    )
    live.event_counts(client, ["Login", "Purchase"], FIRST, LAST)
    live.event_names(client)
    live.top_events(client)
    live.event_properties(client, "Purchase")
    live.property_values(client, "Purchase", "currency")
    live.cohorts_list(client)
    live.cohort_members(client, 1002)
    live.annotations_list(client, FIRST, LAST)
    live.schemas(client)
    client.engage_page({"page_size": 10})
    client.me()
    for _ in client.export_batches(date(2024, 3, 1), date(2024, 3, 1)):
        pass


def _endpoint(path: str) -> str:
    for prefix in ("/api/query/", "/api/2.0/"):
        if path.startswith(prefix):
            return path.removeprefix(prefix).strip("/")
    return path


@pytest.mark.parametrize("workspace", ["6781", None], ids=["data-view", "no-data-view"])
def test_every_query_and_app_call_carries_the_workspace_when_set(server, workspace):
    reset_budgets()
    server.reset()
    with _client(server, workspace) as client:
        _every_family(client)
    records = server.requests.snapshot()
    assert records and all(r.status == 200 for r in records), [
        (r.path, r.status) for r in records if r.status != 200
    ]
    query = {_endpoint(r.path): r.params for r in records if r.family == "query"}
    app = {r.path.rsplit("/", 1)[-1]: r.params for r in records if r.family == "app"}
    assert set(query) >= QUERY_PATHS, sorted(QUERY_PATHS - set(query))
    assert set(app) >= {*APP_PATHS, "me"}
    expected = {"workspace_id": workspace} if workspace else {}
    for name, params in [*query.items(), *((n, app[n]) for n in APP_PATHS)]:
        got = {k: v for k, v in params.items() if k == "workspace_id"}
        assert got == expected, name
        assert params["project_id"] == str(server.project_id), name
    (export,) = [r for r in records if r.family == "export"]
    assert "workspace_id" not in export.params and export.params["project_id"]
    assert "workspace_id" not in app["me"] and "project_id" not in app["me"]
