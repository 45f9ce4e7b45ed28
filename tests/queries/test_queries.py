"""Every file in queries/ on a small hand-built dataset whose answers were worked out by hand.

The queries run exactly as ``mp sql queries/NAME.sql --param ...`` runs them: ``read_query``,
``open_database`` (dataset schemas on the search path) and ``run_sql`` (parameters bound).

The dataset (project time zone UTC, so ``event_date`` is the UTC day; Mondays are 03-04, 03-11
and 03-18 of 2024):

    #   day    time   user  event      insert_id  properties
    1   03-04  10:00  u1    Sign Up    i1         $browser Chrome, plan free
    2   03-04  10:10  u1    Page View  i2         $browser Chrome
    3   03-04  10:50  u1    Page View  i3         $browser Chrome      (40 min gap: new session)
    4   03-04  12:00  u2    Sign Up    i4         $browser Firefox, plan pro
    5   03-04  13:00  -     Page View  i5         (no distinct_id)
    6   03-05  09:00  u1    Purchase   i6         $browser Chrome, plan free
    7   03-05  09:00  u2    Page View  i7         $browser Firefox
    8   03-05  09:20  u2    Page View  i8         $browser Firefox     (20 min gap)
    9   03-05  09:50  u2    Page View  i9         $browser Firefox     (exactly 30: same session)
    10  03-05  23:00  u3    Page View  i10        $browser Safari
    11  03-06  00:10  u3    Sign Up    i11        plan free            (70 min gap, next day)
    12  03-06  08:00  u2    Purchase   i12        $browser Firefox, plan pro
    13  03-11  10:00  u1    Page View  i13        $browser Chrome
    14  03-11  11:00  u3    Page View  -          $browser Safari
    15  03-11  11:05  u3    Purchase   i15        $browser Safari, plan free
    16  03-12  10:00  u4    Sign Up    i16        $browser Chrome, plan pro
    17  03-12  10:01  u4    Page View  i17        $browser Chrome
    18  03-12  10:01  u4    Page View  i17        $browser Chrome      (exact duplicate of 17)
    19  03-12  10:30  u4    Page View  i17        $browser Chrome      (same insert_id, later)
    20  03-18  10:00  u2    Page View  i20        $browser Firefox
    21  03-18  10:00  u1    Purchase   i21        $browser null, plan free
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mixpanel_data.exceptions import InvalidArgumentError
from mixpanel_data.local.catalog import packaged_queries, read_query, run_sql
from mixpanel_data.local.connection import open_database
from mixpanel_data.local.sqlparams import declared, header_defaults
from mixpanel_data.queries import queries_dir

ROWS = [
    ("03-04", "10:00", "u1", "Sign Up", "i1", {"$browser": "Chrome", "plan": "free"}),
    ("03-04", "10:10", "u1", "Page View", "i2", {"$browser": "Chrome"}),
    ("03-04", "10:50", "u1", "Page View", "i3", {"$browser": "Chrome"}),
    ("03-04", "12:00", "u2", "Sign Up", "i4", {"$browser": "Firefox", "plan": "pro"}),
    ("03-04", "13:00", None, "Page View", "i5", {}),
    ("03-05", "09:00", "u1", "Purchase", "i6", {"$browser": "Chrome", "plan": "free"}),
    ("03-05", "09:00", "u2", "Page View", "i7", {"$browser": "Firefox"}),
    ("03-05", "09:20", "u2", "Page View", "i8", {"$browser": "Firefox"}),
    ("03-05", "09:50", "u2", "Page View", "i9", {"$browser": "Firefox"}),
    ("03-05", "23:00", "u3", "Page View", "i10", {"$browser": "Safari"}),
    ("03-06", "00:10", "u3", "Sign Up", "i11", {"plan": "free"}),
    ("03-06", "08:00", "u2", "Purchase", "i12", {"$browser": "Firefox", "plan": "pro"}),
    ("03-11", "10:00", "u1", "Page View", "i13", {"$browser": "Chrome"}),
    ("03-11", "11:00", "u3", "Page View", None, {"$browser": "Safari"}),
    ("03-11", "11:05", "u3", "Purchase", "i15", {"$browser": "Safari", "plan": "free"}),
    ("03-12", "10:00", "u4", "Sign Up", "i16", {"$browser": "Chrome", "plan": "pro"}),
    ("03-12", "10:01", "u4", "Page View", "i17", {"$browser": "Chrome"}),
    ("03-12", "10:01", "u4", "Page View", "i17", {"$browser": "Chrome"}),
    ("03-12", "10:30", "u4", "Page View", "i17", {"$browser": "Chrome"}),
    ("03-18", "10:00", "u2", "Page View", "i20", {"$browser": "Firefox"}),
    ("03-18", "10:00", "u1", "Purchase", "i21", {"$browser": None, "plan": "free"}),
]


def d(day: str) -> date:
    return date.fromisoformat(f"2024-{day}")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset above as dlt would store it: ``mixpanel.events`` in a DuckDB file."""
    path = tmp_path_factory.mktemp("queries") / "mixpanel_data.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA mixpanel")
    con.execute(
        "CREATE TABLE mixpanel.events (event_key VARCHAR, event_name VARCHAR, "
        "event_time TIMESTAMPTZ, event_date DATE, export_date DATE, distinct_id VARCHAR, "
        "insert_id VARCHAR, mp_processing_time_ms BIGINT, properties JSON)"
    )
    for n, (day, time, user, event, insert_id, props) in enumerate(ROWS, 1):
        stamp = datetime.fromisoformat(f"2024-{day}T{time}:00+00:00")
        con.execute(
            "INSERT INTO mixpanel.events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"k{n}", event, stamp, d(day), d(day), user, insert_id, n, json.dumps(props)],
        )
    con.close()
    return path


def ask(database: Path, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """``mp sql queries/NAME.sql --param k=v ...``, as rows."""
    con = open_database(database)
    try:
        con.execute("SET TimeZone = 'UTC'")
        text = read_query(f"queries/{name}.sql")
        return run_sql(con, text, {k: str(v) for k, v in params.items()}).rows
    finally:
        con.close()


def test_daily_active_users(database):
    assert ask(database, "daily_active_users") == [
        (d("03-04"), 2, 4),
        (d("03-05"), 3, 5),
        (d("03-06"), 2, 2),
        (d("03-11"), 2, 3),
        (d("03-12"), 1, 4),
        (d("03-18"), 2, 2),
    ]
    window = ask(database, "daily_active_users", from_date="2024-03-05", to_date="2024-03-11")
    assert window == [(d("03-05"), 3, 5), (d("03-06"), 2, 2), (d("03-11"), 2, 3)]


def test_top_events(database):
    assert ask(database, "top_events") == [
        ("Page View", 13, 4),
        ("Purchase", 4, 3),
        ("Sign Up", 4, 4),
    ]
    assert ask(database, "top_events", limit=1) == [("Page View", 13, 4)]
    assert ask(database, "top_events", from_date="2024-03-12", to_date="2024-03-12") == [
        ("Page View", 3, 1),
        ("Sign Up", 1, 1),
    ]


def test_active_users_dau_wau_mau(database):
    rows = ask(database, "active_users", from_date="2024-03-10", to_date="2024-03-12")
    assert rows == [
        (d("03-10"), 0, 3, 3, 0.0),
        (d("03-11"), 2, 3, 3, 0.667),
        (d("03-12"), 1, 4, 4, 0.25),
    ]
    every_day = ask(database, "active_users")
    assert [r[0] for r in every_day] == [date(2024, 3, n) for n in range(4, 19)]
    assert every_day[0] == (d("03-04"), 2, 2, 2, 1.0)
    assert every_day[-1] == (d("03-18"), 2, 3, 4, 0.5)


def test_new_vs_returning(database):
    assert ask(database, "new_vs_returning") == [
        (d("03-04"), 2, 0, 2),
        (d("03-05"), 1, 2, 3),
        (d("03-06"), 0, 2, 2),
        (d("03-11"), 0, 2, 2),
        (d("03-12"), 1, 0, 1),
        (d("03-18"), 0, 2, 2),
    ]


def test_property_breakdown(database):
    assert ask(database, "property_breakdown", property="$browser") == [
        ("Chrome", 9, 2, 42.9),
        ("Firefox", 6, 1, 28.6),
        ("(not set)", 3, 2, 14.3),
        ("Safari", 3, 1, 14.3),
    ]
    assert ask(database, "property_breakdown", property="plan", event="Purchase") == [
        ("free", 3, 2, 75.0),
        ("pro", 1, 1, 25.0),
    ]
    assert ask(database, "property_breakdown", property="$browser", limit=1) == [
        ("Chrome", 9, 2, 42.9)
    ]


def test_property_breakdown_needs_the_property(database):
    with pytest.raises(InvalidArgumentError, match="Missing parameter 'property'"):
        ask(database, "property_breakdown")


def test_sessions_split_after_30_idle_minutes(database):
    assert ask(database, "sessions") == [
        (d("03-04"), 3, 2, 3.3, 0.0, 1.3),
        (d("03-05"), 3, 3, 16.7, 0.0, 1.7),
        (d("03-06"), 2, 2, 0.0, 0.0, 1.0),
        (d("03-11"), 2, 2, 2.5, 2.5, 1.5),
        (d("03-12"), 1, 1, 30.0, 30.0, 4.0),
        (d("03-18"), 2, 2, 0.0, 0.0, 1.0),
    ]
    longer = ask(database, "sessions", gap_minutes=60, from_date="2024-03-04", to_date="2024-03-04")
    # u1: 10:00, 10:10, 10:50 is one 50-minute session now; u2 one event: (50 + 0) / 2
    assert longer == [(d("03-04"), 2, 2, 25.0, 25.0, 2.0)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"steps": "Sign Up,Purchase"},
            [(1, "Sign Up", 4, 100.0, 100.0), (2, "Purchase", 3, 75.0, 75.0)],
        ),
        (
            {"steps": "Sign Up, Page View, Purchase"},
            [
                (1, "Sign Up", 4, 100.0, 100.0),
                (2, "Page View", 4, 100.0, 100.0),
                (3, "Purchase", 3, 75.0, 75.0),
            ],
        ),
        (
            {"steps": "Sign Up,Page View,Purchase", "window_days": 1},
            [
                (1, "Sign Up", 4, 100.0, 100.0),
                (2, "Page View", 3, 75.0, 75.0),
                (3, "Purchase", 1, 33.3, 25.0),
            ],
        ),
        (
            {"steps": "Sign Up,Purchase", "from_date": "2024-03-06"},
            [(1, "Sign Up", 2, 100.0, 100.0), (2, "Purchase", 1, 50.0, 50.0)],
        ),
        (
            {"steps": "Purchase,Sign Up"},
            [(1, "Purchase", 3, 100.0, 100.0), (2, "Sign Up", 0, 0.0, 0.0)],
        ),
        (
            {"steps": "Nobody Does This,Purchase"},
            [(1, "Nobody Does This", 0, 100.0, None), (2, "Purchase", 0, None, None)],
        ),
    ],
    ids=["two-steps", "three-steps", "one-day-window", "entry-range", "order-matters", "empty"],
)
def test_funnel(database, params, expected):
    assert ask(database, "funnel", **params) == expected


def test_weekly_retention_any_event(database):
    assert ask(database, "weekly_retention") == [
        (d("03-04"), 3, 0, 3, 100.0),
        (d("03-04"), 3, 1, 2, 66.7),
        (d("03-04"), 3, 2, 2, 66.7),
        (d("03-11"), 1, 0, 1, 100.0),
        (d("03-11"), 1, 1, 0, 0.0),
    ]


def test_weekly_retention_sign_up_then_purchase(database):
    rows = ask(database, "weekly_retention", born_event="Sign Up", return_event="Purchase")
    assert rows == [
        (d("03-04"), 3, 0, 2, 66.7),
        (d("03-04"), 3, 1, 1, 33.3),
        (d("03-04"), 3, 2, 1, 33.3),
        (d("03-11"), 1, 0, 0, 0.0),
        (d("03-11"), 1, 1, 0, 0.0),
    ]
    first_week = ask(database, "weekly_retention", weeks=1, to_date="2024-03-10")
    assert first_week == [(d("03-04"), 3, 0, 3, 100.0), (d("03-04"), 3, 1, 2, 66.7)]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%m-%d %H:%M")


def test_freshness_missing_and_low_days(database):
    rows = ask(database, "freshness", to_date="2024-03-12", days=5)
    assert [(r[0], r[1], _utc(r[2]), r[3]) for r in rows] == [
        (d("03-08"), 0, None, "missing"),
        (d("03-09"), 0, None, "missing"),
        (d("03-10"), 0, None, "missing"),
        (d("03-11"), 3, "03-11 11:05", "ok"),
        (d("03-12"), 4, "03-12 10:30", "ok"),
    ]
    rows = ask(database, "freshness", to_date="2024-03-06", days=3)
    assert [(r[0], r[1], _utc(r[2]), r[3]) for r in rows] == [
        (d("03-04"), 5, "03-04 13:00", "ok"),
        (d("03-05"), 5, "03-05 23:00", "ok"),
        (d("03-06"), 2, "03-06 08:00", "low"),
    ]


def test_freshness_defaults_to_the_14_days_ending_today(database):
    rows = ask(database, "freshness")
    assert len(rows) == 14
    assert rows[-1][0] in {date.today(), datetime.now(UTC).date()}


def test_duplicates(database):
    assert ask(database, "duplicates") == [
        (d("03-04"), 5, 0, 0, 0),
        (d("03-05"), 5, 0, 0, 0),
        (d("03-06"), 2, 0, 0, 0),
        (d("03-11"), 3, 0, 0, 1),
        (d("03-12"), 4, 1, 2, 0),
        (d("03-18"), 2, 0, 0, 0),
    ]


HEADER = re.compile(r"^-- (name|answers|param|reads):", re.M)
TESTED = {
    "active_users",
    "daily_active_users",
    "duplicates",
    "freshness",
    "funnel",
    "new_vs_returning",
    "property_breakdown",
    "sessions",
    "top_events",
    "weekly_retention",
}


def test_every_query_has_a_test_here():
    assert {name.removesuffix(".sql") for name in packaged_queries()} == TESTED


@pytest.mark.parametrize("name", sorted(TESTED))
def test_header_names_the_query_and_declares_exactly_its_parameters(name):
    text = (queries_dir() / f"{name}.sql").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("--")]
    assert header[0] == f"-- name: {name}"
    assert {m.group(1) for line in header if (m := HEADER.match(line))} == {
        "name",
        "answers",
        "param",
        "reads",
    }
    params = [
        line.split(":", 1)[1].split("=")[0].split("(")[0].strip()
        for line in header
        if line.startswith("-- param:")
    ]
    assert sorted(params) == sorted(declared(text))
    assert set(header_defaults(text)) <= set(params)
    assert "WITH" in text.upper()
