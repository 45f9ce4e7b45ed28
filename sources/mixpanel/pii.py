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
working directory included). It works on the whole ``properties`` column in one DuckDB
statement (one JSON parse per row, rows without a named property are passed through
untouched) instead of a Python loop, and also applies to the columns derived from a
property: ``distinct_id`` and promoted columns.

Hashing is keyed so nobody can rebuild the mapping from a list of candidate emails: the key
(``pii_salt``) is a secret read from dlt (``SOURCES__MIXPANEL__PII_SALT`` or ``pii_salt`` under
``[sources.mixpanel]`` in ``.dlt/secrets.toml``) or ``MP_PII_SALT``, never from pipelines.yaml.
``hash_value`` computes the same digest in Python, for joining other data to hashed columns.

Names are top-level property names, matched exactly. A hashed or masked property whose value
is JSON ``null`` is removed (it held nothing to protect).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from mixpanel_data.exceptions import ConfigError, register_secret

__all__ = ["PiiConfig", "PiiPolicy", "hash_value", "pii_policy", "resolve_salt"]

SALT_SETTING = "sources.mixpanel.pii_salt"
SALT_ENV = "MP_PII_SALT"
MIN_SALT_LENGTH = 16
_KEY_COLUMN = "distinct_id"  # the one property that is also a key column; only hashing keeps it
_SALT_HINT = (
    "set SOURCES__MIXPANEL__PII_SALT (or pii_salt under [sources.mixpanel] in "
    ".dlt/secrets.toml, or MP_PII_SALT) to at least 16 random characters, e.g. "
    "`python -c 'import secrets; print(secrets.token_hex(16))'`"
)
_local = threading.local()


class _PromotedLike(Protocol):
    prop: str
    column: str
    type: str


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
        return self

    @property
    def empty(self) -> bool:
        return not (self.drop or self.hash or self.mask)


def hash_value(salt: str, value: str) -> str:
    """The digest the policy stores for ``value``: HMAC-SHA256 keyed by ``salt``, lowercase hex.

    Strings are hashed as their text; other JSON values as their JSON text (``123``, ``true``).
    """
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


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
    if spec.hash:
        found = resolve_salt(salt)
        if not found:
            raise ConfigError(f"pii.hash needs a salt: {_SALT_HINT}.")
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


def _derived_columns(spec: PiiConfig, promoted: Iterable[_PromotedLike]) -> tuple[_Column, ...]:
    """Columns holding a copy of a named property: distinct_id and promoted columns."""
    action = {n: "drop" for n in spec.drop} | {n: "hash" for n in spec.hash}
    action |= {n: "mask" for n in spec.mask}
    out = [_Column(_KEY_COLUMN, "hash")] if _KEY_COLUMN in spec.hash else []
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
    _sql: dict[tuple[str, ...], str] = field(default_factory=dict, init=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return self.drop + self.hash + self.mask

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with the policy applied to ``properties`` and the derived columns."""
        if not isinstance(table, pa.Table) or table.num_rows == 0:
            return table
        targets = [c for c in self.columns if c.name in table.column_names]
        has_props = "properties" in table.column_names
        if not has_props and not targets:
            return table
        inputs = {f"c{i}": table.column(c.name) for i, c in enumerate(targets)}
        if has_props:
            inputs["p"] = table.column("properties")
        sql = self._statement(tuple(inputs), targets)
        con = _connection()
        con.register("pii_batch", pa.table(inputs))
        try:
            result = con.sql(sql).to_arrow_table()
        finally:
            con.unregister("pii_batch")
        out = table
        if has_props:
            out = _replace(out, "properties", result.column("p"))
        for i, column in enumerate(targets):
            out = _replace(out, column.name, result.column(f"c{i}"))
        return out

    def _statement(self, inputs: tuple[str, ...], targets: list[_Column]) -> str:
        """One statement per input shape: derived columns, then ``properties``."""
        cached = self._sql.get(inputs)
        if cached is None:
            selects = [_column_sql(f"c{i}", c.action, self._hmac) for i, c in enumerate(targets)]
            source = "pii_batch"
            if "p" in inputs:
                paths = "[" + ", ".join(_literal(_json_path(n)) for n in self.names) + "]"
                source = f"(SELECT *, json_extract(p, {paths}) AS v FROM pii_batch)"
                selects.append(f"{self._properties_sql()} AS p")
            cached = f"SELECT {', '.join(selects)} FROM {source}"
            self._sql[inputs] = cached
        return cached

    def _properties_sql(self) -> str:
        """One merge patch on the rows holding a named property (``v``: their values).

        A JSON merge patch removes keys set to null and replaces the others, so absent
        properties stay absent and every other key is untouched.
        """
        entries = []
        for i, name in enumerate(self.names, start=1):
            value, text = f"v[{i}]", f"json_extract_string(v[{i}], '$')"
            if name in self.drop:
                patch = "NULL::JSON"
            elif name in self.hash:
                patch = f"to_json({self._hmac(text)})"
            else:
                patch = f"to_json({_mask_sql(text, value)})"
            entries.append(f"{_literal(name)}, {patch}")
        found = " OR ".join(f"v[{i}] IS NOT NULL" for i in range(1, len(self.names) + 1))
        return (
            f"CASE WHEN {found} THEN json_merge_patch(p, json_object({', '.join(entries)}))"
            "::VARCHAR ELSE p END"
        )

    def _hmac(self, text_sql: str) -> str:
        """HMAC-SHA256 (RFC 2104) in DuckDB SQL; equals ``hash_value(salt, text)``."""
        key = self.key if len(self.key) <= 64 else hashlib.sha256(self.key).digest()
        key = key.ljust(64, b"\0")
        inner = bytes(b ^ 0x36 for b in key).hex()
        outer = bytes(b ^ 0x5C for b in key).hex()
        return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({text_sql}))))"


def _column_sql(name: str, action: str, hmac_sql: Any) -> str:
    if action == "drop":
        return f"NULL::VARCHAR AS {name}"
    if action == "hash":
        return f"{hmac_sql(name)} AS {name}"
    return f"{_mask_sql(name, None)} AS {name}"


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


def _json_path(prop: str) -> str:
    return '$."' + prop.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connection() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per thread (the map step may run in several extract threads)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        con.execute("SET threads = 2")
        _local.con = con
    return con
