"""Compute indicators for a year into IndicatorValue: one SQL statement per indicator, rolled up in memory.

Each indicator's statement returns rows at the level its data belongs to; a row counts for its own division
and every ancestor (a village's households count for its township, county, city and province). The level of
a code is read from its trailing zeros (GB/T 2260 and the 12-digit village codes: a village never ends in 000).
The year's old values of the refreshed indicators are replaced in one transaction, so a reader sees either
the old figures or the new ones. Zero rows are not stored: a missing row reads as 0.

At a province's scale (2.5M people a year) the rows several indicators read are derived once per refresh into
prepared tables (``indicators.prepared``: one pass over the year's members instead of five), and PostgreSQL
gets a larger work_mem for the refresh's statements only.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from sunshine.core.choices import LEVEL_ORDER, LEVEL_PREFIX_LENGTH
from sunshine.dashboard.indicators import CATALOGUE, Indicator
from sunshine.dashboard.indicators.base import statement
from sunshine.dashboard.indicators.prepared import prepared_tables
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue

_LEVELS = [(level, LEVEL_PREFIX_LENGTH[level]) for level in LEVEL_ORDER]
_INSERT_BATCH = 5000
PREPARING = "(prepared tables)"  # per_indicator's entry for building the tables the indicators share


@dataclass(frozen=True)
class RefreshOutcome:
    year: int
    codes: list[str]
    rows: int
    seconds: float
    per_indicator: dict[str, float]


def depth(code: str) -> int:
    """The prefix length that identifies ``code``'s own level (12 for a village, 2 for a province)."""
    for start, length in ((9, 12), (6, 9), (4, 6), (2, 4)):
        if code[start:length].strip("0"):
            return length
    return 2


@functools.lru_cache(maxsize=1 << 16)
def ancestors(code: str) -> tuple[tuple[str, str], ...]:
    """(padded code, level) of ``code`` itself and every division above it (remembered: every indicator of a
    refresh rolls up the same villages, a province's 15,000 of them)."""
    own = depth(code)
    return tuple((code[:length].ljust(12, "0"), level) for level, length in _LEVELS if length <= own)


def roll_up(rows: Iterable[Sequence]) -> dict[tuple[str, str, str], list]:
    """Sum (value, denominator) of native rows into every level: {(code, level, key): [value, denominator]}."""
    totals: dict[tuple[str, str, str], list] = defaultdict(lambda: [Decimal(0), None])
    cache: dict[str, tuple[tuple[str, str], ...]] = {}
    for division_code, key, value, denominator in rows:
        if division_code is None:
            continue
        chain = cache.get(division_code)
        if chain is None:
            chain = cache[division_code] = ancestors(str(division_code))
        value = Decimal(value or 0)
        for code, level in chain:
            entry = totals[(code, level, key or "")]
            entry[0] += value
            if denominator is not None:
                entry[1] = (entry[1] or Decimal(0)) + Decimal(denominator)
    return totals


def select(codes: Sequence[str] | None = None, sources: Iterable[str] | None = None) -> list[Indicator]:
    chosen = list(CATALOGUE.values())
    if codes:
        unknown = set(codes) - set(CATALOGUE)
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        chosen = [i for i in chosen if i.code in codes]
    if sources is not None:
        wanted = set(sources)
        chosen = [i for i in chosen if i.sources & wanted]
    return chosen


def compute(indicator: Indicator, year: int) -> dict[tuple[str, str, str], list]:
    """One indicator on its own (with the prepared tables it reads): a refresh prepares them once for all."""
    with _session(), prepared_tables(indicator.uses, year):
        return _compute(indicator, year)


def _compute(indicator: Indicator, year: int) -> dict[tuple[str, str, str], list]:
    sql, params = indicator.query(year)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return roll_up(cursor.fetchall())


# Sorts and hash aggregates over a province's year (750,000 households) spill to disk under PostgreSQL's
# default 4 MB; the refresh alone gets more, for its own transaction only.
WORK_MEM = "128MB"


@contextmanager
def _session() -> Iterator[None]:
    """On PostgreSQL: a transaction with work_mem raised for its statements, and put back afterwards even
    inside an outer transaction (SET LOCAL lasts to the end of the outermost one: a request's, a test's).
    SQLite needs neither, and there a transaction would take the write lock (IMMEDIATE) for the whole refresh."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        yield
        # After an error the rollback of atomic()'s savepoint (or transaction) undoes the setting instead.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


def refresh(*, year: int, codes: Sequence[str] | None = None, sources: Iterable[str] | None = None,
            trigger: str = "manual") -> RefreshOutcome:
    """Recompute the chosen indicators (default: all) of ``year`` and replace their stored values."""
    indicators = select(codes, sources)
    started = time.perf_counter()
    log = IndicatorRefresh.objects.create(year=year, codes=",".join(i.code for i in indicators), trigger=trigger,
                                          started_at=timezone.now())
    per_indicator: dict[str, float] = {}
    computed: list[tuple[str, dict[tuple[str, str, str], list]]] = []
    shared = [name for i in indicators for name in i.uses]
    with _session():
        t0 = time.perf_counter()
        with prepared_tables(shared, year):
            if shared:
                per_indicator[PREPARING] = time.perf_counter() - t0
            for indicator in indicators:
                t0 = time.perf_counter()
                computed.append((indicator.code, _compute(indicator, year)))
                per_indicator[indicator.code] = time.perf_counter() - t0
    rows = [
        (code, year, division_code, level, key, value, denominator)
        for code, totals in computed
        for (division_code, level, key), (value, denominator) in totals.items()
        if value or denominator
    ]
    with transaction.atomic():
        IndicatorValue.objects.filter(year=year, code__in=[i.code for i in indicators]).delete()
        _insert(rows)
    seconds = time.perf_counter() - started
    IndicatorRefresh.objects.filter(pk=log.pk).update(finished_at=timezone.now(), seconds=seconds, rows=len(rows))
    return RefreshOutcome(year=year, codes=[i.code for i in indicators], rows=len(rows), seconds=seconds,
                          per_indicator=per_indicator)


_COPY = "COPY {value} (code, year, division_code, level, key, value, denominator) FROM STDIN"
_INSERT = ("INSERT INTO {value} (code, year, division_code, level, key, value, denominator)"
           " VALUES (%s, %s, %s, %s, %s, %s, %s)")


def _insert(rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(statement(_COPY, value=IndicatorValue)) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = statement(_INSERT, value=IndicatorValue)
        for start in range(0, len(rows), _INSERT_BATCH):
            cursor.executemany(sql, [_sqlite_row(r) for r in rows[start:start + _INSERT_BATCH]])


def _sqlite_row(row: tuple) -> tuple:
    *head, value, denominator = row
    return (*head, str(value), None if denominator is None else str(denominator))

