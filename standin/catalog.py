"""Saved objects of the stand-in project: funnels, cohorts, bookmarks, annotations, schemas.

Definitions are static data; cohort members and report numbers are computed from the generated
events and profiles (see ``project.py`` and ``answers.py``), so tests can check them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class FunnelDef:
    """A saved funnel: ordered steps completed within ``length_days`` of the first step."""

    funnel_id: int
    name: str
    steps: tuple[str, ...]
    length_days: int
    #: A breakdown saved with the funnel: with ``on``, each value of ``on`` nests one level
    #: more by it (``{"Chrome": {"$overall": [...], "US": [...]}}``) [INF: Mixpanel's funnel
    #: breakdowns nest per property; the Query API's ``on`` names only the outer one].
    breakdown: str | None = None


@dataclass(frozen=True)
class CohortDef:
    """A saved cohort; ``rule`` names how members are derived from the data."""

    cohort_id: int
    name: str
    description: str
    rule: str  # "plan_paid" | "purchasers_first_week" | "beta" | "empty"
    is_visible: int
    created: str


@dataclass(frozen=True)
class BookmarkDef:
    """A saved Insights report answered by ``/insights?bookmark_id=``."""

    bookmark_id: int
    name: str
    event: str | None  # None: every event, one series per name
    unit: str  # "day" | "week"
    on: str | None = None  # a property to break down by (adds a header level)
    then: str | None = None  # a second breakdown property (one more level)
    chart: str = "line"  # "line": a time series; "bar": one {"all": n} per series
    overall: bool = False  # "$overall" beside the values of each breakdown level
    kind: str = "insights"  # "funnels" | "retention": what /insights sends for those types
    funnel_id: int | None = None  # kind "funnels": the saved funnel it shows


FUNNELS: tuple[FunnelDef, ...] = (
    FunnelDef(7509, "Signup funnel", ("Sign Up", "Add To Cart", "Purchase"), 14),
    FunnelDef(7510, "Search to buy", ("Search", "Add To Cart", "Purchase"), 1),
    FunnelDef(7511, "Café ☕ funnel", ("Page View", "Café ☕ ordered"), 7, "mp_country_code"),
)

COHORTS: tuple[CohortDef, ...] = (
    CohortDef(
        1000, "Paying plans", "plan is pro or enterprise", "plan_paid", 1, "2019-03-19 23:49:51"
    ),
    CohortDef(
        1001,
        "Purchasers (first week)",
        "did Purchase in the first 7 days",
        "purchasers_first_week",
        1,
        "2021-11-02 08:00:00",
    ),
    CohortDef(1002, "Beta testers ☕", "beta_tester is true", "beta", 0, "2023-01-15 12:30:00"),
    CohortDef(1003, "Empty cohort", "nobody", "empty", 1, "2024-02-29 00:00:00"),
)

BOOKMARKS: tuple[BookmarkDef, ...] = (
    BookmarkDef(44001, "Logins per day", "Login", "day"),
    BookmarkDef(44002, "All events, weekly", None, "week"),
    BookmarkDef(44003, "Purchases by country", "Purchase", "day", on="mp_country_code"),
    # The shapes real saved reports also take (see ``answers.insights``).
    BookmarkDef(
        44004,
        "Purchases by country, total",
        "Purchase",
        "day",
        on="mp_country_code",
        chart="bar",
        overall=True,
    ),
    BookmarkDef(
        44005,
        "Logins by OS and country",
        "Login",
        "day",
        on="$os",
        then="mp_country_code",
        overall=True,
    ),
    BookmarkDef(44006, "Signup funnel (report)", None, "day", kind="funnels", funnel_id=7509),
    BookmarkDef(44007, "Sign Up retention (report)", "Sign Up", "week", kind="retention"),
)

ANNOTATION_TAGS: tuple[dict[str, Any], ...] = (
    {"id": 3, "name": "release"},
    {"id": 4, "name": "marketing"},
    {"id": 5, "name": "incident 🔥"},
)


def initial_annotations(start: date, days: int) -> list[dict[str, Any]]:
    """A few App-API annotations spread over the data range."""
    user = {"id": 1, "first_name": "John", "last_name": "Smith"}
    notes: tuple[tuple[int, str, str, list[int]], ...] = (
        (0, "12:00:00", "Launched v3 ☕ checkout", [3]),
        (2, "09:30:00", "Spring campaign — emails sent", [4]),
        (5, "23:15:00", "Outage: tracking delayed\u2028(recovered)", [5]),
        (9, "00:00:00", "Pricing page A/B test", []),
    )
    out = []
    for i, (offset, hhmmss, text, tags) in enumerate(notes, start=1):
        day = start + timedelta(days=min(offset, max(days - 1, 0)))
        out.append(
            {
                "id": i,
                "date": f"{day.isoformat()} {hhmmss}",
                "description": text,
                "user": user,
                "tags": [t for t in ANNOTATION_TAGS if t["id"] in tags],
            }
        )
    return out


def _prop(kind: str, text: str, display: str | None = None) -> dict[str, Any]:
    """One Lexicon property entry."""
    entry: dict[str, Any] = {"type": kind, "description": text}
    if display:
        entry["metadata"] = {
            "com.mixpanel": {"displayName": display, "hidden": False, "dropped": False}
        }
    return entry


def initial_schemas() -> list[dict[str, Any]]:
    """Lexicon entries for a subset of events and profile properties, as the API returns."""
    meta = {
        "com.mixpanel": {
            "$source": "api",
            "displayName": "",
            "tags": ["core"],
            "hidden": False,
            "dropped": False,
            "contacts": ["owner@example.com"],
            "teamContacts": [],
        }
    }
    purchase = {
        "description": "A completed order",
        "properties": {
            "amount": _prop("number", "Order total", "Amount"),
            "currency": _prop("string", "ISO 4217 code"),
            "items": _prop("array", "Line items"),
            "coupon": _prop("string", "Coupon code, may be null"),
        },
        "metadata": meta,
    }
    signup = {
        "description": "Account created",
        "properties": {"source": _prop("string", "Acquisition source")},
        "metadata": meta,
    }
    cafe = {
        "description": "Ordered at the café ☕",
        "properties": {
            "drink": _prop("string", "Drink name"),
            "price": _prop("number", "Price"),
            "extras": _prop("object", "Nested extras"),
        },
        "metadata": meta,
    }
    profile = {
        "description": "User profile",
        "properties": {
            "plan": _prop("string", "Billing plan"),
            "lifetime_value": _prop("number", "LTV"),
            "beta_tester": _prop("boolean", "In the beta"),
        },
        "metadata": meta,
    }
    return [
        {"entityType": "event", "name": "Purchase", "schemaJson": purchase},
        {"entityType": "event", "name": "Sign Up", "schemaJson": signup},
        {"entityType": "event", "name": "Café ☕ ordered", "schemaJson": cafe},
        {"entityType": "profile", "name": "$user", "schemaJson": profile},
    ]
