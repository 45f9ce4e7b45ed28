"""App API (annotations, tags, Lexicon schemas) and the legacy annotations endpoint."""

from __future__ import annotations

import httpx

from mixpanel_data.standin import ProjectSpec, StandIn

from .standin_helpers import params


def _fresh() -> StandIn:
    return StandIn(ProjectSpec(days=10))


def test_annotations_crud_and_camelcase_dates() -> None:
    with _fresh() as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        base = f"/api/app/projects/{mp.project_id}/annotations"
        listed = c.get(base).json()
        assert listed["status"] == "ok" and len(listed["results"]) == 4
        assert set(listed["results"][0]) == {"id", "date", "description", "user", "tags"}
        window = c.get(base, params={"fromDate": "2024-03-02", "toDate": "2024-03-06"}).json()
        assert [a["id"] for a in window["results"]] == [2, 3]
        made = c.post(
            base, json={"date": "2024-03-05 10:00:00", "description": "new ☕", "tags": [3]}
        )
        assert made.status_code == 201
        new_id = made.json()["results"]["id"]
        patched = c.patch(f"{base}/{new_id}", json={"description": "edited"}).json()
        assert patched["results"]["description"] == "edited"
        assert c.delete(f"{base}/{new_id}").json() == {"status": "ok", "results": {"id": new_id}}
        missing = c.get(f"{base}/{new_id}")
        assert missing.status_code == 404 and missing.json()["status"] == "error"
        tags = c.get(base + "/tags").json()
        assert isinstance(tags, list) and {"id", "name", "project_id", "has_annotations"} <= set(
            tags[0]
        )


def test_legacy_annotations(mp: StandIn) -> None:
    resp = httpx.get(
        f"{mp.base_url}/api/2.0/annotations",
        auth=mp.legacy_auth,
        params={"from_date": "2024-03-08", "to_date": "2024-03-11"},
    )
    items = resp.json()["annotations"]
    assert items and set(items[0]) == {"date", "project_id", "id", "description"}


def test_schemas_list_get_upsert_delete() -> None:
    with _fresh() as mp, httpx.Client(base_url=mp.base_url, auth=mp.auth) as c:
        base = f"/api/app/projects/{mp.project_id}/schemas"
        everything = c.get(base).json()["results"]
        assert {s["entityType"] for s in everything} == {"event", "profile"}
        events = c.get(base + "/event").json()["results"]
        assert all(s["entityType"] == "event" for s in events)
        one = c.get(base + "/event/Caf%C3%A9%20%E2%98%95%20ordered").json()
        assert "extras" in one["properties"]
        upsert = c.post(
            base,
            json={
                "entries": [
                    {"entityType": "event", "name": "Login", "schemaJson": {"description": "d"}}
                ]
            },
        )
        assert upsert.json() == {"status": "ok", "results": {"added": 1, "deleted": 0}}
        assert c.get(base + "/event/Login").json() == {"description": "d"}
        gone = c.delete(base + "/event/Login").json()
        assert gone["results"]["delete_count"] == 1
        assert c.get(base + "/event/Login").status_code == 404
        assert c.get(base + "/group").status_code == 400


def test_unknown_path_is_404_json(client: httpx.Client, mp: StandIn) -> None:
    resp = client.get("/api/2.0/nothing-here", params=params(mp))
    assert resp.status_code == 404 and "error" in resp.json()
