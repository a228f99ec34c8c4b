"""Funds, projects, micro-credit and asset income (funds.md §3–6): the F-*, P-* and L-* rule catalogue as SQL
over Arrow/Parquet tables of funds, allocations, spending, payments, projects, loans and registry facts, and the
interest subsidy and dividends computed the same way, run on DuckDB or Spark with identical results. Knows
nothing of Django.

``run_funds_check``, ``run_funds``, ``rule_sql``, ``interest_subsidy`` and ``dividends`` are exported lazily,
so that importing the declarations (catalogue, tables, params) does not load the SQL generators."""

from __future__ import annotations

from typing import Any

__all__ = ["dividends", "interest_subsidy", "rule_sql", "run_funds", "run_funds_check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sunshine.engine.funds import run

        return getattr(run, name)
    raise AttributeError(name)
