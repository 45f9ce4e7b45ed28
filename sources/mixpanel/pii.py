"""Load-time PII policy: drop, hash or mask named properties before anything is written.

A team that must keep personal data out of its warehouse names the properties in
``pipelines.yaml`` (or passes ``pii=`` to ``mixpanel_source``)::

    pipelines:
      events:
        options:
          pii:
            drop: [$email, phone_number]   # removed
            hash: [distinct_id, user_email]  # keyed HMAC-SHA256, hex: joins still work
            mask: [$name]                  # "***" ("***@domain" for an email)

The policy runs on every Arrow table the ``events`` and ``profiles`` resources yield, before
dlt writes its first intermediate file, so a dropped value never touches the disk (dlt's
working directory included). Events tables get it inside the fetcher's parse threads
(``protect``), off dlt's single extract thread; the resources' map step applies it to anything
else. It works on whole columns in DuckDB, not in a Python loop: one statement pulls the named
values (one JSON parse per row), one JSON merge patch rewrites only the rows holding one, and
hashes are computed once per distinct value. The columns derived from a property follow it:
``distinct_id``, ``insert_id`` and promoted columns. Keys derived from protected values
(``event_key``, the day fingerprints) are keyed too (``pii_keys``), and the policy's fingerprint
in the pipeline state keeps two hash families out of one table (``pii_state``). Measured
(``benchmarks/audit_bench.py pii``): about 3 us per ~450-byte event for ``hash: [distinct_id]``
plus one drop, 11 us per ~1.2 KB event for six names; the load's wall time hardly moves because
the parse threads absorb it.

Hashing is keyed so nobody can rebuild the mapping from a list of candidate emails: the key
(``pii_salt``) is a secret read from dlt (``SOURCES__MIXPANEL__PII_SALT`` or ``pii_salt`` under
``[sources.mixpanel]`` in ``.dlt/secrets.toml``) or ``MP_PII_SALT``, never from pipelines.yaml.
``hash_value`` computes the same digest in Python, for joining other data to hashed columns.
Any policy uses the salt when one is set; ``hash`` and naming ``$insert_id`` need it.

Names are top-level property names, matched exactly. A hashed or masked property whose value
is JSON ``null`` is removed (it held nothing to protect). ``time`` and ``mp_processing_time_ms``
cannot be named: ``event_time``, ``event_date`` and ``mp_processing_time_ms`` are built from
them and stay.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from mixpanel_data.exceptions import ConfigError, register_secret
from mixpanel_data.local.connection import ThreadConnections
from mixpanel_data.local.sqltext import json_path, literal, path_list
from mixpanel_data.sources.mixpanel.pii_keys import KeyProtection

__all__ = ["PiiConfig", "PiiPolicy", "hash_value", "pii_policy", "protect", "resolve_salt"]

SALT_SETTING = "sources.mixpanel.pii_salt"
SALT_ENV = "MP_PII_SALT"
MIN_SALT_LENGTH = 16
_PYTHON_HASH_LIMIT = 2000  # distinct values hashed in Python; more go to DuckDB
_MARK = b"mixpanel_data.pii"  # schema metadata: the policy was applied in the parse threads
_KEY_COLUMN = "distinct_id"  # the one property that is also a key column; only hashing keeps it
_INSERT_ID = "$insert_id"  # part of each event's key and its own column (insert_id)
_TIMES = ("time", "mp_processing_time_ms")
"""Properties the events table keeps as columns (``event_time``, ``event_date``, ...)."""
_SALT_HINT = (
    "set SOURCES__MIXPANEL__PII_SALT (or pii_salt under [sources.mixpanel] in "
    ".dlt/secrets.toml, or MP_PII_SALT) to at least 16 random characters, e.g. "
    "`python -c 'import secrets; print(secrets.token_hex(16))'`"
)
_CONNECTIONS = ThreadConnections(threads=1)
"""The policy runs in every parse thread, one table per thread: one DuckDB thread each."""


class _PromotedLike(Protocol):
    """A promoted column (``events_arrow.Promoted``, a frozen dataclass: read-only fields)."""

    @property
    def prop(self) -> str: ...

    @property
    def column(self) -> str: ...

    @property
    def type(self) -> str: ...


class PiiConfig(BaseModel):
    """The ``pii`` mapping of a pipeline: property names per action."""

    model_config = ConfigDict(extra="forbid")
    drop: list[str] = []
    hash: list[str] = []
    mask: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _no_salt_here(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for key in value:
                if "salt" in str(key).lower():
                    raise ValueError(f"the PII salt is a secret, not a pii option: {_SALT_HINT}")
                if key not in ("drop", "hash", "mask"):
                    raise ValueError(f"unknown key {key!r}: use drop, hash or mask")
        return value

    @field_validator("drop", "hash", "mask", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("expected a list of property names")
        return value

    @model_validator(mode="after")
    def _one_action_each(self) -> PiiConfig:
        seen: dict[str, str] = {}
        for action in ("drop", "hash", "mask"):
            for name in getattr(self, action):
                if name in seen and seen[name] != action:
                    raise ValueError(
                        f"{name!r} is in both pii.{seen[name]} and pii.{action}: keep it in one"
                    )
                seen[name] = action
        if seen.get(_KEY_COLUMN, "hash") != "hash":
            raise ValueError(
                "distinct_id is the key of events and profiles: hash it (pii.hash) instead"
            )
        for name in _TIMES:
            if name in seen:
                raise ValueError(
                    f"{name} is the event's timestamp, kept as a column (event_time, event_date, "
                    f"mp_processing_time_ms): remove it from pii.{seen[name]}"
                )
        return self

    @property
    def empty(self) -> bool:
        return not (self.drop or self.hash or self.mask)


def hash_value(salt: str, value: str) -> str:
    """The digest the policy stores for ``value``: HMAC-SHA256 keyed by ``salt``, lowercase hex.

    Strings are hashed as their text; other JSON values as their JSON text (``123``, ``true``).
    """
    return _digest(salt.encode(), value)


def resolve_salt(explicit: str | None = None) -> str | None:
    """The PII salt: an explicit value, dlt secrets (``sources.mixpanel.pii_salt``), MP_PII_SALT."""
    salt = explicit
    if not salt:
        import dlt

        try:
            salt = dlt.secrets.get(SALT_SETTING)
        except Exception:  # a provider that cannot be read is the same as no salt there
            salt = None
    salt = salt or os.environ.get(SALT_ENV)
    return str(salt) if salt else None


def pii_policy(
    config: PiiConfig | Mapping[str, Any] | None,
    promoted: Iterable[_PromotedLike] = (),
    salt: str | None = None,
) -> PiiPolicy | None:
    """Validate ``config`` into a policy (None when it names nothing); one-line errors."""
    if config is None:
        return None
    try:
        spec = config if isinstance(config, PiiConfig) else PiiConfig.model_validate(config)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"pii{'.' + where if where else ''}: {message}.") from None
    if spec.empty:
        return None
    key = b""
    found = resolve_salt(salt)
    if not found:
        if spec.hash:
            raise ConfigError(f"pii.hash needs a salt: {_SALT_HINT}.")
        if _INSERT_ID in spec.drop + spec.mask:
            action = "drop" if _INSERT_ID in spec.drop else "mask"
            raise ConfigError(
                f"pii.{action} names $insert_id, part of each event's key, which is then keyed "
                f"with the PII salt: {_SALT_HINT}."
            )
    else:
        if len(found) < MIN_SALT_LENGTH:
            raise ConfigError(f"The PII salt is {len(found)} characters, too short: {_SALT_HINT}.")
        register_secret(found)
        key = found.encode()
    return PiiPolicy(
        drop=tuple(spec.drop),
        hash=tuple(spec.hash),
        mask=tuple(spec.mask),
        key=key,
        columns=_derived_columns(spec, promoted),
    )


P = TypeVar("P")


def protect(parser: P, policy: PiiPolicy | None) -> P:
    """``parser`` whose tables come out with ``policy`` applied, inside the parse threads.

    The events fetcher parses export batches in several threads at once; applying the policy
    there keeps it off dlt's single extract thread, so it costs CPU but hardly any wall time.
    The ``events`` resource's map step (``PiiPolicy.apply``) still sees every table and
    protects any that did not come through here.
    """
    return parser if policy is None else cast(P, _ProtectedParser(parser, policy))


class _ProtectedParser:
    """Delegates everything to a parser; ``parse`` also applies the policy and marks the table."""

    def __init__(self, parser: Any, policy: PiiPolicy) -> None:
        self._parser = parser
        self._policy = policy

    def parse(
        self, data: bytes | bytearray, seen: dict[str, int] | None = None, tally: Any = None
    ) -> pa.Table:
        return self._protected(self._parser.parse(data, seen, tally))

    def parse_file(
        self, path: str, seen: dict[str, int] | None = None, tally: Any = None
    ) -> Iterator[pa.Table]:
        for table in self._parser.parse_file(path, seen, tally):
            yield self._protected(table)

    def _protected(self, table: pa.Table) -> pa.Table:
        table = self._policy._protect(table)
        metadata = dict(table.schema.metadata or {})
        metadata[_MARK] = b"1"
        return table.replace_schema_metadata(metadata)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._parser, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ProtectedParser, (self._parser, self._policy))


def _derived_columns(spec: PiiConfig, promoted: Iterable[_PromotedLike]) -> tuple[_Column, ...]:
    """Columns holding a copy of a named property: distinct_id and promoted columns."""
    action = {n: "drop" for n in spec.drop} | {n: "hash" for n in spec.hash}
    action |= {n: "mask" for n in spec.mask}
    out = [_Column(_KEY_COLUMN, "hash")] if _KEY_COLUMN in spec.hash else []
    if _INSERT_ID in action:
        out.append(_Column("insert_id", action[_INSERT_ID]))
    for item in promoted:
        todo = action.get(item.prop)
        if todo is None:
            continue
        if todo != "drop" and item.type != "text":
            raise ConfigError(
                f"promote: {item.prop!r} is in pii.{todo}, which stores text: "
                f"promote it as text, or not at all."
            )
        out.append(_Column(item.column, todo))
    return tuple(out)


@dataclass(frozen=True)
class _Column:
    name: str
    action: str


@dataclass(frozen=True)
class PiiPolicy:
    """A validated policy, ready to apply to Arrow tables (``apply`` is the dlt map step)."""

    drop: tuple[str, ...] = ()
    hash: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()
    key: bytes = field(default=b"", repr=False)
    columns: tuple[_Column, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.drop + self.hash + self.mask

    @property
    def keys(self) -> KeyProtection:
        """How event keys are made under this policy (``pii_keys``)."""
        return KeyProtection(key=self.key, hidden=frozenset(self.drop + self.mask))

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with the policy applied to ``properties`` and the derived columns.

        A table the parse threads already protected (``protect``) carries a schema marker: the
        marker is removed and the table passed on, so this map step is also the safety net
        for any table that did not come through the protected parser.
        """
        if not isinstance(table, pa.Table):
            return table
        metadata = dict(table.schema.metadata or {})
        if metadata.pop(_MARK, None) is not None:
            return table.replace_schema_metadata(metadata or None)
        return self._protect(table)

    def _protect(self, table: pa.Table) -> pa.Table:
        if table.num_rows == 0:
            return table
        out = table
        for column in self.columns:
            if column.name in out.column_names:
                values = self._column(out.column(column.name), column.action)
                out = _replace(out, column.name, values)
        if "properties" in out.column_names:
            out = _replace(out, "properties", self._properties(out.column("properties")))
        return out

    def _column(self, values: pa.ChunkedArray, action: str) -> pa.Array:
        if action == "drop":
            return pa.nulls(len(values), pa.string())
        if action == "hash":
            return self._digests(values)
        masked = _query(f"SELECT {_mask_sql('c', None)} AS c FROM pii_batch", {"c": values})
        return masked.column("c").combine_chunks()

    def _properties(self, props: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """Two statements: pull the named values (one parse per row), then patch the rows that
        hold one. Hashes are computed in between, once per distinct value."""
        paths = path_list(json_path(n) for n in self.names)
        hashed = [i for i, n in enumerate(self.names, start=1) if n in self.hash]
        found = " OR ".join(f"v[{i}] IS NOT NULL" for i in range(1, len(self.names) + 1))
        texts = "".join(f", json_extract_string(v[{i}], '$') AS s{i}" for i in hashed)
        pulled = _query(
            f"SELECT v, ({found}) AS hit{texts} "
            f"FROM (SELECT json_extract(p, {paths}) AS v FROM pii_batch)",
            {"p": props},
        )
        hit = pulled.column("hit").combine_chunks()
        if not pc.any(hit).as_py():
            return props
        inputs = {"p": props, "v": pulled.column("v")}
        inputs |= {f"h{i}": self._digests(pulled.column(f"s{i}")) for i in hashed}
        rows = pa.table(inputs).filter(hit)
        patched = _query(f"SELECT {self._patch_sql()} AS p FROM pii_batch", rows).column("p")
        original = props.combine_chunks()
        return pc.replace_with_mask(original, hit, patched.combine_chunks().cast(original.type))

    def _patch_sql(self) -> str:
        """A JSON merge patch: keys set to null are removed, the others replaced; every other
        key is untouched and an absent property stays absent."""
        entries = []
        for i, name in enumerate(self.names, start=1):
            if name in self.drop:
                patch = "NULL::JSON"
            elif name in self.hash:
                patch = f"to_json(h{i})"
            else:
                text = f"json_extract_string(v[{i}], '$')"
                patch = f"to_json({_mask_sql(text, f'v[{i}]')})"
            entries.append(f"{literal(name)}, {patch}")
        return f"json_merge_patch(p, json_object({', '.join(entries)}))::VARCHAR"

    def _digests(self, values: pa.ChunkedArray | pa.Array) -> pa.Array:
        """HMAC-SHA256 hex of each value (null stays null), once per distinct value: in Python
        for a few values, else in DuckDB (which runs without the GIL, beside the other threads).
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.type != pa.string():
            values = values.cast(pa.string())
        distinct = pc.unique(values)
        if len(distinct) <= _PYTHON_HASH_LIMIT:
            digests = pa.array(
                [None if v is None else _digest(self.key, v) for v in distinct.to_pylist()],
                type=pa.string(),
            )
        else:  # HMAC-SHA256 in DuckDB; equals hash_value (a test holds them equal)
            keyed = KeyProtection(key=self.key)
            sql = f"SELECT {keyed.sql('u')} AS h FROM pii_batch"
            digests = _query(sql, {"u": distinct}, keyed.params()).column("h").combine_chunks()
        return pc.take(digests, pc.index_in(values, value_set=distinct))


def _digest(key: bytes, value: str) -> str:
    return hmac.digest(key, value.encode(), "sha256").hex()


def _query(
    sql: str, inputs: dict[str, Any] | pa.Table, params: dict[str, bytes] | None = None
) -> pa.Table:
    """Run ``sql`` over ``inputs`` registered as ``pii_batch`` on this thread's DuckDB."""
    con = _CONNECTIONS.get()
    con.register("pii_batch", inputs if isinstance(inputs, pa.Table) else pa.table(inputs))
    try:
        return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        con.unregister("pii_batch")


def _mask_sql(text_sql: str, json_sql: str | None) -> str:
    """``***``, or ``***@domain`` for a string that looks like an email address."""
    is_string = f"left({json_sql}::VARCHAR, 1) = '\"' AND " if json_sql else ""
    return (
        f"CASE WHEN {text_sql} IS NULL THEN NULL "
        f"WHEN {is_string}regexp_full_match({text_sql}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') "
        f"THEN '***@' || split_part({text_sql}, '@', 2) ELSE '***' END"
    )


def _replace(table: pa.Table, name: str, column: pa.ChunkedArray) -> pa.Table:
    index = table.schema.get_field_index(name)
    original = table.schema.field(index)
    if original.type != column.type:
        column = (
            column.cast(original.type)
            if column.null_count < len(column)
            else pa.nulls(len(column), original.type)
        )
    return table.set_column(index, original, column)
