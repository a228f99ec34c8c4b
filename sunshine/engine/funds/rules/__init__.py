"""The SQL of each rule of funds.md §3–4, written once (DuckDB dialect) and finished for the backend's dialect.

``rule_sql(code, …)`` is a pure function of the year, the check date, the standard's parameters and the
division; it returns one statement yielding the FINDINGS columns (sunshine.engine.funds.tables) in the fixed
order. The builders live in ``money`` (fund → project → spending), ``payments`` (payments to people),
``projects`` (the project library) and ``loans`` (micro-credit, funds.md §5); the shared parts in ``base``. A
new catalogue entry is a builder returning CTEs that end in ``finding``, registered here in catalogue order.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.dialect import DUCKDB, Dialect
from sunshine.engine.funds.catalogue import RULES
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.rules import loans, money, payments, projects
from sunshine.engine.funds.rules.base import CTE, FINDING_TYPES, ORDER, Context

__all__ = ["BUILDERS", "Context", "default_check_date", "rule_sql"]

BUILDERS: dict[str, Callable[[Context], list[CTE]]] = {
    "F-DELAY": money.delay,
    "F-IDLE": money.idle,
    "F-INELIGIBLE": payments.ineligible,
    "F-DUP": payments.duplicate,
    "F-OVER": payments.over,
    "F-CADRE": payments.cadre,
    "F-OVERSPEND": money.overspend,
    "P-OVERDUE": projects.overdue,
    "P-NOANNOUNCE": projects.no_announcement,
    "P-NOBENEFIT": projects.no_benefit,
    "L-LIMIT": loans.limit,
    "L-INELIGIBLE": loans.ineligible,
    "L-OVERDUE": loans.overdue,
}
assert list(BUILDERS) == list(RULES), "builders must follow the catalogue order"  # noqa: S101


def default_check_date(year: int, today: dt.date | None = None) -> dt.date:
    """31 December of the year, or today if earlier (funds.md)."""
    today = today or dt.date.today()
    return min(dt.date(int(year), 12, 31), today)


def rule_sql(code: str, *, year: int, check_date: dt.date | None = None,
             params: Params | Mapping[str, Any] | None = None, division_prefix: str | None = None,
             dialect: Dialect = DUCKDB) -> str:
    """One statement giving the findings of rule ``code``, ordered. Reads the tables of
    sunshine.engine.funds.tables (every one registered, an absent one as an empty table)."""
    if code not in BUILDERS:
        raise KeyError(f"unknown rule {code!r}")
    if division_prefix is not None and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only: {division_prefix!r}")
    if isinstance(check_date, dt.datetime) or (check_date is not None and not isinstance(check_date, dt.date)):
        raise TypeError(f"check_date must be a date, not {check_date!r}")
    resolved = params if isinstance(params, Params) else Params.from_mapping(params)
    ctx = Context(year=int(year), check_date=check_date or default_check_date(year), params=resolved,
                  division_prefix=division_prefix or None, dialect=dialect)
    ctes = BUILDERS[code](ctx)
    order = ", ".join(f"{column} NULLS LAST" for column in ORDER)
    sql = (f"{with_clause(ctes)}\nSELECT {', '.join(FINDING_TYPES)} FROM finding "
           f"WHERE {ctx.in_division('division_code')} ORDER BY {order}")
    return dialect.finish(sql)
