"""The importer's set-based SQL: the shared bulk-write path (sunshine.core.bulk), under the names the importer's
modules use. Nothing here is the importer's own: rows are tuples in column order, inserted with executemany on
SQLite or binary COPY on PostgreSQL, under keys reserved beforehand (``IdAllocator``), and key lists are passed as
one parameter (``any_of``)."""

from __future__ import annotations

from sunshine.core.bulk import (
    PG_TYPES,
    UPDATE_BATCH,
    IdAllocator,
    Statistics,
    any_of,
    delete,
    insert,
    large_cache,
    pg_types,
    q,
    set_value,
    table,
    update,
    write_history,
)

__all__ = ["PG_TYPES", "UPDATE_BATCH", "IdAllocator", "Statistics", "any_of", "delete", "insert", "large_cache",
           "pg_types", "q", "set_value", "table", "update", "write_history"]
