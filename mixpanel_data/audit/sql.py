"""The audit's SQL, run inside the destination: a few passes over ``events``, whatever its size.

Each builder returns one statement: a header (what it answers, what it reads), then named CTEs
ending in one select. All of them start from ``scope`` (the events of the audited date window).
``properties`` is parsed once per row per pass: property values are pulled with one
multi-path ``json_extract`` and compared as JSON *text* (a string keeps its quotes, so its
first character gives the JSON type without a second parse).

Examples are the three commonest values, ties broken by the value itself (``TOP3``):
exact, so the same data always gives the same report (``approx_top_k`` is not, under
parallelism).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from mixpanel_data.audit import patterns
from mixpanel_data.audit.plan import PropertySpec
from mixpanel_data.local.sqltext import json_path, literal, path_list


def prop_paths(props: Sequence[str]) -> str:
    """The DuckDB list of the JSON paths of ``props`` in the ``properties`` column."""
    return path_list(json_path(p) for p in props)


def scope(table: str, first: date | None, last: date | None) -> str:
    """The ``scope`` CTE: the audited events (``properties`` never NULL)."""
    where = []
    if first:
        where.append(f"event_date >= DATE '{first.isoformat()}'")
    if last:
        where.append(f"event_date <= DATE '{last.isoformat()}'")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return (
        "scope AS (SELECT coalesce(event_name, '') AS event_name, event_date, distinct_id, "
        f"coalesce(properties, '{{}}')::JSON AS properties FROM {table}{clause})"
    )


TOP3 = "arg_min({v}, (-{c}, {v}), 3) FILTER ({v} IS NOT NULL)"
"""The 3 values of ``v`` with the most rows ``c``, ties to the smaller value (``examples``).

Every pass groups twice: first by its keys *and* the example value (``NULL`` for rows that
are not examples), then by its keys alone, summing the counts; one scan of ``events``."""


def top3(value: str, count: str) -> str:
    return TOP3.format(v=value, c=count)


def events_sql(scope_cte: str) -> str:
    return f"""-- audit: event inventory
-- Answers: rows and first/last day per event name. Reads: events.
WITH {scope_cte}
SELECT event_name, count(*) AS n, min(event_date) AS first_day, max(event_date) AS last_day
FROM scope GROUP BY 1"""


def keys_sql(scope_cte: str) -> str:
    return f"""-- audit: property inventory
-- Answers: on how many rows of each event each property key appears, first/last day.
-- Reads: events (json_keys only: no value is materialized).
WITH {scope_cte},
keyed AS (SELECT event_name, event_date, unnest(json_keys(properties)) AS key FROM scope)
SELECT event_name, key, count(*) AS n, min(event_date) AS first_day, max(event_date) AS last_day
FROM keyed GROUP BY 1, 2"""


def ok_sql(v: str, spec: PropertySpec) -> str:
    """True when the JSON text ``v`` (not null) has the planned type."""
    t = spec.type
    if t == "string":
        parts = [f"left({v}, 1) = '\"'"]
        if spec.format == "uuid":
            parts.append(f"regexp_full_match({v}, {literal(chr(34) + patterns.UUID + chr(34))})")
        if spec.pattern:
            parts.append(
                f"regexp_full_match(json_extract_string({v}, '$'), {literal(spec.pattern)})"
            )
        return " AND ".join(parts)
    if t == "number":
        return f"regexp_full_match(left({v}, 1), '[-0-9]')"
    if t == "boolean":
        return f"{v} IN ('true', 'false')"
    if t == "datetime-ms":
        return f"regexp_full_match({v}, '[1-9][0-9]{{11,12}}')"
    if t == "list":
        return f"left({v}, 1) = '[' AND list_has_all(['VARCHAR'], json_type({v}, '$[*]'))"
    if t == "array":
        return f"left({v}, 1) = '['"
    if t == "object":
        return f"left({v}, 1) = '{{'"
    if t == "enum":
        values = ", ".join(literal(_scalar_text(x)) for x in spec.values or [])
        return f"json_extract_string({v}, '$') IN ({values})"
    return "true"


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _per_event_cases(by_event: dict[str, list[tuple[int, str]]]) -> tuple[str, str, str]:
    """The event IN-list, and CASE arms giving each event's property values and spec ids.

    One multi-path ``json_extract`` per row pulls only that event's properties, in the same
    order as its spec ids, so the two lists can be unnested side by side.
    """
    names = ", ".join(literal(e) for e in by_event)
    vals = " ".join(
        f"WHEN {literal(e)} THEN json_extract(properties, {prop_paths([p for _, p in specs])})"
        for e, specs in by_event.items()
    )
    ids = " ".join(
        f"WHEN {literal(e)} THEN [{', '.join(str(i) for i, _ in specs)}]"
        for e, specs in by_event.items()
    )
    return names, vals, ids


def declared_sql(
    scope_cte: str,
    by_event: dict[str, list[tuple[int, str]]],
    checks: dict[str, list[int]],
) -> str:
    """Per declared (event, property) -> ``spec_id``: presence, nulls and type mismatches.

    ``by_event``: event -> [(spec_id, property)]; ``checks``: type check SQL on ``v`` ->
    the spec ids it applies to. Each row extracts only its own event's declared properties.
    """
    names, vals, ids = _per_event_cases(by_event)
    ok = " ".join(
        f"WHEN spec_id IN ({', '.join(map(str, spec_ids))}) THEN ({expr})"
        for expr, spec_ids in checks.items()
    )
    return f"""-- audit: declared properties
-- Answers: per planned (event, property): rows, rows missing it (absent or null), rows whose
-- value has another type than planned, their first/last day and the commonest bad values.
-- Reads: events of planned event names.
WITH {scope_cte},
extracted AS (
  SELECT event_date, CASE event_name {vals} END AS vals, CASE event_name {ids} END AS ids
  FROM scope WHERE event_name IN ({names})),
pairs AS (SELECT event_date, unnest(ids) AS spec_id, unnest(vals)::VARCHAR AS v FROM extracted),
judged AS (SELECT event_date, spec_id, v, v IS NULL OR v = 'null' AS missing FROM pairs),
checked AS (
  SELECT *, NOT missing AND NOT coalesce(CASE {ok} ELSE true END, false) AS bad FROM judged),
grouped AS (
  SELECT spec_id, CASE WHEN bad THEN v END AS ex, count(*) AS n,
    count(*) FILTER (missing) AS missing,
    min(event_date) FILTER (missing) AS missing_first,
    max(event_date) FILTER (missing) AS missing_last,
    count(*) FILTER (bad) AS bad,
    min(event_date) FILTER (bad) AS bad_first, max(event_date) FILTER (bad) AS bad_last
  FROM checked GROUP BY 1, 2)
SELECT spec_id, sum(n), sum(missing), min(missing_first), max(missing_last), sum(bad),
  min(bad_first), max(bad_last), {top3("ex", "bad")} AS bad_examples
FROM grouped GROUP BY spec_id"""


def _classify(v: str, kinds: Sequence[tuple[str, str]], full: bool = False) -> str:
    fn = "regexp_full_match" if full else "regexp_matches"
    whens = " ".join(f"WHEN {fn}({v}, {literal(p)}) THEN {literal(k)}" for k, p in kinds)
    return f"CASE {whens} END"


def pii_values_sql(scope_cte: str, skip: Sequence[str]) -> str:
    """Values that look like personal data, per (event, property, kind).

    A cheap test on the whole ``properties`` text (an ``@``, or one combined regex) picks the
    few rows worth opening; only those are split into key/value pairs and classified.
    """
    others = "|".join(f"({p})" for k, p in patterns.PII_VALUE_PATTERNS if k != "email address")
    skipped = ", ".join(literal(s) for s in skip) or "''"
    return f"""-- audit: personal data in values
-- Answers: per (event, property, kind): rows whose value looks like an email address, an IP
-- address, a phone number or a street address; first/last day; the commonest values.
-- Reads: events (whole-text prefilter, then key/value pairs of matching rows only).
WITH {scope_cte},
hits AS (
  SELECT event_name, event_date, properties FROM scope
  WHERE contains(properties::VARCHAR, '@')
    OR regexp_matches(properties::VARCHAR, {literal(others)})),
pairs AS (
  SELECT event_name, event_date,
    unnest(map_entries(json_transform(properties, '"MAP(VARCHAR, JSON)"'))) AS kv FROM hits),
vals AS (
  SELECT event_name, event_date, kv.key AS key, kv.value::VARCHAR AS v FROM pairs
  WHERE kv.value IS NOT NULL AND kv.key NOT IN ({skipped})),
classified AS (
  SELECT *, {_classify("v", patterns.PII_VALUE_PATTERNS)} AS kind FROM vals),
grouped AS (
  SELECT event_name, key, kind, v, count(*) AS n, min(event_date) AS first_day,
    max(event_date) AS last_day
  FROM classified WHERE kind IS NOT NULL GROUP BY ALL)
SELECT event_name, key, kind, sum(n), min(first_day), max(last_day), {top3("v", "n")}
FROM grouped GROUP BY 1, 2, 3"""


def distinct_id_sql(
    scope_cte: str, allowed: Sequence[str], not_equal_to: Sequence[str], required: bool
) -> str:
    """distinct_ids that hold personal data, or break the identity rules, per event and problem."""
    accepted = "|".join(f"({p})" for p in allowed) or ".*"
    bare = (
        f"list_contains(json_extract_string(properties, {prop_paths(not_equal_to)}), id)"
        if not_equal_to
        else "false"
    )
    missing = "'missing'" if required else "NULL"
    return f"""-- audit: distinct_id rules
-- Answers: per (event, problem): distinct_ids that look like personal data, are missing,
-- equal a forbidden property (a bare organization id) or match no accepted shape.
-- Reads: events.
WITH {scope_cte},
ids AS (SELECT event_name, event_date, distinct_id AS id, properties FROM scope),
pii AS (SELECT *, {_classify("id", patterns.ID_PII_PATTERNS, full=True)} AS pii_kind FROM ids),
judged AS (
  SELECT event_name, event_date, id, pii_kind,
    CASE WHEN pii_kind IS NOT NULL THEN NULL
      WHEN id IS NULL OR id = '' THEN {missing}
      WHEN {bare} THEN 'equals ' || {literal(", ".join(not_equal_to))}
      WHEN NOT regexp_full_match(id, {literal(accepted)}) THEN 'matches no accepted shape'
    END AS problem
  FROM pii),
grouped AS (
  SELECT event_name, pii_kind, problem, id, count(*) AS n, min(event_date) AS first_day,
    max(event_date) AS last_day
  FROM judged WHERE pii_kind IS NOT NULL OR problem IS NOT NULL GROUP BY ALL)
SELECT event_name, pii_kind, problem, sum(n), min(first_day), max(last_day), {top3("id", "n")}
FROM grouped GROUP BY 1, 2, 3"""


def conditional_sql(
    scope_cte: str,
    condition: tuple[str, str],
    required: Sequence[tuple[str, PropertySpec]],
    events: Sequence[str] | None,
) -> str:
    """Rows meeting a rule's condition that lack a required property or carry the wrong type.

    ``condition``: (property, JSON text it must equal); ``required``: (property, spec).
    """
    props = [condition[0], *(name for name, _ in required)]
    only = f" WHERE event_name IN ({', '.join(literal(e) for e in events)})" if events else ""
    inner, outer, examples = [], [], []
    for i, (_, spec) in enumerate(required, start=2):
        bad = f"(vals[{i}] IS NULL OR vals[{i}] = 'null' OR NOT ({ok_sql(f'vals[{i}]', spec)}))"
        examples.append(f"CASE WHEN {bad} THEN coalesce(vals[{i}], '(absent)') END AS ex_{i}")
        inner.append(
            f"count(*) FILTER ({bad}) AS bad_{i}, min(event_date) FILTER ({bad}) AS first_{i}, "
            f"max(event_date) FILTER ({bad}) AS last_{i}"
        )
        outer.append(
            f"sum(bad_{i}), min(first_{i}), max(last_{i}), "
            + TOP3.format(v=f"ex_{i}", c=f"bad_{i}")
        )
    return f"""-- audit: conditional rule
-- Answers: per event: rows where {condition[0]} = {condition[1]}, and per required property the
-- rows lacking it or holding another type, first/last day and the commonest bad values.
-- Reads: events.
WITH {scope_cte},
extracted AS (
  SELECT event_name, event_date, json_extract(properties, {prop_paths(props)})::VARCHAR[] AS vals
  FROM scope{only}),
grouped AS (
  SELECT event_name, {", ".join(examples)}, count(*) AS n, {", ".join(inner)}
  FROM extracted WHERE vals[1] = {literal(condition[1])} GROUP BY ALL)
SELECT event_name, sum(n), {", ".join(outer)} FROM grouped GROUP BY 1"""


def examples_sql(scope_cte: str) -> str:
    """The commonest values of chosen (event, property) pairs (table ``wanted``)."""
    return f"""-- audit: example values
-- Answers: the three commonest values of each (event, property) in the registered table
-- `wanted` (event_name, key, path). Reads: events of those event names.
WITH {scope_cte},
vals AS (
  SELECT w.event_name, w.key, json_extract(s.properties, w.path)::VARCHAR AS v
  FROM scope s JOIN wanted w ON s.event_name = w.event_name),
grouped AS (SELECT event_name, key, v, count(*) AS n FROM vals WHERE v IS NOT NULL GROUP BY ALL)
SELECT event_name, key, {top3("v", "n")} AS examples FROM grouped GROUP BY 1, 2"""


def profile_sql(scope_cte: str, by_event: dict[str, list[tuple[int, str]]]) -> str:
    """Per observed (event, property) -> ``spec_id``: how its values are typed, for drafting."""
    names, vals, ids = _per_event_cases(by_event)
    uuid = literal(chr(34) + patterns.UUID + chr(34))
    return f"""-- audit: property profile (plan drafting)
-- Answers: per observed (event, property): rows with a non-null value, how many are text,
-- UUID text, booleans, numbers, Unix milliseconds, lists (of strings), objects, and the
-- commonest text values. Reads: events.
WITH {scope_cte},
extracted AS (
  SELECT CASE event_name {vals} END AS vals, CASE event_name {ids} END AS ids
  FROM scope WHERE event_name IN ({names})),
pairs AS (SELECT unnest(ids) AS spec_id, unnest(vals)::VARCHAR AS v FROM extracted),
typed AS (SELECT spec_id, v, left(v, 1) AS c FROM pairs WHERE v IS NOT NULL AND v <> 'null')
SELECT spec_id, count(*) AS present,
  count(*) FILTER (c = '"') AS strings,
  count(*) FILTER (c = '"' AND regexp_full_match(v, {uuid})) AS uuids,
  count(*) FILTER (v IN ('true', 'false')) AS booleans,
  count(*) FILTER (regexp_full_match(c, '[-0-9]')) AS numbers,
  count(*) FILTER (regexp_full_match(v, '[1-9][0-9]{{11,12}}')) AS millis,
  count(*) FILTER (c = '[') AS arrays,
  count(*) FILTER (c = '[' AND list_has_all(['VARCHAR'], json_type(v, '$[*]')))
    AS string_lists,
  count(*) FILTER (c = '{{') AS objects,
  approx_count_distinct(v) FILTER (c = '"') AS distinct_strings,
  approx_top_k(v, 11) FILTER (c = '"') AS top_strings
FROM typed GROUP BY spec_id"""
