"""Query results straight into Arrow tables, for snapshots of hundreds of thousands of rows.

Two readers, chosen per query by ``reader_for`` (the choice is explicit and tested):

- ``adbc``: on PostgreSQL, a second, read-only connection through adbc-driver-postgresql that hands back Arrow
  columns built in C, with no Python object per value. A second connection sees committed data only, so it is
  used only when the Django connection is in autocommit (not inside ``transaction.atomic``, and so never inside a
  test wrapped in a transaction, whose rows are uncommitted).
  Not on SQLite: adbc-driver-sqlite carries its own copy of the SQLite library, and in WAL mode a connection of
  that copy, opened in the same process, does not see what Python's sqlite3 committed (measured: a row inserted
  and committed through Django, then counted through ADBC, was missing; in a new process it was there). The
  demo's funds check found nothing that way, so SQLite always reads through the cursor.
- ``cursor``: the Django connection's own DB-API cursor, fetched in chunks and converted column by column. Slower,
  but it sees what this connection sees.

``SUNSHINE_SNAPSHOT_READER`` = ``cursor`` forces the second everywhere (``adbc`` or ``auto``, the default, choose
as above). The query is built by the ORM, so it is right on both databases; what the reader gets back is cast to
the caller's schema here: the empty string of a blank CharField becomes NULL, integer fen become decimal yuan
(sunshine.engine.snapshot.decimal_from_cents), SQLite's 0/1 and ISO text become booleans and dates, and an
encrypted column (sunshine.core.encrypted_fields) is decrypted in memory."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode

import pyarrow as pa
import pyarrow.compute as pc
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from sunshine.core.crypto import decrypt_many
from sunshine.core.encrypted_fields import EncryptedCharField
from sunshine.engine import snapshot as s

CHUNK_ROWS = 50_000
READER_ENV = "SUNSHINE_SNAPSHOT_READER"
Converter = Callable[[list], pa.Array]
# libpq connection parameters that may sit in DATABASES OPTIONS (the others there are psycopg's own).
_LIBPQ_OPTIONS = frozenset({"options", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name",
                            "connect_timeout", "target_session_attrs", "passfile", "service"})


# Which reader --------------------------------------------------------------------------------------------------

def reader_for(using: str = "default") -> tuple[str, str]:
    """("adbc" or "cursor", why) for a query on ``using`` now."""
    connection = connections[using]
    choice = os.environ.get(READER_ENV, "auto").strip().lower()
    if choice == "cursor":
        return "cursor", f"{READER_ENV}=cursor"
    if connection.in_atomic_block:
        return "cursor", "inside a transaction: another connection would not see its uncommitted rows"
    if connection.vendor == "sqlite":
        return "cursor", "SQLite: ADBC's own SQLite copy would not see this process's commits (WAL)"
    if connection.vendor != "postgresql":
        return "cursor", f"no ADBC driver for {connection.vendor}"
    return "adbc", "autocommit: committed data is all there is"


def postgresql_uri(settings_dict: dict[str, Any]) -> str:
    """A libpq URI for the connection's settings (ADBC takes a URI, Django a dict)."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    host = str(settings_dict.get("HOST") or "")
    port = str(settings_dict.get("PORT") or "")
    params = {k: str(v) for k, v in (settings_dict.get("OPTIONS") or {}).items() if k in _LIBPQ_OPTIONS}
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    if host.startswith("/"):  # a socket directory goes in the query string
        params["host"] = host
        host = ""
    netloc = f"{auth}{host}" + (f":{port}" if port and host else "")
    if port and not host:
        params["port"] = port
    query = f"?{urlencode(params, quote_via=quote)}" if params else ""
    return f"postgresql://{netloc}/{quote(str(settings_dict.get('NAME') or ''), safe='')}{query}"


# The ADBC reader -----------------------------------------------------------------------------------------------

EXTRACT_WORK_MEM = "256MB"

def postgresql_arrow(uri: str, statement: str) -> pa.Table:
    """Run a complete statement (its values inlined) on PostgreSQL through ADBC."""
    import adbc_driver_postgresql.dbapi as driver

    with driver.connect(uri) as con, con.cursor() as cur:
        # A snapshot joins and sorts a province's year (2.3 M members): with the default 4 MB per sort or hash
        # it spilled to temporary files (7.3 s, 5.4 s in memory); JIT compiling took 1.5 s of that and saves
        # nothing on one pass. Only this short-lived connection is set so.
        cur.execute(f"SET work_mem = '{EXTRACT_WORK_MEM}'")
        cur.execute("SET jit = off")
        cur.execute(statement)
        return cur.fetch_arrow_table()


def _adbc_source(using: str, sql: str, params: Sequence[Any]) -> tuple[str, str]:
    """The database's URI for ADBC, and the statement with its values as literals (quoted by psycopg as it would
    bind them)."""
    connection = connections[using]
    connection.ensure_connection()
    return postgresql_uri(connection.settings_dict), connection.ops.compose_sql(sql, list(params))


def _adbc_table(using: str, sql: str, params: Sequence[Any]) -> pa.Table:
    return postgresql_arrow(*_adbc_source(using, sql, params))


def _to_type(column: pa.ChunkedArray, type_: pa.DataType, encrypted: bool) -> pa.Array | pa.ChunkedArray:
    """One column as the reader returned it, as the schema's type (see the module docstring)."""
    if encrypted:
        column = pa.array(decrypt_many(column.to_pylist()), pa.string())
    if type_ == s.MONEY:
        cents = column.combine_chunks().cast(pa.int64())
        return s.decimal_from_cents(pc.fill_null(cents, 0).to_numpy(), cents.is_valid().to_numpy(zero_copy_only=False))
    textual = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if type_ in (pa.string(), pa.date32()) and textual:
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
    return column.cast(type_)


def _from_adbc(raw: pa.Table, schema: pa.Schema, encrypted: Sequence[bool]) -> pa.Table:
    if raw.num_rows == 0:
        return schema.empty_table()
    arrays = [_to_type(raw.column(i), f.type, encrypted[i]) for i, f in enumerate(schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


# The cursor reader ---------------------------------------------------------------------------------------------

def _text(values: list) -> pa.Array:
    """Strings, with the empty string of a blank CharField read as unknown (NULL)."""
    arr = pa.array(values, pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _cast(type_: pa.DataType) -> Converter:
    # SQLite hands back 0/1 for booleans and 'YYYY-MM-DD' for dates; PostgreSQL bool and date objects.
    return lambda values: pa.array(values).cast(type_)


def _money(values: list) -> pa.Array:
    cents = pa.array(values, pa.int64())
    return s.decimal_from_cents(pc.fill_null(cents, 0).to_numpy(), cents.is_valid().to_numpy(zero_copy_only=False))


CONVERTERS: dict[pa.DataType, Converter] = {
    pa.string(): _text, pa.int32(): _cast(pa.int32()), pa.int64(): _cast(pa.int64()), pa.bool_(): _cast(pa.bool_()),
    pa.date32(): _cast(pa.date32()), s.MONEY: _money,
}


def _decrypting(convert: Converter) -> Converter:
    return lambda values: convert(decrypt_many(values))


def _cursor_table(using: str, sql: str, params: Sequence[Any], schema: pa.Schema,
                  encrypted: Sequence[bool]) -> pa.Table:
    converters = [_decrypting(CONVERTERS[f.type]) if enc else CONVERTERS[f.type]
                  for f, enc in zip(schema, encrypted, strict=True)]
    batches = []
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            columns = list(zip(*rows, strict=True))
            batches.append(pa.RecordBatch.from_arrays(
                [convert(list(col)) for convert, col in zip(converters, columns, strict=True)], schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


# Entry points --------------------------------------------------------------------------------------------------

def fetch_sql(sql: str, params: Sequence[Any], schema: pa.Schema, *, using: str = "default",
              encrypted: Sequence[bool] | None = None, reader: str | None = None) -> pa.Table:
    """Run ``sql`` (Django's ``%s`` placeholders) and return its rows as an Arrow table of ``schema`` (the
    columns in that order). ``encrypted`` marks columns to decrypt; ``reader`` overrides ``reader_for``."""
    encrypted = list(encrypted or [False] * len(schema))
    kind = reader or reader_for(using)[0]
    if kind == "adbc":
        return _from_adbc(_adbc_table(using, sql, params), schema, encrypted)
    return _cursor_table(using, sql, params, schema, encrypted)


def _compiled(queryset: QuerySet) -> tuple[str, list[Any], list[bool]] | None:
    """The queryset's SQL, parameters and which columns are stored encrypted; None when it matches nothing."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # none() or an empty IN list: Django compiles no SQL for what matches nothing
        return None
    # Stored encrypted (sunshine.core.crypto): the engine gets the plain value, in memory only.
    encrypted = [isinstance(getattr(expression, "target", None), EncryptedCharField)
                 for expression, _sql, _alias in compiler.select]
    return sql, list(params), encrypted


def fetch_arrow(queryset: QuerySet, schema: pa.Schema, *, reader: str | None = None) -> pa.Table:
    """Run a ``values_list`` queryset (its columns in ``schema`` order) and return an Arrow table."""
    compiled = _compiled(queryset)
    if compiled is None:
        return schema.empty_table()
    sql, params, encrypted = compiled
    return fetch_sql(sql, params, schema, using=queryset.db, encrypted=encrypted, reader=reader)


def fetch_arrow_many(requests: Sequence[tuple[QuerySet, pa.Schema]]) -> list[pa.Table]:
    """``fetch_arrow`` for several querysets of one database, the tables in their order. Through ADBC each query
    runs on a connection of its own, all at once: one query's server work and Arrow decoding overlap the others'
    (a province's members read as three queries: 7.1 s at once against 9.7 s one after another). Each is its own
    read, so the tables may see different moments of a database being written; callers that relate them check
    that what one references is in the other. Through the cursor they run one after the other."""
    if not requests:
        return []
    using = requests[0][0].db
    if any(queryset.db != using for queryset, _schema in requests):
        raise ValueError("fetch_arrow_many reads from one database")
    compiled = [_compiled(queryset) for queryset, _schema in requests]
    if reader_for(using)[0] != "adbc":
        return [schema.empty_table() if c is None else _cursor_table(using, c[0], c[1], schema, c[2])
                for c, (_queryset, schema) in zip(compiled, requests, strict=True)]
    sources = [None if c is None else _adbc_source(using, c[0], c[1]) for c in compiled]

    def read(source: tuple[str, str] | None, compiled: tuple[str, list[Any], list[bool]] | None,
             schema: pa.Schema) -> pa.Table:
        if source is None or compiled is None:
            return schema.empty_table()
        return _from_adbc(postgresql_arrow(*source), schema, compiled[2])

    # Threads: the ADBC driver fetches and decodes, and Arrow casts, without holding the GIL; no Django connection
    # is used in them. A table is cast while the others are still being read.
    with ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="arrow-extract") as pool:
        return list(pool.map(read, sources, compiled, [schema for _queryset, schema in requests]))
