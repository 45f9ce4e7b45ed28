"""Authentication modes (README §2, §7.2) on export, query and App API routes."""

from __future__ import annotations

import base64

import httpx
import pytest

from mixpanel_data.standin import StandIn

DAY = {"from_date": "2024-03-08", "to_date": "2024-03-08", "limit": "1"}


def _basic(user: str, secret: str, encode: bool = True) -> dict[str, str]:
    raw = f"{user}:{secret}"
    token = base64.b64encode(raw.encode()).decode() if encode else raw
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    ("mode", "with_project", "status"),
    [
        ("sa-base64", "own", 200),
        ("sa-plain", "own", 200),
        ("sa-wrong-secret", "own", 401),
        ("sa-base64", "other", 403),
        ("sa-base64", "none", 400),
        ("legacy", "none", 200),
        ("legacy-with-password", "none", 401),
        ("unknown-user", "own", 401),
        ("no-header", "own", 401),
    ],
    ids=[
        "sa-base64",
        "sa-plain",
        "wrong-secret",
        "wrong-project",
        "missing-project",
        "legacy",
        "legacy-with-password",
        "unknown-user",
        "no-header",
    ],
)
@pytest.mark.parametrize("path", ["/api/2.0/export", "/api/query/engage"], ids=["export", "engage"])
def test_auth_modes(mp: StandIn, mode: str, with_project: str, status: int, path: str) -> None:
    spec = mp.spec
    headers = {
        "sa-base64": _basic(spec.sa_username, spec.sa_secret),
        "sa-plain": _basic(spec.sa_username, spec.sa_secret, encode=False),
        "sa-wrong-secret": _basic(spec.sa_username, "nope"),
        "legacy": _basic(spec.api_secret, ""),
        "legacy-with-password": _basic(spec.api_secret, "x"),
        "unknown-user": _basic("someone", spec.sa_secret),
        "no-header": {},
    }[mode]
    query = dict(DAY)
    if with_project != "none":
        query["project_id"] = str(spec.project_id + (0 if with_project == "own" else 1))
    resp = httpx.get(mp.base_url + path, params=query, headers=headers)
    assert resp.status_code == status, resp.text
    if status != 200:
        assert resp.json()["request"].startswith(path)
    record = mp.requests.snapshot()[-1]
    assert record.status == status
    assert "Authorization" not in repr(record) and spec.sa_secret not in repr(record)


def test_app_api_auth(mp: StandIn) -> None:
    url = f"{mp.base_url}/api/app/projects/{{}}/annotations"
    assert httpx.get(url.format(mp.project_id), auth=mp.auth).status_code == 200
    other = httpx.get(url.format(mp.project_id + 1), auth=mp.auth)
    assert other.status_code == 403 and other.json()["status"] == "error"
    legacy = httpx.get(url.format(mp.project_id), auth=mp.legacy_auth)
    assert legacy.status_code == 401 and legacy.json() == {
        "error": legacy.json()["error"],
        "status": "error",
    }
