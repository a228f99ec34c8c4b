"""Funds and projects (funds.md §3–4): the F-* and P-* rule catalogue as SQL over Arrow/Parquet tables of
funds, allocations, spending, payments, projects and registry facts, run on DuckDB or Spark with identical
results. Knows nothing of Django.

``run_funds_check``, ``run_funds`` and ``rule_sql`` are exported lazily, so that importing the declarations
(catalogue, tables, params) does not load the SQL generators."""

from __future__ import annotations

from typing import Any

__all__ = ["rule_sql", "run_funds", "run_funds_check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sunshine.engine.funds import run

        return getattr(run, name)
    raise AttributeError(name)
