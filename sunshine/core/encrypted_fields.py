"""Model fields for personal data encrypted at rest (sunshine.core.crypto).

``EncryptedCharField`` behaves like a CharField in Python (forms, max_length on the plain value, model code)
and stores ``crypto.encrypt(value)`` in a text column; reading decrypts. Its optional sibling
``KeyedHashField(source=…)`` holds ``crypto.keyed_hash`` of the plain value, filled in ``pre_save`` — so
save() and bulk_create fill it; code that writes the encrypted field with ``bulk_update`` or
``QuerySet.update`` must name the hash too (``hash_update``). ``IdFactsField(source=…)`` keeps the facts of an
ID number beside it in the same ways.

Lookups: ``exact`` and ``in`` on an encrypted field with a hash compile to the hash column with the hashed
value, so ``filter(id_number=x)``, ``filter(person__id_number=x)`` and ``get(...)`` keep working; ``= ""`` and
``isnull`` compare the stored column (the empty string is stored empty). Anything else (``icontains``,
``startswith``, ordering by the value) cannot work on ciphertext and is refused with a FieldError."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import lookups
from django.db.models.expressions import Col

from sunshine.core import crypto


class EncryptedCharField(models.CharField):
    """A CharField whose value is encrypted in the database; ``hash_field`` names its KeyedHashField."""

    description = "Encrypted text"

    def __init__(self, *args: Any, hash_field: str | None = None, **kwargs: Any) -> None:
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str | None:
        # A sealed 18-character ID is ~75 characters: text, whatever max_length says about the plain value.
        return models.TextField().db_type(connection)

    def get_internal_type(self) -> str:
        return "TextField"

    def cast_db_type(self, connection: Any) -> str | None:
        return self.db_type(connection)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return crypto.decrypt(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = super().get_db_prep_save(value, connection)
        if isinstance(value, str) and not crypto.is_sealed(value):
            return crypto.encrypt(value)
        return value

    def get_lookup(self, lookup_name: str) -> type[lookups.Lookup] | None:
        if lookup_name in ("exact", "in", "isnull"):
            return super().get_lookup(lookup_name)
        return None  # Django then raises FieldError: no partial search on ciphertext

    def hash_field_object(self) -> models.Field | None:
        return self.model._meta.get_field(self.hash_field) if self.hash_field else None


class EncryptedJSONField(models.JSONField):
    """A JSONField stored as one encrypted text (documents that carry ID numbers and phones: a case's applicant
    and payload, a finding's department rows). Read whole; no lookups into the document."""

    description = "Encrypted JSON"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str):
            value = crypto.decrypt(value)
        return super().from_db_value(value, expression, connection)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        if isinstance(value, models.Value):
            value = value.value
        return crypto.encrypt(self.plain_text(value))

    def plain_text(self, value: Any) -> str:
        """The document as the text that is sealed (``core.bulk.insert_objects`` seals a batch of them at once)."""
        return json.dumps(value, cls=self.encoder, ensure_ascii=False)

    def get_lookup(self, lookup_name: str) -> type[lookups.Lookup] | None:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name: str) -> Any:
        return None   # no key lookups into ciphertext


class DerivedField(models.CharField):
    """A text derived from the model's ``source`` field on every save (not edited by hand); ``DEFAULTS`` are the
    field options it has unless given, left out of migrations when unchanged."""

    DEFAULTS: tuple[tuple[str, Any], ...] = (("blank", True), ("editable", False))

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        for key, default in self.DEFAULTS:
            kwargs.setdefault(key, default)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in self.DEFAULTS:
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs


class KeyedHashField(DerivedField):
    """``crypto.keyed_hash`` of the model's ``source`` field, kept in step on every save and bulk_create."""

    DEFAULTS = (("max_length", 64), ("blank", True), ("editable", False))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = crypto.keyed_hash(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class IdFactsField(DerivedField):
    """The facts of the model's ``source`` ID number that the comparison's C-ID rule checks (well formed, birth
    date, check digit, gender), coded by ``sunshine.engine.comparison.prepare.id_fact_codes``, kept in step as
    the keyed hash is: so that a snapshot of a province's 2.3 M members reads them instead of decrypting every ID.
    They say no more than the registered birth date and gender already do; the number itself stays sealed."""

    DEFAULTS = (("max_length", 10), ("blank", True), ("editable", False), ("default", ""))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = fact_codes([getattr(model_instance, self.source)])[0]
        setattr(model_instance, self.attname, value)
        return value


def fact_codes(plain: list[str | None]) -> list[str]:
    """IdFactsField's value for each plain ID number."""
    import pyarrow as pa

    from sunshine.engine.comparison.prepare import id_fact_codes  # numpy and Arrow: not at model import

    return id_fact_codes(pa.array(plain, pa.string())).to_pylist()


def facts_fields(model: type[models.Model], source: str) -> list[IdFactsField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, IdFactsField) and f.source == source]


def hash_update(model: type[models.Model], **values: Any) -> dict[str, Any]:
    """``values`` for ``QuerySet.update`` with the hash of every encrypted field in it added."""
    out = dict(values)
    for name, value in values.items():
        f = model._meta.get_field(name)
        if isinstance(f, EncryptedCharField) and f.hash_field and isinstance(value, str):
            out[f.hash_field] = crypto.keyed_hash(value)
        if isinstance(f, EncryptedCharField) and isinstance(value, str):
            for facts in facts_fields(model, f.name):
                out[facts.name] = fact_codes([value])[0]
    return out


def _hash_side(lookup: lookups.Lookup) -> tuple[Col, Any] | None:
    """The hash column and the hashed right-hand side for a lookup on an encrypted field with a hash."""
    lhs = lookup.lhs
    field = getattr(lhs, "target", None)
    if not isinstance(lhs, Col) or not isinstance(field, EncryptedCharField) or not field.hash_field:
        return None
    return Col(lhs.alias, field.hash_field_object()), field


def _check_plain(field: EncryptedCharField, value: Any) -> None:
    if not isinstance(value, str):
        raise FieldError(f"加密字段 {field.name} 只能按完整的值精确查找")


@EncryptedCharField.register_lookup
class EncryptedExact(lookups.Exact):
    lookup_name = "exact"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [value]   # no encryption: the value is hashed (or is "") in as_sql

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if hasattr(self.rhs, "resolve_expression"):
            rhs_field = getattr(self.rhs, "target", None)
            side = _hash_side(self)
            if side and isinstance(self.rhs, Col) and isinstance(rhs_field, EncryptedCharField) \
                    and rhs_field.hash_field:
                return lookups.Exact(side[0], Col(self.rhs.alias, rhs_field.hash_field_object())).as_sql(
                    compiler, connection)
            raise FieldError("加密字段只能与值或另一加密字段比较")
        field = self.lhs.output_field
        _check_plain(field, self.rhs)
        side = _hash_side(self)
        if self.rhs == "" or side is None:
            if self.rhs != "":
                raise FieldError(f"加密字段 {field.name} 没有哈希列,只能判断是否为空")
            return lookups.Exact(self.lhs, models.Value("")).as_sql(compiler, connection)
        return lookups.Exact(side[0], models.Value(crypto.keyed_hash(self.rhs))).as_sql(compiler, connection)


@EncryptedCharField.register_lookup
class EncryptedIn(lookups.In):
    lookup_name = "in"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [value]

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise AssertionError("EncryptedIn compiles through the hash column")  # pragma: no cover

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        side = _hash_side(self)
        field = self.lhs.output_field
        if side is None or hasattr(self.rhs, "resolve_expression"):
            raise FieldError(f"加密字段 {field.name} 只能按完整值的列表查找")
        values = list(self.rhs)
        for v in values:
            _check_plain(field, v)
        hashes = sorted({crypto.keyed_hash(v) for v in values if v is not None})
        return lookups.In(side[0], hashes).as_sql(compiler, connection)


# Migrations ---------------------------------------------------------------------------------------------------

BATCH_ROWS = 2000


def _rewrite(apps: Any, schema_editor: Any, app_label: str, model_name: str, fields: dict[str, str | None],
             *, seal: bool) -> None:
    """Encrypt (``seal``) or decrypt every value of ``fields`` (name → hash field name or None) of one model,
    in batches by primary key, with raw SQL: the historical model's field would decrypt on read."""
    model = apps.get_model(app_label, model_name)
    meta = model._meta
    qn = schema_editor.connection.ops.quote_name
    pk = meta.pk.column
    columns = [meta.get_field(name).column for name in fields]
    hashes = [meta.get_field(h).column if (h and seal) else None for h in fields.values()]
    sets = [f"{qn(c)} = %s" for c in columns] + [f"{qn(h)} = %s" for h in hashes if h]
    names = ", ".join(qn(c) for c in columns)
    select = f"SELECT {qn(pk)}, {names} FROM {qn(meta.db_table)} WHERE {qn(pk)} > %s ORDER BY {qn(pk)}"  # noqa: S608
    update = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {qn(pk)} = %s"  # noqa: S608
    last: Any = -1
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(f"{select} LIMIT {BATCH_ROWS}", [last])
            rows = cursor.fetchall()
            if not rows:
                return
            params = []
            for row in rows:
                values = row[1:]
                plain = [crypto.decrypt(v) for v in values]
                out = [crypto.encrypt(p) if seal else p for p in plain]
                out += [crypto.keyed_hash(p) for p, h in zip(plain, hashes, strict=True) if h]
                params.append([*out, row[0]])
            cursor.executemany(update, params)
            last = rows[-1][0]


def seal_columns(app_label: str, models_fields: dict[str, dict[str, str | None]]) -> Any:
    """A reversible RunPython that encrypts the named fields (and fills their hashes) of the named models."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        for model_name, fields in models_fields.items():
            _rewrite(apps, schema_editor, app_label, model_name, fields, seal=True)

    def backward(apps: Any, schema_editor: Any) -> None:
        for model_name, fields in models_fields.items():
            _rewrite(apps, schema_editor, app_label, model_name, fields, seal=False)

    return migrations.RunPython(forward, backward, elidable=False)


# Raw bulk writes ----------------------------------------------------------------------------------------------

def _encrypted_columns(model: type[models.Model]) -> dict[str, EncryptedCharField]:
    return {f.column: f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)}


# Per thread: the importer seals the next chunk's rows in a thread of its own while its writing thread seals
# the updates of the chunk before, each inside its own block.
_sealing = threading.local()


@contextlib.contextmanager
def sealing_once() -> Iterator[None]:
    """Within this block (in this thread) ``seal_rows`` seals each distinct plain value once: a head's ID number
    gets the same ciphertext and hash as a person and as a household-year's head instead of being sealed twice.
    Equal values in one block are then visibly equal, as their keyed hashes already show for ID numbers."""
    outer = getattr(_sealing, "memo", None)
    _sealing.memo = {} if outer is None else outer
    try:
        yield
    finally:
        _sealing.memo = outer


def seal_rows(model: type[models.Model], columns: Any, rows: Any, *, trailing: int = 0) -> tuple[Any, Any]:
    """For raw INSERT/UPDATE code (database column names and value tuples): encrypt the values of encrypted
    columns and add their hash and ID-fact columns (before the last ``trailing`` values of each row, e.g. an
    UPDATE's key). Returns (columns, rows) unchanged when the model has no encrypted column among ``columns``."""
    encrypted = _encrypted_columns(model)
    positions = [i for i, c in enumerate(columns) if c in encrypted]
    if not positions:
        return columns, rows
    meta = model._meta
    hashed = [(i, meta.get_field(encrypted[columns[i]].hash_field).column) for i in positions
              if encrypted[columns[i]].hash_field]
    hash_columns = [c for _, c in hashed if c not in columns]
    hash_sources = [i for i, c in hashed if c not in columns]
    facts = [(i, f.column) for i in positions for f in facts_fields(model, encrypted[columns[i]].name)
             if f.column not in columns]
    fact_sources = [i for i, _ in facts]
    cut = len(columns) - trailing
    new_columns = (*columns[:cut], *hash_columns, *(c for _, c in facts), *columns[cut:])
    memo: dict[str, tuple[str, str]] | None = getattr(_sealing, "memo", None)

    def hash_of(value: str | None) -> str:
        hit = memo.get(value) if memo is not None and value else None
        return hit[1] if hit is not None else crypto.keyed_hash(value)

    def seal(row: tuple[Any, ...], codes: tuple[str, ...], cipher: Callable[[str], str]) -> tuple[Any, ...]:
        values = list(row)
        hashes = [hash_of(values[i]) for i in hash_sources]
        for i in positions:
            v = values[i]
            if v and not crypto.is_sealed(v):
                values[i] = cipher(v)
        return (*values[:cut], *hashes, *codes, *values[cut:])

    def seal_batch(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        # A batch's values are sealed at once (one key look-up, the nonces drawn together: per value the look-up
        # cost three times the AES-GCM), and their ID facts derived at once (Arrow).
        codes = [fact_codes([r[i] for r in batch]) for i in fact_sources]
        plain = [v for r in batch for i in positions if (v := r[i]) and not crypto.is_sealed(v)]
        if memo is not None:   # each distinct value once, with its hash (a row and its history row share them)
            fresh = [v for v in dict.fromkeys(plain) if v not in memo]
            for v, text in zip(fresh, crypto.encrypt_many(fresh), strict=True):
                memo[v] = (text, crypto.keyed_hash(v))
            known = memo

            def cipher(v: str) -> str:
                return known[v][0]
        else:   # every value its own ciphertext, in the order ``seal`` meets them
            texts = iter(crypto.encrypt_many(plain))

            def cipher(v: str) -> str:
                return next(texts)
        return [seal(r, tuple(c[k] for c in codes), cipher) for k, r in enumerate(batch)]

    if isinstance(rows, list):
        return new_columns, seal_batch(rows)

    def batches() -> Iterator[tuple[Any, ...]]:
        it = iter(rows)
        while batch := list(itertools.islice(it, 10_000)):
            yield from seal_batch(batch)
    return new_columns, batches()


# Key rotation -------------------------------------------------------------------------------------------------

def encrypted_fields() -> list[EncryptedCharField]:
    """Every encrypted field of every installed model, historical tables included."""
    from django.apps import apps

    return [f for model in apps.get_models() for f in model._meta.concrete_fields
            if isinstance(f, EncryptedCharField)]


def _key_expression(column: str) -> str:
    return f"CASE WHEN substr({column}, 9, 1) = ':' THEN substr({column}, 1, 8) ELSE '' END"


def count_by_key(f: EncryptedCharField) -> dict[str, int]:
    """How many non-empty values of the field each key id sealed ('' = not encrypted)."""
    from django.db import connection

    qn = connection.ops.quote_name
    key = _key_expression(qn(f.column))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, COUNT(*) FROM {qn(f.model._meta.db_table)} "  # noqa: S608 - model names
                       f"WHERE {qn(f.column)} <> '' GROUP BY {key}")
        return {k: n for k, n in cursor.fetchall()}


def reencrypt(f: EncryptedCharField, current: str, *, batch: int = BATCH_ROWS, rehash: bool = False) -> int:
    """Seal again under the ``current`` key every value of the field that another key sealed (or none), in
    batches, each its own transaction: an interrupted run is resumed by running it again. ``rehash`` also
    recomputes the field's keyed hash (after the HMAC key changed), for every row. Returns rows written."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    table, pk, col = qn(f.model._meta.db_table), qn(f.model._meta.pk.column), qn(f.column)
    hash_field = f.hash_field_object() if rehash else None
    where = f"{col} <> ''" if rehash else f"{col} <> '' AND {col} NOT LIKE %s"
    select = f"SELECT {pk}, {col} FROM {table} WHERE {where} AND {pk} > %s ORDER BY {pk}"  # noqa: S608
    sets = f"{col} = %s" + (f", {qn(hash_field.column)} = %s" if hash_field else "")
    update = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
    last: Any = -1
    written = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{select} LIMIT {int(batch)}", [last] if rehash else [f"{current}:%", last])
            rows = cursor.fetchall()
            if not rows:
                return written
            params = []
            for pk_value, text in rows:
                plain = crypto.decrypt(text)
                params.append([crypto.encrypt(plain), *([crypto.keyed_hash(plain)] if hash_field else []),
                               pk_value])
            cursor.executemany(update, params)
        written += len(rows)
        last = rows[-1][0]
