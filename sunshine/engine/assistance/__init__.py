"""Assistance responsibility (services.md §5): the R-* rule catalogue as SQL over Arrow tables of households,
cadres, pairings, visits, work teams, measures and assessments, run on DuckDB or Spark with identical results.
Knows nothing of Django. ``run_assistance_check`` is the entry point (sunshine.engine.assistance.run)."""

from __future__ import annotations

from typing import Any

__all__ = ["rule_sql", "run_assistance", "run_assistance_check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sunshine.engine.assistance import run

        return getattr(run, name)
    raise AttributeError(name)
