"""The stand-in as a separate process: URL on stdout, control endpoints, clean SIGTERM exit."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


@pytest.fixture(scope="module")
def proc(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    url_file = tmp_path_factory.mktemp("standin") / "url.txt"
    cmd = [
        sys.executable,
        "-m",
        "mixpanel_data.standin",
        "--days",
        "3",
        "--events-per-day",
        "400",
        "--start",
        "2024-11-02",
        "--legacy-tz",
        "--prepare",
        "--url-file",
        str(url_file),
        "--seed",
        "4",
    ]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    url = child.stdout.readline().strip()
    try:
        yield child, url, url_file
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=10)


def _info(url: str) -> dict:
    return httpx.get(f"{url}/_standin/info").json()


def test_prints_url_and_writes_url_file(proc: tuple[subprocess.Popen[str], str, Path]) -> None:
    _, url, url_file = proc
    assert url.startswith("http://127.0.0.1:")
    assert url_file.read_text().strip() == url
    info = _info(url)
    assert info["spec"]["legacy_timezone"] is True and info["days"][0] == "2024-11-02"


def test_export_and_control_endpoints(proc: tuple[subprocess.Popen[str], str, Path]) -> None:
    _, url, _ = proc
    spec = _info(url)["spec"]
    auth = (spec["sa_username"], spec["sa_secret"])
    query = {"project_id": spec["project_id"], "from_date": "2024-11-03", "to_date": "2024-11-03"}
    with httpx.Client(base_url=url, auth=auth) as c:
        rows = c.get("/api/2.0/export", params=query).content.count(b"\n")
        assert rows > 300
        c.post("/_standin/faults", json={"kind": "429", "family": "export", "retry_after": 1})
        assert c.get("/_standin/faults").json()["faults"][0]["kind"] == "429"
        limited = c.get("/api/2.0/export", params=query)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        late = c.post("/_standin/late", json={"day": "2024-11-03", "n": 5}).json()
        assert late["count"] == rows + 5
        assert c.get("/api/2.0/export", params=query).content.count(b"\n") == rows + 5
        log = c.get("/_standin/requests").json()["requests"]
        assert [r["fault"] for r in log[-3:]] == [None, "429", None]
        assert c.post("/_standin/today", json={"today": "2024-11-02"}).json() == {
            "today": "2024-11-02"
        }
        assert c.get("/api/2.0/export", params=query).status_code == 400
        c.post("/_standin/reset", json={})
        assert c.get("/_standin/requests").json() == {"requests": []}
        limits = c.post("/_standin/limits", json={"export_per_hour": 1}).json()
        assert limits["limits"]["export_per_hour"] == 1
        touched = c.post("/_standin/touch_profiles", json={"count": 2}).json()
        assert len(touched["distinct_ids"]) == 2
        assert c.post("/_standin/faults", json={"kind": "nope"}).status_code == 400


def test_sigterm_stops_cleanly(proc: tuple[subprocess.Popen[str], str, Path]) -> None:
    child, _, _ = proc
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=10) == 0
    assert child.stderr is not None and "prepared" in child.stderr.read()


def test_clock_lag_and_serializer_flags() -> None:
    cmd = [
        sys.executable,
        "-m",
        "mixpanel_data.standin",
        "--days",
        "2",
        "--events-per-day",
        "300",
        "--start",
        "2024-03-08",
        "--now",
        "2024-03-09T02:00:00+00:00",
        "--lag",
        "batch",
        "--serializer",
        "varying",
        "--very-late-rate",
        "0.05",
    ]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        info = _info(url)
        assert info["now"] == "2024-03-09T02:00:00+00:00" and info["today"] == "2024-03-08"
        assert info["spec"]["lag"] == "batch" and info["spec"]["very_late_rate"] == 0.05
        spec = info["spec"]
        query = {
            "project_id": spec["project_id"],
            "from_date": "2024-03-08",
            "to_date": "2024-03-08",
        }
        with httpx.Client(base_url=url, auth=(spec["sa_username"], spec["sa_secret"])) as c:
            a, b = (c.get("/api/2.0/export", params=query).content for _ in range(2))
            assert a != b and a.count(b"\n") == b.count(b"\n") > 0
            c.post("/_standin/now", json={"advance_seconds": 5 * 86_400})
            later = c.get("/api/2.0/export", params=query).content.count(b"\n")
            assert later > a.count(b"\n") * 1.3  # batch lag: 03-08's evening came in later
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=10)
