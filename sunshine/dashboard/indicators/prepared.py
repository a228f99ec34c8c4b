"""Prepared tables: a year's rows several indicators read, derived once per refresh instead of once per indicator.

A province's member rows (2.5M a year) were read by five statements, each grouping them per household again.
A prepared table is a TEMP table built from one statement at the start of a refresh (``prepared_tables``),
read by every indicator that declares it in ``Indicator.uses`` and dropped at the end. TEMP tables belong to
the database session, so two refreshes on two connections never see each other's; they are always named
with the session's temporary schema, so that they never hide, nor are mistaken for, a real table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection

from sunshine.dashboard.indicators.base import Query


@dataclass(frozen=True)
class Prepared:
    name: str  # what indicators list in ``uses``
    select: Callable[[int], Query]  # the SELECT (with its parameters) whose rows make the year's table

    @property
    def table(self) -> str:
        """The quoted name in the session's own schema: never a real table, even a DROP of the same name."""
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        return f"{schema}.{connection.ops.quote_name(f'dashboard_{self.name}')}"


PREPARED: dict[str, Prepared] = {}


def prepare(name: str, select: Callable[[int], Query]) -> Prepared:
    if name in PREPARED:
        raise ValueError(f"prepared table {name} declared twice")
    PREPARED[name] = prepared = Prepared(name, select)
    return prepared


@contextmanager
def prepared_tables(names: Iterable[str], year: int) -> Iterator[None]:
    """Build the prepared tables ``names`` for ``year`` (each once), and drop them when done, error or not."""
    chosen = [PREPARED[name] for name in dict.fromkeys(names)]
    built: list[Prepared] = []
    try:
        with connection.cursor() as cursor:
            for prepared in chosen:
                sql, params = prepared.select(year)
                # Left over by an earlier refresh of this session that died before its clean-up.
                cursor.execute(f"DROP TABLE IF EXISTS {prepared.table}")
                built.append(prepared)
                cursor.execute(f"CREATE TEMP TABLE {prepared.table} AS {sql}", list(params))
                if connection.vendor == "postgresql":
                    # autovacuum never analyses TEMP tables: without statistics the planner guesses their size.
                    cursor.execute(f"ANALYZE {prepared.table}")
        yield
    finally:
        _drop(built)


def _drop(built: list[Prepared]) -> None:
    try:
        with connection.cursor() as cursor:
            for prepared in built:
                cursor.execute(f"DROP TABLE IF EXISTS {prepared.table}")
    except DatabaseError:
        # Only after an error inside the refresh's transaction (PostgreSQL refuses any statement then): its
        # rollback takes the tables created in it away, and the error that matters is already on its way up.
        pass
