"""``GET /api/app/me`` reports the project's time zone to a service account, as Mixpanel does."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from mixpanel_data.standin import ProjectSpec, StandIn

TOKYO = ProjectSpec(
    seed=5,
    start=date(2024, 3, 1),
    days=1,
    events_per_day=5,
    profiles=2,
    timezone="Asia/Tokyo",
    project_id=777,
)


def _me(mp: StandIn, auth: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.get(mp.base_url + "/api/app/me", auth=auth or mp.auth)


def test_me_lists_the_project_zone_in_the_app_api_wrapper() -> None:
    with StandIn(TOKYO) as mp:
        reply = _me(mp)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok"
    assert body["results"]["projects"]["777"]["timezone"] == "Asia/Tokyo"
    assert "1" in body["results"]["projects"]  # other projects of the account are listed too


@pytest.mark.parametrize(("mode", "status"), [("no_scope", 403), ("bare", 200), ("unlisted", 200)])
def test_me_modes(mode: str, status: int) -> None:
    with StandIn(TOKYO, me=mode) as mp:
        reply = _me(mp)
    assert reply.status_code == status
    if mode == "bare":
        assert reply.json()["projects"]["777"]["timezone"] == "Asia/Tokyo"
    if mode == "unlisted":
        assert "777" not in reply.json()["results"]["projects"]


def test_me_refuses_the_legacy_secret_and_wrong_secrets() -> None:
    with StandIn(TOKYO) as mp:
        assert _me(mp, mp.legacy_auth).status_code == 401
        assert _me(mp, (mp.auth[0], "wrong")).status_code == 401


def test_unknown_me_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="me must be one of"):
        StandIn(TOKYO, me="sometimes")
