"""Cross-department comparison (policy-rules.md §4): the rule catalogue as SQL over a registry snapshot and
department dataset loads, run on DuckDB or Spark with identical results.

``run_comparison`` and ``rule_sql`` are exported lazily, so that importing the declarations (catalogue,
datasets, snapshot) does not load the SQL generators."""

from __future__ import annotations

from typing import Any

__all__ = ["rule_sql", "run_comparison"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sunshine.engine.comparison import run

        return getattr(run, name)
    raise AttributeError(name)
