"""The tables the audit checks against: PII names and values, identifiers, conventions.

Every pattern is an RE2 regular expression (DuckDB's engine), matched inside the destination.
Value patterns are written for a JSON value's *text* as stored: a string value keeps its
quotes, so ``"…"`` anchors a whole string value (a phone number) while an email address is
found anywhere (``"contact: ana@example.com"``, or inside a list or an object).
"""

from __future__ import annotations

import ipaddress
import re

DEFAULT_CONVENTION = "{prefix}.{object}.{action}[.error]"
DEFAULT_EVENT_NAME_PATTERN = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}"
"""Lowercase ``snake_case`` segments joined by dots, at least three (``svc.surveys.sent``);
a trailing ``.error`` is simply one more segment."""

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

DEFAULT_DISTINCT_IDS: tuple[tuple[str, str], ...] = (
    ("user UUID", UUID),
    ("organization fallback", "org_" + UUID),
    ("Slack fallback", r"slack_[A-Za-z0-9_-]+"),
    ("API key fallback", r"apikey_[A-Za-z0-9_-]+"),
    ("webhook fallback", r"webhook_[A-Za-z0-9_-]+"),
)
"""(name, full-match pattern): a user's UUID first, then prefixed fallbacks."""

DEFAULT_NOT_EQUAL_TO = ("organization_id",)
"""A distinct_id equal to one of these properties is a bare organization id: prefix it."""

DEFAULT_PII_ALLOW = ("organization_name",)
"""Property names approved despite looking personal (the business approved this one)."""

SYSTEM_PROPERTY = r"\$.*|mp_.*|time|distinct_id|token"
"""Properties Mixpanel or its SDKs add: never "undeclared", still checked for personal data."""

PII_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("person name", r"(first|last|full|display|given|family|middle|sur|user)_?name|name"),
    ("email address", r"(.*_)?(e_?mail)(_.*)?"),
    ("phone number", r"(.*_)?(phone|telephone|mobile_number|msisdn)(_.*)?"),
    ("address", r"(.*_)?(address|street|postcode|postal_code|zip_?code)(_.*)?"),
    ("birth date", r"(.*_)?(birth_?date|date_of_birth|birthday|dob)(_.*)?"),
    ("government id", r"(.*_)?(ssn|social_security_number|passport_number|national_id)(_.*)?"),
)
"""(kind, full-match pattern on the lowercased name without ``$``; camelCase made snake)."""

EMAIL = r"[^\s@\"'<>()\[\],;:\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
"""The local part is anything but spaces, quotes and brackets, so ``josé.1@example.com``
counts whole (an ASCII-only local part would see ``1@example.com`` and leave ``josé``)."""
IPV4_PART = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"({IPV4_PART}\.){{3}}{IPV4_PART}"
IPV6 = r"([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,6}:([0-9a-fA-F]{1,4}:?){0,6}"
PHONE = (
    r"\+[ (]*[0-9]([ ().-]*[0-9]){6,14}\)?"
    r"|(\+?[0-9]{1,3}[ .-])?\(?[0-9]{2,4}\)?[ .-][0-9]{3,4}[ .-]?[0-9]{3,4}"
    r"|0[1-9]([ .-][0-9]{2}){4}"
)
"""International (a ``+`` then 7-15 digits, any spacing: ``+33 1 70 36 39 41``,
``+1-415-555-0100``, ``+14155550123``), North-American style (``(415) 555-0100``) and
European pairs (``01 70 36 39 41``). Dates, times, versions and bare digit runs never match."""
STREET = (
    r"(?i)\b[0-9]{1,5}[a-z]?,?\s+([a-z'.-]+\s+){0,4}"
    r"(street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|court|ct|way|place|pl"
    r"|square|sq|terrace|parkway|pkwy|highway|hwy)\b"
    r"|\b(rue|rua|calle|via|avenida)\s+[^\"0-9]{2,40}\s[0-9]{1,5}\b"
    r"|[^\s\"]+(straße|strasse|gasse|weg|platz)\s+[0-9]{1,5}\b"
)
"""Case-insensitive: a house number then a street word, or a street word then its number."""

PII_VALUE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email address", EMAIL),
    ("IP address", rf'"({IPV4}|{IPV6})"'),
    ("phone number", rf'"({PHONE})"'),
    ("street address", STREET),
)
"""(kind, pattern searched in a value's JSON text), in the order a value is classified."""

ID_PII_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email address", EMAIL),
    ("IP address", rf"{IPV4}|{IPV6}"),
    ("phone number", PHONE),
)
"""(kind, full-match pattern on a distinct_id)."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalized_name(name: str) -> str:
    """``$firstName`` -> ``first_name``: how property names meet ``PII_NAME_PATTERNS``."""
    return _CAMEL.sub("_", name.lstrip("$")).lower().replace("-", "_").replace(" ", "_")


def pii_name_kind(name: str, extra: tuple[str, ...] = ()) -> str | None:
    """The kind of personal data a property *name* suggests, or None."""
    text = normalized_name(name)
    for kind, pattern in PII_NAME_PATTERNS:
        if re.fullmatch(pattern, text):
            return kind
    for pattern in extra:
        if re.fullmatch(pattern, text):
            return "personal data"
    return None


def mask(text: str) -> str:
    """A report example with the personal part hidden: ``a***@example.com``, ``+1***00``."""
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(text) >= 8:
        return f"{text[:2]}***{text[-2:]}"
    return f"{text[:1]}***"


_SEARCHED = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            EMAIL,
            rf"(?<![\w+.-])(?:{PHONE})(?![\w])",
            STREET.removeprefix("(?i)"),
        )
    ),
    re.IGNORECASE,
)
_IP_CANDIDATE = re.compile(r"(?<![\w.:])[0-9A-Fa-f.:]*[.:][0-9A-Fa-f.:]*(?![\w.:])")


def redact(text: str) -> str:
    """``text`` with every part that looks personal masked, wherever it appears.

    Used on everything a report prints (examples, event and property names, details), so it
    errs on the side of masking: emails, phone numbers and street addresses anywhere in the
    text, and any token that parses as an IPv4 or IPv6 address. Already-masked text is left
    as it is, so redacting twice changes nothing.
    """
    text = _SEARCHED.sub(lambda m: mask(m.group(0)), text)
    return _IP_CANDIDATE.sub(lambda m: mask(m.group(0)) if _is_ip(m.group(0)) else m.group(0), text)


def _is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True
