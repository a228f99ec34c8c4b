"""The SQL of each comparison rule of policy-rules.md §4, written once (DuckDB dialect) and finished for the
backend's dialect.

``rule_sql(code, …)`` is a pure function of the year, the standard's parameters, the key kind of each
dataset in the run and the division; it returns one statement yielding the FINDINGS columns
(sunshine.engine.comparison.snapshot) in the fixed order. The builders live in ``members`` (department rows
flag a member), ``coverage`` (a member lacks a department row) and ``registry`` (the registry alone, and
低保 households outside it); the shared parts (registry, resolved rows, finding projection) in ``base``.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.comparison.rules import coverage, members, registry
from sunshine.engine.comparison.rules.base import CTE, FINDING_TYPES, ORDER, Context, Params, registry_ctes
from sunshine.engine.dialect import DUCKDB, Dialect

__all__ = ["BUILDERS", "Context", "Params", "rule_sql"]

BUILDERS: dict[str, Callable[[Context], list[CTE]]] = {
    "C-DEAD": members.dead,
    "C-PAYROLL": members.payroll,
    "C-CAR": members.car,
    "C-BUSINESS": members.business,
    "C-HOUSE": members.house,
    "C-DROPOUT": coverage.dropout,
    "C-NOMED": coverage.no_medical,
    "C-NOPENSION": coverage.no_pension,
    "C-DIBAO-MISSING": registry.dibao_missing,
    "C-DIBAO-MISMATCH": coverage.dibao_mismatch,
    "C-DISABLED-SUBSIDY": members.disabled_subsidy,
    "C-HOUSING": coverage.housing,
    "C-DUP": registry.duplicate,
    "C-ID": registry.invalid_id,
    "C-MEDCOST": members.medical_cost,
    "C-DISASTER": members.disaster,
}
assert list(BUILDERS) == list(RULES), "builders must follow the catalogue order"  # noqa: S101


def rule_sql(code: str, *, year: int, params: Mapping[str, Any], key_kinds: Mapping[str, str],
             division_prefix: str | None = None, dialect: Dialect = DUCKDB, links: bool = True) -> str:
    """One statement giving the findings of rule ``code``, ordered. Reads ``people``, ``ds_<name>`` of the
    rule's datasets (each must be in ``key_kinds``) and, unless ``links`` is false, ``links``."""
    missing = [name for name in RULES[code].datasets if name not in key_kinds]
    if missing:
        raise KeyError(f"{code} needs the datasets {', '.join(missing)}")
    if division_prefix is not None and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only: {division_prefix!r}")
    ctx = Context(year=int(year), params=Params.from_mapping(params), key_kinds=dict(key_kinds),
                  division_prefix=division_prefix or None, dialect=dialect, links=links)
    ctes = [*registry_ctes(ctx), *BUILDERS[code](ctx)]
    order = ", ".join(f"{column} NULLS LAST" for column in ORDER)
    sql = f"{with_clause(ctes)}\nSELECT {', '.join(FINDING_TYPES)} FROM finding ORDER BY {order}"
    return dialect.finish(sql)
