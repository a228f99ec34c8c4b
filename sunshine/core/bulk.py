"""The one set-based write path for large loads (the registry importer, the demo generator): rows as tuples of
values in column order, one statement per table and chunk, on SQLite and PostgreSQL.

The ORM's bulk_create is far too slow at this size (SQLite allows 999 parameters per statement, so 49 rows of a
20-column table per INSERT, and every value goes through a field method), and model signals would write a history
row per object. Here rows are inserted with ``executemany`` on SQLite's raw connection or ``COPY`` on PostgreSQL
(binary with the column types given, or text when the values are already in the database's text form), under
primary keys either reserved beforehand (``IdAllocator``) or chosen by the caller (then ``lock_tables`` before and
``reset_sequences`` after). Lists of keys are passed as one parameter (``any_of``: a JSON array on SQLite, an
array on PostgreSQL), so a lookup of 10,000 ID numbers is one query whatever the database's parameter limit.

Encrypted columns (ID numbers, phones) are sealed on the way in (sunshine.core.encrypted_fields.seal_rows)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils import timezone

from sunshine.core.crypto import encrypt_many
from sunshine.core.encrypted_fields import (
    EncryptedCharField,
    EncryptedJSONField,
    IdFactsField,
    KeyedHashField,
    seal_rows,
)
from sunshine.core.sql import inner_sql

UPDATE_BATCH = 1000  # rows per UPDATE … FROM (VALUES …) statement on PostgreSQL

PG_TYPES = {"bigint": "int8", "integer": "int4", "smallint": "int2", "boolean": "bool", "numeric": "numeric",
            "timestamp with time zone": "timestamptz", "date": "date", "varchar": "varchar", "text": "text",
            "jsonb": "jsonb", "uuid": "uuid", "double precision": "float8"}


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def columns(model: type[models.Model], field_names: Sequence[str]) -> list[str]:
    """Database column names of the given field names (``household`` → ``household_id``)."""
    return [model._meta.get_field(name).column for name in field_names]


@contextmanager
def large_cache(megabytes: int = 256) -> Iterator[None]:
    """On SQLite, a larger page cache while loading: the unique indexes (ID numbers, 户编号) are written in random
    order, and SQLite's default 2 MB cache makes that twice as slow. Restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    before = connection.connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.connection.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        connection.connection.execute(f"PRAGMA cache_size = {int(before)}")


def any_of(values: Iterable[Any], kind: str = "text") -> RawSQL:
    """A subquery of the given values, for ``filter(field__in=any_of(values))``: one bound parameter."""
    values = list(values)
    if connection.vendor == "postgresql":
        cast = "bigint" if kind == "int" else "text"
        return RawSQL(f"SELECT unnest(%s::{cast}[])", (array_literal(values, kind),))  # noqa: S611 - the cast is ours
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))  # noqa: S611


def array_literal(values: list[Any], kind: str = "text") -> str | list[Any]:
    """``values`` as the text of a PostgreSQL array ('{1,2}', '{"a","b"}'), made by joining in C: psycopg
    adapts a Python list element by element in Python, 27 ms for a chunk's 15,000 ID hashes (a tenth of a
    province's import went there). Values that are neither ints nor strings are passed on as the list."""
    try:
        if kind == "int":
            return "{" + ",".join(map(str, map(int, values))) + "}"
        whole = "".join(values)
    except (TypeError, ValueError):
        return values
    if "\\" in whole or '"' in whole:
        # Rare (household numbers are free text): escape element by element.
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    return '{"' + '","'.join(values) + '"}' if values else "{}"


# Keys -----------------------------------------------------------------------------------------------------------

class IdAllocator:
    """Primary keys for new rows of one table, reserved before the rows are inserted.

    PostgreSQL: taken from the table's identity sequence (safe alongside other writers).
    SQLite: counted on from the highest key ever used (the table's row in sqlite_sequence, so the keys of deleted
    rows, which their history still names, are never reused); the load's IMMEDIATE transaction holds the
    database's write lock, so nobody else inserts meanwhile."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.next: int | None = None
        self.sequence: str | None = None

    def take(self, n: int) -> list[int]:
        if n == 0:
            return []
        pk = self.model._meta.pk.column
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                if self.sequence is None:  # looked up once: per row it cost eight times the nextval itself
                    cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.model._meta.db_table, pk])
                    self.sequence = cur.fetchone()[0]
                cur.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, n])
                return [r[0] for r in cur.fetchall()]
            if self.next is None:
                cur.execute(f"SELECT COALESCE(MAX({q(pk)}), 0) FROM {table(self.model)}")  # noqa: S608
                highest = cur.fetchone()[0]
                cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.model._meta.db_table])
                row = cur.fetchone()
                self.next = max(highest, row[0] if row else 0) + 1
        start = self.next
        self.next += n
        return list(range(start, start + n))


def next_pk(model: type[models.Model]) -> int:
    """One more than the highest key in the table: where a caller that chooses its own keys starts counting."""
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def lock_tables(bulk_models: Sequence[type[models.Model]]) -> None:
    """On PostgreSQL, keep other writers out of tables we give explicit keys in, until commit: their INSERTs would
    otherwise take sequence values we are using. SQLite's IMMEDIATE transaction already holds the write lock."""
    if connection.vendor != "postgresql" or not bulk_models:
        return
    with connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {', '.join(table(m) for m in bulk_models)} IN EXCLUSIVE MODE")


def reset_sequences(bulk_models: Sequence[type[models.Model]]) -> None:
    """After inserting explicit keys, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(bulk_models))
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


def analyze(bulk_models: Sequence[type[models.Model]]) -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts: without it the next queries in the same
    transaction (before autovacuum runs) are planned for empty tables — nested loops that took minutes on a few
    thousand rows. SQLite's planner does not depend on such statistics."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for model in bulk_models:
            cur.execute(f"ANALYZE {table(model)}")  # noqa: S608 - model names


GROWTH = 0.1   # autovacuum's default analyze scale factor: a table grown this much is analysed soon anyway
MIN_ROWS = 10_000   # below this the planner's guesses do no harm


def known_rows(bulk_models: Sequence[type[models.Model]]) -> dict[type[models.Model], float]:
    """The row count each table's statistics know (pg_class.reltuples; 0 when never analysed)."""
    with connection.cursor() as cur:
        cur.execute("SELECT relname, greatest(reltuples, 0) FROM pg_class WHERE oid = ANY(%s::regclass[])",
                    [[m._meta.db_table for m in bulk_models]])
        by_table = dict(cur.fetchall())
    return {m: float(by_table.get(m._meta.db_table, 0)) for m in bulk_models}


def analyze_grown(added: dict[type[models.Model], int]) -> None:
    """ANALYZE each table that a bulk write has just grown by a tenth or more of what its statistics know (and
    by MIN_ROWS at least). Until autovacuum gets to it — half a minute after the commit on a province, never
    inside the writing transaction — the next statements are planned from the old statistics: right after a
    third year's import its 2.3 M members were planned as one row (nested loops, 23 s instead of 15), and an
    indicator refresh right after a run read its 730,609 results as 1,520. SQLite: nothing."""
    added = {m: n for m, n in added.items() if n >= MIN_ROWS}
    if connection.vendor != "postgresql" or not added:
        return
    known = known_rows(list(added))
    analyze([m for m, n in added.items() if n >= GROWTH * known[m]])   # reltuples: before this write


class Statistics:
    """Keeps PostgreSQL's planner statistics in step with tables that a long load grows.

    A load's own queries (the importer looks up the rows it is about to write, a chunk at a time) are planned
    from the statistics of the last ANALYZE; autovacuum cannot see the load's uncommitted rows, so a province's
    first year was planned as if the tables were empty: a look-up of 5,000 households' members took 0.7 s instead
    of milliseconds, by a sequential scan and a hash join over everything inserted so far. ANALYZE inside the
    transaction counts the rows the transaction itself inserted, so a table is analysed again whenever the load
    has doubled it since its statistics were taken (a handful of times, whatever the size). SQLite: nothing."""

    MIN_ROWS = MIN_ROWS

    def __init__(self, bulk_models: Sequence[type[models.Model]]) -> None:
        self.rows: dict[type[models.Model], float] = {}
        self.analysed: dict[type[models.Model], float] = {}
        if connection.vendor != "postgresql":
            return
        for model, known in known_rows(bulk_models).items():
            self.rows[model] = self.analysed[model] = known

    def grew(self, added: dict[type[models.Model], int]) -> None:
        """Count rows the load has inserted; ANALYZE the tables that doubled since they were last analysed."""
        stale = []
        for model, n in added.items():
            if model not in self.rows:
                continue
            self.rows[model] += n
            if self.rows[model] >= max(2 * self.analysed[model], self.MIN_ROWS):
                stale.append(model)
                self.analysed[model] = self.rows[model]
        analyze(stale)

    def finish(self) -> None:
        """At the end of the load: ANALYZE the tables grown by a tenth since last analysed (a third year's import
        never doubles its tables, so ``grew`` never analysed them)."""
        stale = [m for m in self.rows if self.rows[m] - self.analysed[m] >= max(GROWTH * self.analysed[m],
                                                                                  self.MIN_ROWS)]
        for model in stale:
            self.analysed[model] = self.rows[model]
        analyze(stale)


# Writes ---------------------------------------------------------------------------------------------------------

def pg_types(model: type[models.Model], column_names: Sequence[str]) -> list[str]:
    """PostgreSQL type names of the given columns (for binary COPY)."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for column in column_names:
        db_type = by_column[column].db_type(connection) or ""
        out.append(PG_TYPES[db_type.split("(")[0].strip()])
    return out


def insert(model: type[models.Model], column_names: Sequence[str], rows: Iterable[tuple[Any, ...]], *,
           binary: bool = True, sealed: bool = False) -> None:
    """INSERT rows (tuples of values in ``column_names`` order; database column names). ``rows`` may be a generator:
    it is consumed once. On PostgreSQL ``binary`` COPY needs values of the columns' Python types (a date, not its
    ISO text) and is three times faster than text COPY, where psycopg must find a dumper for every value; pass
    ``binary=False`` for values already in the database's text form (the demo generator's ISO dates).
    ``sealed``: the columns and rows are what ``seal_rows`` made of them (encrypted, with their hashes) already."""
    if isinstance(rows, Sequence) and not rows:
        return
    written = [len(rows) if isinstance(rows, Sequence) else 0]
    _write(model, column_names, rows if isinstance(rows, Sequence) else _counting(rows, written), binary=binary,
           sealed=sealed)
    analyze_grown({model: written[0]})


def _counting(rows: Iterable[tuple[Any, ...]], written: list[int]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        written[0] += 1
        yield row


def _write(model: type[models.Model], column_names: Sequence[str], rows: Iterable[tuple[Any, ...]], *,
           binary: bool, sealed: bool = False) -> None:
    if not sealed:
        column_names, rows = seal_rows(model, tuple(column_names), rows)  # ID numbers and phones stored encrypted
    cols = ", ".join(q(c) for c in column_names)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        marks = ", ".join("?" * len(column_names))
        # The raw sqlite3 connection: Django's cursor wrapper would rewrite the SQL for every row.
        connection.connection.executemany(f"INSERT INTO {table(model)} ({cols}) VALUES ({marks})", rows)  # noqa: S608
        return
    with connection.cursor() as cur:
        raw = cur.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
            options = " (FORMAT BINARY)" if binary else ""
            with raw.copy(f"COPY {table(model)} ({cols}) FROM STDIN{options}") as copy:
                if binary:
                    copy.set_types(pg_types(model, column_names))
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(column_names))
        cur.executemany(f"INSERT INTO {table(model)} ({cols}) VALUES ({marks})", list(rows))  # noqa: S608


# Python types that a field of these classes saves unchanged (its get_db_prep_save is the identity for them on
# every database): such values skip the per-value call, which was most of the time a province's run spent in
# storing its 150,000 findings. Anything else (other types, JSON, decimals, datetimes) still goes through it.
_PASS_THROUGH: tuple[tuple[type[models.Field], tuple[type, ...]], ...] = (
    (models.BooleanField, (bool,)),
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.IntegerField, (int,)),
    (models.FloatField, (float,)),
    (models.ForeignKey, (int,)),
)
_IMMUTABLE = frozenset({dt.date, dt.datetime, Decimal, str, int, float})
_CONVERTING = ("pre_save", "get_prep_value", "get_db_prep_value", "get_db_prep_save", "to_python")


def _saver(field: models.Field, now: dt.datetime, today: dt.date) -> Callable[[models.Model], Any]:
    """The value ``field`` of an object is saved as, the way ``pre_save`` + ``get_db_prep_save`` give it."""
    attname = field.attname
    if isinstance(field, EncryptedCharField):  # in plain: ``insert`` seals it
        return lambda obj: getattr(obj, attname)
    if isinstance(field, EncryptedJSONField):  # in plain: ``insert_objects`` seals the column at once
        return lambda obj: None if (found := getattr(obj, attname)) is None else field.plain_text(found)
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save stamps the object (DateTimeField with timezone.now(), DateField with today); here one stamp
        # for the whole insert, put on every object as pre_save would
        when = now if isinstance(field, models.DateTimeField) else today
        stamp = field.get_db_prep_save(when, connection)

        def stamped(obj: models.Model) -> Any:
            setattr(obj, attname, when)
            return stamp
        return stamped
    # JSON, a field with its own pre_save and our own fields (encrypted JSON is a TextField): the ORM's way
    if (isinstance(field, models.JSONField) or type(field).pre_save is not models.Field.pre_save
            or not type(field).__module__.startswith("django.db.models")):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    kind, plain = next(((k, t) for k, t in _PASS_THROUGH if isinstance(field, k)), (None, ()))
    # a Django subclass that converts values its own way is not passed through
    if kind is None or any(getattr(type(field), m) is not getattr(kind, m) for m in _CONVERTING):
        return _converted(field)

    def value(obj: models.Model) -> Any:
        found = getattr(obj, attname)
        # exact types: a bool is an int but an IntegerField saves it as 1; an enum member goes the ORM's way
        return found if found is None or type(found) in plain else field.get_db_prep_save(found, connection)
    return value


def _converted(field: models.Field) -> Callable[[models.Model], Any]:
    """A value that needs the field's conversion (a date, a decimal): converted once for a run of equal values
    (every finding of a run has the same deadline), NULL as NULL."""
    attname, last = field.attname, [object(), None]

    def value(obj: models.Model) -> Any:
        found = getattr(obj, attname)
        if found is None:
            return None
        if type(found) not in _IMMUTABLE or found != last[0] or type(found) is not type(last[0]):
            last[:] = [found, field.get_db_prep_save(found, connection)]
        return last[1]
    return value


def insert_objects(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERT unsaved model instances set-based, each value as the ORM would save it (``pre_save`` stamps
    auto_now fields; ``get_db_prep_save`` encrypts JSON evidence and adapts JSON). An encrypted ID number goes in
    plain: ``insert`` seals it and adds its keyed hash. For the thousands of findings and warnings a province's run
    raises: bulk_create's statements (39 rows of a 25-column table within SQLite's 999 parameters) and a
    conversion per value were most of the time those runs took to store. No signals are sent (no history rows)."""
    if not objects:
        return
    derived = (KeyedHashField, IdFactsField)   # ``insert`` adds them from the plain value
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not isinstance(f, derived)]
    now = timezone.now()
    savers = [_saver(f, now, dt.date.today()) for f in fields]
    rows = [[save(obj) for save in savers] for obj in objects]
    for i in (i for i, f in enumerate(fields) if isinstance(f, EncryptedJSONField)):
        # a column of documents sealed at once (one key look-up): per value the look-up cost more than AES-GCM
        for row, text in zip(rows, encrypt_many([row[i] for row in rows]), strict=True):
            row[i] = text
    insert(model, [f.column for f in fields], [tuple(row) for row in rows])


def update(model: type[models.Model], column_names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """UPDATE rows by primary key; each tuple is the new values in ``column_names`` order, then the key."""
    if not rows:
        return
    column_names, rows = seal_rows(model, column_names, rows, trailing=1)  # encrypted, with their hashes
    pk = model._meta.pk.column
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{q(c)} = ?" for c in column_names)
        connection.connection.executemany(f"UPDATE {table(model)} SET {sets} WHERE {q(pk)} = ?", rows)  # noqa: S608
        return
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = [fields[c].db_type(connection) for c in (*column_names, pk)]
    names = ", ".join(q(c) for c in (*column_names, pk))
    sets = ", ".join(f"{q(c)} = v.{q(c)}::{t}" for c, t in zip(column_names, types, strict=False))
    row_marks = "(" + ", ".join(["%s"] * (len(column_names) + 1)) + ")"
    with connection.cursor() as cur:
        for start in range(0, len(rows), UPDATE_BATCH):
            batch = rows[start:start + UPDATE_BATCH]
            values = ", ".join([row_marks] * len(batch))
            cur.execute(
                f"UPDATE {table(model)} AS t SET {sets} FROM (VALUES {values}) AS v ({names}) "  # noqa: S608
                f"WHERE t.{q(pk)} = v.{q(pk)}::{types[-1]}",
                [value for row in batch for value in row],
            )


def delete(model: type[models.Model], pks: Sequence[int]) -> None:
    """DELETE by primary key, in SQL: no signals, so no history rows (callers that keep history write their own)."""
    if not pks:
        return
    sql, params = any_of(pks, "int").as_sql(None, connection)  # type: ignore[arg-type]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table(model)} WHERE {q(model._meta.pk.column)} IN {sql}", params)  # noqa: S608


def delete_where_pk_in(model: type[models.Model], subquery: models.QuerySet, *, key: str | None = None) -> None:
    """DELETE … WHERE <key> IN (subquery's primary keys), in SQL: no signals. ``key`` is the column compared
    (default the model's primary key; a history table names the original key differently)."""
    compiled = inner_sql(subquery.order_by().values("pk"))
    if compiled is None:  # nothing can match
        return
    sql, params = compiled
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {table(model)} WHERE {q(key or model._meta.pk.column)} IN ({sql})",  # noqa: S608
            params,
        )


def set_value(model: type[models.Model], column: str, value: Any, pks: Sequence[int]) -> None:
    """UPDATE one column to one value for the given keys (no history: a step inside a load)."""
    if not pks:
        return
    sql, params = any_of(pks, "int").as_sql(None, connection)  # type: ignore[arg-type]
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table(model)} SET {q(column)} = %s WHERE {q(model._meta.pk.column)} IN {sql}",  # noqa: S608
            [value, *params],
        )


HISTORY_ONLY = ("history_date", "history_change_reason", "history_type", "history_user_id")


def write_history(model: type[models.Model], history_model: type[models.Model], pks: Sequence[int], *,
                  when: Any, reason: str, kind: str, user_id: int | None) -> None:
    """One history row (django-simple-history's table) for each of the given rows as the database holds them now,
    copied by the database itself (INSERT … SELECT): every column the history table shares with the row, sealed
    values and their hashes included, plus when, why, what (``kind``: "+", "~" or "-") and who. Call it after an
    insert or update and before a delete. A province's year is three million history rows: sent from Python they
    were a second COPY of everything just written."""
    if not pks:
        return
    own = {f.column for f in model._meta.concrete_fields}
    shared = [f.column for f in history_model._meta.concrete_fields if f.column in own]
    cols = ", ".join(q(c) for c in shared)
    pk = q(model._meta.pk.column)
    low, high = min(pks), max(pks)
    if high - low + 1 == len(pks) == len(set(pks)):
        # Every key from low to high (a chunk's new rows, keys reserved together): one range of the primary key
        # instead of a look-up per key, ≈ 7 s of the 3 M history rows of a province's year.
        where, params = f"{pk} BETWEEN %s AND %s", [low, high]
    else:
        keys, params = any_of(pks, "int").as_sql(None, connection)  # type: ignore[arg-type]
        where = f"{pk} IN {keys}"
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table(history_model)} ({cols}, {', '.join(q(c) for c in HISTORY_ONLY)}) "  # noqa: S608
            f"SELECT {cols}, %s, %s, %s, %s FROM {table(model)} WHERE {where}",
            [when, reason, kind, user_id, *params],
        )
