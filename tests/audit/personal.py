"""A project with personal values in every kind of finding, and the raw texts no report may print.

Built on the seeded project's clean part (``seeded.clean``), audited against its plan
(``seeded.PLAN_YAML``). Each block puts personal data where a *non*-PII check reports it too:
a low-fill property's examples, a type or enum mismatch, a list, an undeclared property, a
distinct_id that breaks the rules, a conditional rule, an event name, a property *name*.
Phone numbers come in the international, spaced and parenthesised forms real SDKs send.
"""

from __future__ import annotations

from .seeded import LOGIN, PLAN, SURVEY, Project, action_plan, clean, day, login, survey

RAW = (
    "+33 1 70 36 39 41",
    "70 36 39 41",
    "(415) 555-0100",
    "555-0100",
    "+1-415-555-0100",
    "+44 20 7946 0958",
    "7946 0958",
    "+49 (0)30 1234567",
    "1234567",
    "+33 6 12 34 56 78",
    "12 34 56 78",
    "ana.garcia",
    "ana.b@",
    "ana.c@",
    "dana@",
    "bob.d@",
    "1600 Pennsylvania",
    "Pennsylvania Ave",
    "2001:db8::8a2e",
    "8a2e:370:7334",
    "fe80::1ff",
    "4567:890a",
    "192.168.44.12",
    "Hauptstraße 5",
)
"""Pieces of personal values that must appear in no report, in no format."""


def build() -> Project:
    p = Project()
    clean(p)
    for _ in range(2):  # low fill (2 + 2 of 200 logins) whose examples hold a phone number
        p.add(LOGIN, day(3), login(p, sso_provider="+33 1 70 36 39 41"))
        p.add(SURVEY, day(1), survey(p, recipient_count="(415) 555-0100"))  # number planned
        p.add(SURVEY, day(2), survey(p, channel="ana.garcia@example.com"))  # enum planned
        p.add(PLAN, day(3), action_plan(p, tags=["q1", 7, "+1-415-555-0100"]))  # list of text
        p.add(LOGIN, day(4), login(p), distinct_id="user ana.b@example.com")  # rule, not PII
        p.add(LOGIN, day(4), login(p), distinct_id="2001:db8::8a2e:370:7334")
        p.add(LOGIN, day(5), login(p), distinct_id="+44 20 7946 0958")
        p.add(
            SURVEY,
            day(6),
            survey(p, is_cron_job=True, cron_execution_timestamp="+49 (0)30 1234567"),
        )
        p.add("Contact ana.c@example.com", day(7), {"dana@example.com": True})  # names
        p.add("svc.crm.contact_added", day(7), {"bob.d@example.com": 1, "ok": 1})
        p.add(LOGIN, day(8), login(p, client_host="fe80::1ff:fe23:4567:890a"))
        p.add(LOGIN, day(8), login(p, phone="+33 6 12 34 56 78"))
        p.add(SURVEY, day(9), survey(p, contact_note="ship to 1600 Pennsylvania Ave"))
        p.add(SURVEY, day(9), survey(p, free_text="call 01 70 36 39 41 after 5"))
        p.add(SURVEY, day(9), survey(p, origin={"ip": "192.168.44.12", "street": "Hauptstraße 5"}))
    return p
