"""Set-based SQL for the importer: one statement per table and chunk, on SQLite and PostgreSQL.

The ORM's bulk_create is far too slow here (SQLite allows 999 parameters per statement, so 49 rows of a
20-column table per INSERT, and every value goes through a field method). Rows are therefore tuples of
Python values in column order, inserted with ``executemany`` on SQLite's raw connection or ``COPY`` on
PostgreSQL, under primary keys reserved beforehand (``IdAllocator``) so that the rows can reference
each other without reading the keys back.

Lists of keys are passed as one parameter (a JSON array on SQLite, an array on PostgreSQL), so a lookup
of 10,000 ID numbers is one query whatever the database's parameter limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL

from sunshine.core.encrypted_fields import seal_rows

UPDATE_BATCH = 1000  # rows per UPDATE … FROM (VALUES …) statement on PostgreSQL


@contextmanager
def large_cache(megabytes: int = 256) -> Iterator[None]:
    """On SQLite, a larger page cache while importing: the unique indexes (ID numbers, 户编号) are written
    in random order, and SQLite's default 2 MB cache makes that twice as slow. Restored afterwards."""
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


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def any_of(values: Iterable[Any], kind: str = "text") -> RawSQL:
    """A subquery of the given values, for ``filter(field__in=any_of(values))``: one bound parameter."""
    values = list(values)
    if connection.vendor == "postgresql":
        cast = "bigint" if kind == "int" else "text"
        return RawSQL(f"SELECT unnest(%s::{cast}[])", (values,))  # noqa: S611 - the cast is ours
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))  # noqa: S611


class IdAllocator:
    """Primary keys for new rows of one table, reserved before the rows are inserted.

    PostgreSQL: taken from the table's identity sequence (safe alongside other writers).
    SQLite: counted on from the highest key ever used (the table's row in sqlite_sequence, so the keys
    of deleted rows, which their history still names, are never reused); the import's IMMEDIATE
    transaction holds the database's write lock, so nobody else inserts meanwhile."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.next: int | None = None

    def take(self, n: int) -> list[int]:
        if n == 0:
            return []
        pk = self.model._meta.pk.column
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, pk, n],
                )
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


PG_TYPES = {"bigint": "int8", "integer": "int4", "smallint": "int2", "boolean": "bool", "numeric": "numeric",
            "timestamp with time zone": "timestamptz", "date": "date", "varchar": "varchar", "text": "text",
            "jsonb": "jsonb", "uuid": "uuid", "double precision": "float8"}


def pg_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    """PostgreSQL type names of the given columns (for binary COPY)."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for column in columns:
        db_type = by_column[column].db_type(connection) or ""
        out.append(PG_TYPES[db_type.split("(")[0].strip()])
    return out


def insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT rows (tuples of values in ``columns`` order; columns are database column names)."""
    if not rows:
        return
    columns, rows = seal_rows(model, columns, rows)  # ID numbers and phones are stored encrypted
    cols = ", ".join(q(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        marks = ", ".join("?" * len(columns))
        # The raw sqlite3 connection: Django's cursor wrapper would rewrite the SQL for every row.
        connection.connection.executemany(f"INSERT INTO {table(model)} ({cols}) VALUES ({marks})", rows)  # noqa: S608
        return
    with connection.cursor() as cur:
        raw = cur.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
            # Binary COPY with the column types given: three times faster than text COPY, where psycopg
            # must find a dumper for every value.
            with raw.copy(f"COPY {table(model)} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(pg_types(model, columns))
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(f"INSERT INTO {table(model)} ({cols}) VALUES ({marks})", list(rows))  # noqa: S608


def update(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """UPDATE rows by primary key; each tuple is the new values in ``columns`` order, then the key."""
    if not rows:
        return
    columns, rows = seal_rows(model, columns, rows, trailing=1)  # encrypted, with their hashes
    pk = model._meta.pk.column
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{q(c)} = ?" for c in columns)
        connection.connection.executemany(f"UPDATE {table(model)} SET {sets} WHERE {q(pk)} = ?", rows)  # noqa: S608
        return
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = [fields[c].db_type(connection) for c in (*columns, pk)]
    names = ", ".join(q(c) for c in (*columns, pk))
    sets = ", ".join(f"{q(c)} = v.{q(c)}::{t}" for c, t in zip(columns, types, strict=False))
    row_marks = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
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
    if not pks:
        return
    sql, params = any_of(pks, "int").as_sql(None, connection)  # type: ignore[arg-type]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table(model)} WHERE {q(model._meta.pk.column)} IN {sql}", params)  # noqa: S608


def set_value(model: type[models.Model], column: str, value: Any, pks: Sequence[int]) -> None:
    """UPDATE one column to one value for the given keys (no history: a step inside the import)."""
    if not pks:
        return
    sql, params = any_of(pks, "int").as_sql(None, connection)  # type: ignore[arg-type]
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table(model)} SET {q(column)} = %s WHERE {q(model._meta.pk.column)} IN {sql}",  # noqa: S608
            [value, *params],
        )
