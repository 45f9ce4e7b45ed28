"""What a drafted plan learns from the data: the naming style of its events, its id shapes.

``mp audit plan --from-data`` must describe the data it saw, so that auditing that same data
with the draft finds only what is really wrong (personal data) and the draft can serve as a
CI baseline. The tracking skill's convention stays on offer as a YAML comment (``draft``).

Naming: each event name is put in the first style of ``STYLES`` it fits; a name that fits
none is accepted literally. Ids: a ``distinct_id`` that fits one of the default shapes keeps
that shape; any other (personal ones aside: they stay P0 findings) is generalized into a
*signature*, a leading lowercase prefix kept as it is and the rest turned into runs of UUIDs,
long hex, digits and letters (``u-3`` -> ``u-<number>``), in one SQL pass over ``events``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from mixpanel_data.audit import patterns
from mixpanel_data.audit.plan import DistinctIdRules, IdPattern, Naming
from mixpanel_data.audit.sql import prop_paths
from mixpanel_data.local.sqltext import literal

STYLES: tuple[tuple[str, str], ...] = (
    ("the {prefix}.{object}.{action}[.error] convention", patterns.DEFAULT_EVENT_NAME_PATTERN),
    ("dotted lowercase", r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"),
    ("snake_case", r"[a-z][a-z0-9]*(_[a-z0-9]+)*"),
    ("kebab-case", r"[a-z][a-z0-9]*(-[a-z0-9]+)+"),
    ("camelCase", r"[a-z][a-z0-9]*([A-Z][a-z0-9]*)+"),
    ("Title Case words", r"[A-Z][A-Za-z0-9]*( [A-Z][A-Za-z0-9]*)*"),
    ("Sentence case words", r"[A-Z][a-z0-9]*( [a-z0-9]+)+"),
    ("lowercase words", r"[a-z][a-z0-9]*( [a-z0-9]+)+"),
    ("Mixpanel's own events", r"\$[a-z][a-z0-9_]*"),
)
"""(description, full-match pattern): the naming styles a draft recognizes, in this order."""

MAX_SHAPES = 12
"""Learnt id shapes beyond this many become one catch-all (``.+``): ids without a shape."""

_SPECIAL = set(r"\.^$|?*+()[]{}")
_TOKENS = {
    "\x01": ("uuid", patterns.UUID),
    "\x02": ("hex", "[0-9a-fA-F]{16,}"),
    "\x03": ("number", "[0-9]+"),
    "\x04": ("letters", "[A-Za-z]+"),
}


def literal_regex(text: str) -> str:
    """``text`` as a regex matching only itself, in syntax both Python and RE2 accept."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def learn_naming(names: Iterable[str]) -> Naming:
    """A naming rule every one of ``names`` follows; the default when they all already do."""
    default = Naming()
    names = sorted(set(names))
    kept = [w for w in default.forbidden_words if not any(w.lower() in n.lower() for n in names)]
    styles: list[tuple[str, str]] = []
    literals: list[str] = []
    for name in names:
        style = next((s for s in STYLES if re.fullmatch(s[1], name)), None)
        if style is None:
            literals.append(name)
        elif style not in styles:
            styles.append(style)
    if not literals and [s[1] for s in styles] in ([], [default.pattern]):
        return default.model_copy(update={"forbidden_words": kept})
    styles.sort(key=STYLES.index)
    parts = [p for _, p in styles] + [literal_regex(n) for n in literals]
    seen = [d for d, _ in styles] + ([f"{len(literals)} names as they are"] if literals else [])
    return Naming(
        convention=f"as seen in the data: {', '.join(seen)}",
        pattern="|".join(f"({p})" for p in parts),
        forbidden_words=kept,
    )


def identity_sql(scope_cte: str, not_equal_to: Sequence[str]) -> str:
    """Per kind of distinct_id: rows, and rows equal to a ``not_equal_to`` property.

    Kinds: ``missing``, ``pii``, a default shape's name, or ``learnt`` with a signature where
    runs are replaced by control characters (``chr(1)`` UUID, 2 hex, 3 digits, 4 letters)
    that no later step can match; ``signature_regex`` turns them into patterns.
    """
    pii = " OR ".join(f"regexp_full_match(id, {literal(p)})" for _, p in patterns.ID_PII_PATTERNS)
    arms = " ".join(
        f"WHEN regexp_full_match(id, {literal(p)}) THEN {literal(n)}"
        for n, p in patterns.DEFAULT_DISTINCT_IDS
    )
    prefix = "regexp_extract(id, '^([a-z]+[_:-])', 1)"
    steps = f"id[length({prefix}) + 1:]"
    for pattern, marker in ((patterns.UUID, 1), ("[0-9a-fA-F]{16,}", 2), ("[0-9]+", 3)):
        steps = f"regexp_replace({steps}, {literal(pattern)}, chr({marker}), 'g')"
    steps = f"{prefix} || regexp_replace({steps}, '[A-Za-z]+', chr(4), 'g')"
    bare = (
        f"list_contains(json_extract_string(properties, {prop_paths(not_equal_to)}), id)"
        if not_equal_to
        else "false"
    )
    return f"""-- audit: distinct_id shapes (plan drafting)
-- Answers: which distinct_ids the data holds: missing, personal, each default shape, and a
-- signature for every other id (a lowercase prefix kept, then UUID/hex/digit/letter runs);
-- rows each, and rows whose id equals a property it must not equal. Reads: events.
WITH {scope_cte},
ids AS (SELECT distinct_id AS id, coalesce({bare}, false) AS bare FROM scope),
kinds AS (
  SELECT *, CASE WHEN id IS NULL OR id = '' THEN 'missing' WHEN {pii} THEN 'pii' {arms}
    ELSE 'learnt' END AS kind FROM ids)
SELECT kind, CASE WHEN kind = 'learnt' THEN {steps} END AS signature, count(*) AS n,
  count(*) FILTER (bare) AS bare
FROM kinds GROUP BY 1, 2 ORDER BY n DESC, kind, signature"""


def learn_identity(con: Any, scope_cte: str, defaults: DistinctIdRules) -> DistinctIdRules:
    """The default shapes the data uses, the shapes it learnt, the default rules it keeps."""
    rows = con.execute(identity_sql(scope_cte, defaults.not_equal_to)).fetchall()
    kinds = {kind for kind, _, _, _ in rows}
    allowed = [a for a in defaults.allowed if a.name in kinds]
    learnt = [signature for kind, signature, _, _ in rows if kind == "learnt"]
    for signature in learnt[:MAX_SHAPES]:
        allowed.append(IdPattern(name=_shape_name(signature), pattern=signature_regex(signature)))
    if len(learnt) > MAX_SHAPES:
        allowed.append(IdPattern(name=f"{len(learnt) - MAX_SHAPES} other shapes", pattern=".+"))
    bare = any(n for _, _, _, n in rows)
    return DistinctIdRules(
        allowed=allowed or list(defaults.allowed),  # no id seen: nothing to learn from
        not_equal_to=[] if bare else list(defaults.not_equal_to),
        required="missing" not in kinds,
    )


def signature_regex(signature: str) -> str:
    """``u-`` + digits -> ``u-[0-9]+`` (a full-match pattern)."""
    return "".join(_TOKENS[c][1] if c in _TOKENS else literal_regex(c) for c in signature)


def _shape_name(signature: str) -> str:
    words = "".join(f"<{_TOKENS[c][0]}>" if c in _TOKENS else c for c in signature)
    return f"learnt: {words}"


def fill_threshold(fills: Sequence[float], default: float) -> float:
    """The low-fill threshold under which no property of the data falls (3 decimals)."""
    lowest = min((f for f in fills if f > 0), default=default)
    return min(default, int(lowest * 1000) / 1000)
