"""Exit assessment (policy-rules.md §1–§3): SQL generators and the functions that run them.

``household_sql``, ``village_sql`` and ``county_sql`` are pure functions of the parameters (a
StandardParameters dictionary), the year and an optional division prefix; ``assess_*`` run them on a
backend that has the snapshot tables registered (sunshine.engine.snapshot) and return Arrow tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.counties import county_ctes, county_sql
from sunshine.engine.assessment.households import household_ctes, household_sql
from sunshine.engine.assessment.rules import Rules
from sunshine.engine.assessment.villages import village_ctes, village_sql
from sunshine.engine.dialect import Dialect

__all__ = [
    "Rules", "labelled", "assess_counties", "assess_households", "assess_villages", "county_ctes", "county_sql",
    "household_ctes", "household_sql", "village_ctes", "village_sql",
]


_STATE_WORDS = pa.array(v.STATES, pa.string())
_RESULT_WORDS = pa.array(v.RESULTS, pa.string())


def labelled(table: pa.Table, criteria: dict[str, str]) -> pa.Table:
    """The rank columns of a result table (criteria and ``result``) as their words, dictionary-encoded:
    'pass' / 'missing' / 'fail' and 'meets' / 'incomplete' / 'fails'."""
    for column in [*criteria.values(), "result"]:
        words = _RESULT_WORDS if column == "result" else _STATE_WORDS
        index = table.column_names.index(column)
        ranks = table.column(column).combine_chunks().cast(pa.int8())
        table = table.set_column(index, column, pa.DictionaryArray.from_arrays(ranks, words))
    return table


class Backend(Protocol):
    dialect: Dialect

    def query(self, sql: str) -> pa.Table: ...


def assess_households(backend: Backend, params: Mapping[str, Any], *, year: int,
                      division_prefix: str | None = None, ordered: bool = True) -> pa.Table:
    """Needs the tables ``households`` and ``members``."""
    sql = household_sql(Rules.from_mapping(params), year=year, division_prefix=division_prefix,
                        dialect=backend.dialect, ordered=ordered)
    return labelled(backend.query(sql), v.HOUSEHOLD_CRITERIA)


def assess_villages(backend: Backend, params: Mapping[str, Any], *, year: int,
                    division_prefix: str | None = None) -> pa.Table:
    """Needs the table ``villages``."""
    sql = village_sql(Rules.from_mapping(params), year=year, division_prefix=division_prefix,
                      dialect=backend.dialect)
    return labelled(backend.query(sql), v.VILLAGE_CRITERIA)


def assess_counties(backend: Backend, params: Mapping[str, Any], *, year: int, division_prefix: str | None = None,
                    counties: bool = True) -> pa.Table:
    """Needs ``households``, ``members``, ``villages`` and, unless ``counties`` is false, ``counties``."""
    sql = county_sql(Rules.from_mapping(params), year=year, division_prefix=division_prefix,
                     dialect=backend.dialect, counties="counties" if counties else None)
    return labelled(backend.query(sql), v.COUNTY_CRITERIA)
