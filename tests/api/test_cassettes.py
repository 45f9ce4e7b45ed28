"""Recorded wire interactions (vcrpy): the client decodes real Mixpanel-shaped answers.

Replayed by default; ``MP_RECORD_CASSETTES=1`` re-records them against a local server (see
``cassette.py``). The assertions check shapes, not values, so a re-recording against another
server with other data still passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest

from mixpanel_data.api import ExportStats, MixpanelClient, RetryPolicy
from mixpanel_data.config.credentials import Credentials

from .cassette import RECORD_MODE, RECORDING, REPLAY_BASE_URL, recorder
from .recording_server import recording_target

DAY = date(2024, 3, 1)
VCR = recorder("test_cassettes")


@pytest.fixture
def recorded(request: pytest.FixtureRequest, credentials: Credentials) -> Iterator[MixpanelClient]:
    """A client whose HTTP traffic goes to (or comes from) ``cassettes/test_cassettes/<test>``."""
    name = f"{request.node.name}.yaml"
    with recording_target(credentials, mode=RECORD_MODE) as base_url:
        if RECORDING:  # start from an empty cassette, never append to an old one
            (Path(VCR.cassette_library_dir) / name).unlink(missing_ok=True)
        with (
            VCR.use_cassette(name),
            MixpanelClient(
                credentials,
                base_url=base_url or REPLAY_BASE_URL,
                retry=RetryPolicy(max_attempts=1),
            ) as client,
        ):
            yield client


def test_segmentation(recorded: MixpanelClient):
    result = recorded.query(
        "segmentation",
        {"event": "Page View", "from_date": DAY, "to_date": date(2024, 3, 3), "unit": "day"},
    )
    series = result["data"]["series"]
    assert series and all(len(day) == 10 for day in series)
    assert result["legend_size"] == len(result["data"]["values"])
    for per_day in result["data"]["values"].values():
        assert set(per_day) <= set(series)
        assert all(isinstance(count, int) for count in per_day.values())
    assert sum(sum(per_day.values()) for per_day in result["data"]["values"].values()) > 0


def test_funnels_list(recorded: MixpanelClient):
    funnels = recorded.query("funnels/list")
    assert isinstance(funnels, list) and funnels
    assert all(isinstance(f["funnel_id"], int) and isinstance(f["name"], str) for f in funnels)


def test_engage_page(recorded: MixpanelClient):
    page = recorded.engage_page({"page_size": 5, "output_properties": ["$email", "$last_seen"]})
    assert page["page"] == 0
    assert isinstance(page["session_id"], str)
    assert 0 < len(page["results"]) <= 5
    for profile in page["results"]:
        assert isinstance(profile["$distinct_id"], str | int)
        assert isinstance(profile["$properties"], dict)


def test_export(recorded: MixpanelClient):
    stats = ExportStats()
    batches = list(recorded.export_batches(DAY, DAY, batch_bytes=2048, stats=stats))
    lines = [line for batch in batches for line in batch.split(b"\n") if line]
    assert lines and len(lines) == stats.lines
    for line in lines:
        row = orjson.loads(line)
        assert isinstance(row["event"], str)
        assert isinstance(row["properties"]["time"], int)
