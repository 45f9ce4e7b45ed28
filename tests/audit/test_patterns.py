"""The PII tables on their own: names, values (as DuckDB sees them), identifiers, masking."""

from __future__ import annotations

import json

import duckdb
import pytest

from mixpanel_data.audit import patterns


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("$email", "email address"),
        ("user_email", "email address"),
        ("firstName", "person name"),
        ("$name", "person name"),
        ("last_name", "person name"),
        ("phone_number", "phone number"),
        ("$phone", "phone number"),
        ("street_address", "address"),
        ("zip_code", "address"),
        ("date_of_birth", "birth date"),
        ("organization_name", None),
        ("survey_name", None),
        ("iphone_model", None),
        ("$city", None),
        ("plan", None),
        ("template_id", None),
    ],
    ids=lambda v: str(v),
)
def test_property_names(name, kind):
    assert patterns.pii_name_kind(name) == kind


VALUES = [
    ("ana@example.com", "email address"),
    ("write to ana.garcia+x@mail.example.co.uk please", "email address"),
    ("+14155550123", "phone number"),
    ("(415) 555-0123", "phone number"),
    ("+44 20 7946 0958", "phone number"),
    ("+33 1 70 36 39 41", "phone number"),
    ("+1-415-555-0100", "phone number"),
    ("(415) 555-0100", "phone number"),
    ("+49 (0)30 1234567", "phone number"),
    ("01 70 36 39 41", "phone number"),
    ("josé.1@example.com", "email address"),
    ("192.168.10.20", "IP address"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP address"),
    ("fe80::1", "IP address"),
    ("12 Main Street", "street address"),
    ("1600 Pennsylvania Ave", "street address"),
    ("Rua Açaí 12", "street address"),
    ("Hauptstraße 5", "street address"),
    ("2024-03-05T10:00:00Z", None),
    ("2024-03-05", None),
    ("3.11.4", None),
    ("12:30:00", None),
    ("1709290000000", None),
    ("f47ac10b-58cc-4372-a567-0e02b2c3d479", None),
    ("org_f47ac10b-58cc-4372-a567-0e02b2c3d479", None),
    ("looks good", None),
    ("A Coruña", None),
    ("12 items", None),
    ("100042", None),
    ("0170363941", None),
    ("+5.00", None),
    ("2024-03-05 10:00", None),
]


@pytest.mark.parametrize(
    ("distinct_id", "kind"),
    [
        ("+33 1 70 36 39 41", "phone number"),
        ("+1-415-555-0100", "phone number"),
        ("josé.1@example.com", "email address"),
        ("2001:db8::8a2e:370:7334", "IP address"),
        ("user ana@example.com", None),
        ("100002", None),
        ("f47ac10b-58cc-4372-a567-0e02b2c3d479", None),
    ],
    ids=lambda v: str(v),
)
def test_distinct_ids_classified_in_duckdb(distinct_id, kind):
    whens = " ".join(
        f"WHEN regexp_full_match($v, '{p.replace(chr(39), chr(39) * 2)}') THEN '{k}'"
        for k, p in patterns.ID_PII_PATTERNS
    )
    assert duckdb.execute(f"SELECT CASE {whens} END", {"v": distinct_id}).fetchone()[0] == kind


@pytest.mark.parametrize(("text", "kind"), VALUES, ids=[v[0] for v in VALUES])
def test_values_classified_in_duckdb_as_in_python(text, kind):
    quoted = json.dumps(text, ensure_ascii=False)
    whens = " ".join(
        f"WHEN regexp_matches($v, '{p.replace(chr(39), chr(39) * 2)}') THEN '{k}'"
        for k, p in patterns.PII_VALUE_PATTERNS
    )
    in_duckdb = duckdb.execute(f"SELECT CASE {whens} END", {"v": quoted}).fetchone()[0]
    assert in_duckdb == kind


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ana@example.com", "a***@example.com"),
        ("+14155550123", "+1***23"),
        ("Ana", "A***"),
        ("", "***"),
    ],
    ids=["email", "phone", "short", "empty"],
)
def test_mask(text, masked):
    assert patterns.mask(text) == masked
