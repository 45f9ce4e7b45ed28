"""Raw export against a wire server that fails the way Mixpanel's export stream does."""

from __future__ import annotations

import gzip
import io
import os
import random
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson
import pytest

from mixpanel_data.api import ExportStats, MixpanelClient
from mixpanel_data.api.export import PIECE_BYTES, LineTail, StreamDecoder, iter_line_batches
from mixpanel_data.exceptions import (
    IncompleteExportError,
    InvalidArgumentError,
    PlanRestrictedError,
    TransientError,
)

from .conftest import PROJECT_ID
from .wire import WireServer, export, hang_up, jsonl, reply, slow

EXPORT = "/api/2.0/export"
DAY = date(2024, 3, 1)


def events(n: int, *, pad: int = 0) -> list[dict[str, object]]:
    return [
        {
            "event": "Signed up" if i % 2 else "Purchase",
            "properties": {
                "time": 1709251200 + i,
                "distinct_id": f"u-{i}",
                "$insert_id": f"id-{i:08d}",
                "note": "x" * (pad + i % 7),
            },
        }
        for i in range(n)
    ]


GOOD = jsonl(events(40))


def run(client: MixpanelClient, **kwargs: object) -> tuple[bytes, ExportStats]:
    stats = ExportStats()
    batches = list(client.export_batches(DAY, DAY, stats=stats, **kwargs))  # type: ignore[arg-type]
    return b"".join(batches), stats


@pytest.mark.parametrize("compressed", [False, True], ids=["identity", "gzip"])
def test_export_streams_whole_window(wire: WireServer, client: MixpanelClient, compressed: bool):
    wire.script(EXPORT, export(GOOD, gzip=compressed, chunk=333))
    body, stats = run(client, events=["Signed up", "Purchase"], where='properties["x"]==1')
    assert body == GOOD
    assert (stats.attempts, stats.lines, stats.bytes) == (1, 40, len(GOOD))
    seen = wire.seen[0]
    assert seen.params == {
        "from_date": "2024-03-01",
        "to_date": "2024-03-01",
        "event": '["Signed up","Purchase"]',
        "where": 'properties["x"]==1',
        "project_id": PROJECT_ID,
    }
    assert seen.headers["accept-encoding"] == "gzip"


FAULTS = {
    "terminated_early": export(GOOD + b"terminated early\n"),
    "export_terminated_early": export(GOOD + b"export terminated early", gzip=True),
    "dropped_mid_line": export(GOOD, drop_after=len(GOOD) // 2 + 7, chunk=100),
    "dropped_mid_gzip": export(GOOD, gzip=True, drop_after=300, chunk=100),
    "truncated_gzip": export(GOOD, gzip=True, cut_gzip=12),
    "incomplete_last_line": export(GOOD + b'{"event":"Purchase","properties":{"ti'),
    "hang_up_before_response": hang_up(),
    "5xx": reply(503, "upstream unavailable"),
    "429_no_retry_after": reply(429, {"error": "too many export requests in progress"}),
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_export_retries_whole_window_after_fault(
    wire: WireServer, client: MixpanelClient, sleeps: list[float], fault: str
):
    wire.script(EXPORT, FAULTS[fault], export(GOOD, gzip=True))
    body, stats = run(client)
    assert body == GOOD  # nothing from the failed attempt leaks into the result
    assert wire.count(EXPORT) == 2
    assert stats.attempts == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("terminated_early", "instead of data"),
        ("truncated_gzip", "gzip stream was truncated"),
        ("dropped_mid_line", "connection dropped"),
        ("incomplete_last_line", "incomplete JSON line"),
    ],
    ids=["terminated_early", "truncated_gzip", "dropped", "incomplete_json"],
)
def test_export_gives_up_with_incomplete_export_error(
    wire: WireServer, client: MixpanelClient, tmp_path: Path, fault: str, message: str
):
    wire.script(EXPORT, FAULTS[fault])
    with pytest.raises(IncompleteExportError, match=message):
        list(client.export_batches(DAY, DAY, spool_dir=tmp_path))
    assert wire.count(EXPORT) == 3
    assert os.listdir(tmp_path) == []


def test_slow_first_byte_times_out_then_retries(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    wire.script(EXPORT, slow(2.0, export(GOOD)), export(GOOD))
    body, stats = run(make_client(timeout=0.3))
    assert body == GOOD
    assert stats.attempts == 2


def test_slow_first_byte_every_time_raises_transient(
    wire: WireServer, make_client: Callable[..., MixpanelClient]
):
    wire.script(EXPORT, slow(2.0, export(GOOD)))
    with pytest.raises(TransientError, match=r"timed out after 3 attempts \(ReadTimeout"):
        run(make_client(timeout=0.2))


def test_429_with_retry_after_is_honoured(
    wire: WireServer, client: MixpanelClient, sleeps: list[float]
):
    wire.script(EXPORT, reply(429, {"error": "busy"}, {"Retry-After": "7"}), export(GOOD))
    assert run(client)[0] == GOOD
    assert sleeps == [7.0]


def test_402_is_not_retried(wire: WireServer, client: MixpanelClient):
    wire.script(EXPORT, reply(402, {"request": "/api/2.0/export", "error": "Upgrade plan"}))
    with pytest.raises(PlanRestrictedError, match="Upgrade plan"):
        run(client)
    assert wire.count(EXPORT) == 1


def test_empty_body_yields_nothing(wire: WireServer, client: MixpanelClient):
    wire.script(EXPORT, export(b""))
    body, stats = run(client)
    assert body == b""
    assert (stats.lines, stats.batches, stats.attempts) == (0, 0, 1)


def test_split_only_on_newline_never_on_cr_or_u2028(wire: WireServer, client: MixpanelClient):
    tricky = [
        {"event": "a", "properties": {"s": "line\u2028sep\u2029para\u0085nel", "n": 1}},
        {"event": "b", "properties": {"s": "carriage\rreturn\r\n", "ü": "ßé漢字"}},
        {"event": "c", "properties": {"s": "\x0b\x0c\x1c\x1d\x1e", "n": None}},
    ]
    raw = b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in tricky * 50)
    assert "\u2028".encode() in raw and b"\\r" in raw
    wire.script(EXPORT, export(raw, gzip=True, chunk=97))
    batches = list(client.export_batches(DAY, DAY, batch_bytes=1000))
    assert b"".join(batches) == raw
    rows = [orjson.loads(line) for batch in batches for line in batch.split(b"\n") if line]
    assert rows == tricky * 50


def test_last_line_without_newline_is_completed(wire: WireServer, client: MixpanelClient):
    wire.script(EXPORT, export(GOOD.rstrip(b"\n")))
    body, stats = run(client)
    assert body == GOOD
    assert stats.lines == 40


def test_large_body_is_split_into_bounded_batches(
    wire: WireServer, client: MixpanelClient, tmp_path: Path
):
    raw = jsonl(events(3000, pad=40))
    long_line = orjson.dumps({"event": "big", "properties": {"blob": "y" * 9000}}) + b"\n"
    middle = raw.index(b"\n", len(raw) // 2) + 1
    raw = raw[:middle] + long_line + raw[middle:]
    wire.script(EXPORT, export(raw, gzip=True, chunk=8192))
    batches = list(client.export_batches(DAY, DAY, batch_bytes=4096, spool_dir=tmp_path))
    assert b"".join(batches) == raw
    assert len(batches) > len(raw) // 4096
    for batch in batches:
        assert batch.endswith(b"\n")
        assert len(batch) <= 4096 or batch == long_line
        for line in batch.splitlines():
            orjson.loads(line)
    assert os.listdir(tmp_path) == []


def test_spool_file_lives_until_generator_closes(
    wire: WireServer, client: MixpanelClient, tmp_path: Path
):
    wire.script(EXPORT, export(jsonl(events(500)), gzip=True))
    """The spool is an unnamed file in ``spool_dir``: open while the generator lives, never
    visible by name, so not even a SIGKILL can leave raw events behind."""
    batches = client.export_batches(DAY, DAY, batch_bytes=2048, spool_dir=tmp_path)
    assert open_files_in(tmp_path) == 0  # lazy: nothing happens before the first next()
    first = next(batches)
    assert first.endswith(b"\n")
    assert os.listdir(tmp_path) == []
    assert open_files_in(tmp_path) == 1
    batches.close()
    assert open_files_in(tmp_path) == 0


def open_files_in(directory: Path) -> int:
    """Files this process holds open in ``directory`` (named or not), from /proc/self/fd."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(f"{directory}/")
    return count


def test_nothing_is_yielded_before_the_window_is_complete(wire: WireServer, client: MixpanelClient):
    """A consumer never sees rows of an attempt that later fails (no duplicates downstream)."""
    wire.script(EXPORT, export(GOOD + b"terminated early\n", gzip=True), export(GOOD))
    batches = list(client.export_batches(DAY, DAY, batch_bytes=256))
    assert b"".join(batches) == GOOD


def test_gzip_with_several_members_is_read_to_the_end(wire: WireServer, client: MixpanelClient):
    halves = gzip.compress(GOOD[:1000]) + gzip.compress(GOOD[1000:])

    def act(h):  # type: ignore[no-untyped-def]
        h.head(
            200,
            {"Content-Encoding": "gzip", "Content-Length": str(len(halves))},
        )
        h.wfile.write(halves)

    wire.script(EXPORT, act)
    assert run(client)[0] == GOOD


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"from_date": date(2024, 3, 2), "to_date": DAY}, "after to_date"),
        ({"from_date": DAY, "to_date": DAY, "batch_bytes": 0}, "batch_bytes"),
    ],
    ids=["reversed_dates", "zero_batch"],
)
def test_bad_arguments_fail_before_any_request(
    wire: WireServer, client: MixpanelClient, kwargs: dict[str, object], message: str
):
    with pytest.raises(InvalidArgumentError, match=message):
        client.export_batches(**kwargs)  # type: ignore[arg-type]
    assert wire.seen == []


def test_memory_does_not_grow_with_the_export(
    wire: WireServer, client: MixpanelClient, tmp_path: Path
):
    line = orjson.dumps({"event": "e", "properties": {"time": 1, "pad": "z" * 200}}) + b"\n"
    raw_size = 24 * 2**20
    raw = line * (raw_size // len(line))
    wire.script(EXPORT, export(raw, gzip=True, chunk=65536))  # keeps only the gzip bytes
    del raw
    tracemalloc.start()
    try:
        stats = ExportStats()
        total = 0
        for batch in client.export_batches(
            DAY, DAY, batch_bytes=256 * 1024, spool_dir=tmp_path, stats=stats
        ):
            total += len(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == stats.bytes >= raw_size - len(line)
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {total / 2**20:.0f} MiB export"


TAILS = {
    "clean": (b'{"a":1}\n{"b":2}\n', None),
    "clean_blank_lines_after": (b'{"a":1}\n{"b":2}\n\n \n', None),
    "no_final_newline": (b'{"a":1}\n{"b":2}', None),
    "terminated": (b'{"a":1}\nterminated early\n', "instead of data"),
    "terminated_no_newline": (b'{"a":1}\nexport terminated early', "instead of data"),
    "terminated_then_blank": (b'{"a":1}\nterminated early\n\n', "instead of data"),
    "cut_mid_line": (b'{"a":1}\n{"b":', "incomplete JSON"),
    "cut_mid_string_with_u2028": ('{"a":1}\n{"b":"x\u2028'.encode(), "incomplete JSON"),
}


@pytest.mark.parametrize("step", [1, 3, 1000], ids=["bytewise", "3_bytes", "whole"])
@pytest.mark.parametrize("case", list(TAILS), ids=list(TAILS))
def test_line_tail_judges_the_end_whatever_the_chunking(case: str, step: int):
    body, problem = TAILS[case]
    tail = LineTail()
    for start in range(0, len(body), step):
        tail.feed(body[start : start + step])
    if problem is None:
        assert tail.check() is (not body.endswith(b"\n"))
    else:
        with pytest.raises(IncompleteExportError, match=problem):
            tail.check()


def test_decoder_pieces_are_bounded_and_complete():
    raw = b'{"event":"e"}\n' * 200_000
    decoder = StreamDecoder("gzip")
    pieces = list(decoder.feed(gzip.compress(raw)))
    assert b"".join(pieces) + decoder.finish() == raw
    assert max(len(piece) for piece in pieces) <= PIECE_BYTES


@pytest.mark.parametrize("seed", range(40))
def test_line_batches_cover_the_spool_exactly_in_bounded_whole_lines(seed: int):
    """Random line lengths around the batch size: every byte once, in order, cut only at \\n."""
    rng = random.Random(seed)
    batch_bytes = rng.choice([1, 7, 64, 100, 1000])
    lines = [
        b"x" * rng.choice([0, 1, 5, batch_bytes - 1, batch_bytes, batch_bytes + 3, 2500])
        for _ in range(rng.randrange(0, 60))
    ]
    raw = b"".join(line + b"\n" for line in lines)
    if raw and rng.random() < 0.3:
        raw = raw[:-1]  # the last line without its newline
    spool = io.BytesIO(b"skipped" + raw)
    spool.seek(len(b"skipped"))
    batches = list(iter_line_batches(spool, batch_bytes))
    assert b"".join(batches) == raw
    for batch in batches:
        assert batch
        if batch is not batches[-1] or raw.endswith(b"\n"):
            assert batch.endswith(b"\n")
        if len(batch) > batch_bytes:  # only a single line may exceed the batch size
            assert batch.count(b"\n") <= 1
