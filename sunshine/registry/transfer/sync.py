"""Rows of one table brought to the values a file asks for: compared in memory, then only the rows that
differ written, each with its django-simple-history row (the acting user, one timestamp per import).

The history rows are copied from the table by the database once the rows are written (bulk.write_history), not
through simple-history's bulk_create_with_history: that builds two model instances per row and inserts 49 rows per
statement on SQLite, which alone would take minutes for a county. The historical tables are ordinary tables; the
rows written here are the ones simple-history would write ("+" created, "~" changed, "-" deleted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection, models

from sunshine.core.encrypted_fields import seal_rows
from sunshine.registry.transfer import bulk

REASON = "批量导入"
BOOKKEEPING = ("id", "created_at", "updated_at")


@dataclass(frozen=True)
class Table:
    """A model and the fields (attnames) an import compares and writes, in a fixed order."""

    model: type[models.Model]
    fields: tuple[str, ...]

    @cached_property
    def columns(self) -> tuple[str, ...]:
        by_attname = {f.attname: f.column for f in self.model._meta.concrete_fields}
        return tuple(by_attname[name] for name in self.fields)

    @cached_property
    def history_model(self) -> type[models.Model]:
        return self.model.history.model  # type: ignore[attr-defined]

    def select(self) -> tuple[str, ...]:
        """values_list() arguments that load an existing row's id and fields; ``loaded`` makes it a row."""
        return ("id", *self.fields)

    def normaliser(self) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        """A parsed row (field → typed value, None when empty) → the tuple of values the table stores:
        an empty text becomes "" (or the field's default, e.g. 在册 for 成员状态), as forms store it."""
        empties: list[Any] = []
        for name in self.fields:
            f = self.model._meta.get_field(name)  # attnames (household_id) are looked up too
            if isinstance(f, models.CharField) and not f.null:
                empties.append(f.get_default() if f.has_default() else "")
            else:
                empties.append(None)
        names = self.fields
        defaults = [(i, empty) for i, empty in enumerate(empties) if empty is not None]

        def values(row: dict[str, Any]) -> tuple[Any, ...]:
            # map() looks the fields up at C speed (millions of rows a year); only the fields whose empty value
            # is not None are looked at again, and only when the row has an empty cell at all.
            out = tuple(map(row.get, names))
            if None not in out or not defaults:
                return out
            listed = list(out)
            for i, empty in defaults:
                if listed[i] is None:
                    listed[i] = empty
            return tuple(listed)

        return values


def loaded(values: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
    """(id, *fields) as read → (id, created_at, updated_at, *fields) with the times left unknown: nothing needs
    them (the history rows are copied from the table), and a province's year compares millions of rows."""
    return (values[0], None, None, *values[1:])


@dataclass(frozen=True)
class Stamp:
    """Who writes, when, and why: the same for every row of one import."""

    user_id: int | None
    now: dt.datetime

    @cached_property
    def db_now(self) -> Any:
        return connection.ops.adapt_datetimefield_value(self.now)


@dataclass
class Changes:
    """What one chunk does to one table."""

    table: Table
    inserts: list[tuple[Any, ...]] = field(default_factory=list)   # (id, *values)
    updates: list[tuple[Any, ...]] = field(default_factory=list)   # (id, *values)
    deletes: list[tuple[Any, ...]] = field(default_factory=list)   # an existing row as loaded
    sealed: tuple[Sequence[str], list[tuple[Any, ...]]] | None = None   # the inserts as written (``seal``)

    def sync(self, existing: tuple[Any, ...] | None, values: tuple[Any, ...], new_id: Callable[[], int]) -> int:
        """Compare a loaded row (id, created_at, updated_at, *fields) with the wanted values; return the
        row's id. ``new_id`` is called only for a row that does not exist yet."""
        if existing is None:
            pk = new_id()
            self.inserts.append((pk, *values))
            return pk
        if tuple(existing[3:]) != values:
            self.updates.append((existing[0], *values))
        return existing[0]

    @property
    def count(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)

    def seal(self, stamp: Stamp) -> None:
        """Make the inserted rows what is written: ID numbers and phones encrypted, their hashes and ID facts added
        (``seal_rows``). The importer calls it where it compares a chunk, in the thread that prepares the next
        chunk while the connection writes this one: done in ``flush``, the connection waited for its household-years'
        heads to be encrypted and hashed (2.1 s of a tenth of a province's year, 73,846 household-years)."""
        if self.inserts and self.sealed is None:
            now = stamp.db_now
            self.sealed = seal_rows(self.table.model, (*BOOKKEEPING, *self.table.columns),
                                    [(r[0], now, now, *r[1:]) for r in self.inserts])

    def flush(self, stamp: Stamp) -> None:
        """Deletes, then updates, then inserts (so that a unique key freed by one is free for the next); each
        row's history row is copied from the table by the database (bulk.write_history)."""
        t = self.table
        now = stamp.db_now

        def history(pks: list[int], kind: str) -> None:
            bulk.write_history(t.model, t.history_model, pks, when=now, reason=REASON, kind=kind,
                               user_id=stamp.user_id)

        if self.deletes:
            gone = [r[0] for r in self.deletes]
            history(gone, "-")
            bulk.delete(t.model, gone)
        if self.updates:
            bulk.update(t.model, ("updated_at", *t.columns), [(now, *r[1:], r[0]) for r in self.updates])
            history([r[0] for r in self.updates], "~")
        if self.inserts:
            self.seal(stamp)
            assert self.sealed is not None
            bulk.insert(t.model, *self.sealed, sealed=True)
            history([r[0] for r in self.inserts], "+")
        self.inserts, self.updates, self.deletes, self.sealed = [], [], [], None
