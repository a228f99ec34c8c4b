"""Run the R-* catalogue on DuckDB or Spark and return the findings as one Arrow table, in catalogue order and
within each rule by key, so a re-run on the same inputs gives identical output on either engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from sunshine.engine.assistance.catalogue import RULES
from sunshine.engine.assistance.rules import Params, default_check_date, rule_sql
from sunshine.engine.assistance.tables import FINDINGS, TABLES, TableError, conform

__all__ = ["default_check_date", "open_backend", "prepare", "rule_sql", "run_assistance", "run_assistance_check"]


def prepare(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Every input table conformed to its schema; an absent one empty."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise TableError(f"unknown tables: {', '.join(sorted(unknown))}")
    return {name: conform(name, tables[name]) if name in tables else schema.empty_table()
            for name, schema in TABLES.items()}


def conform_findings(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in FINDINGS], schema=FINDINGS)


def run_assistance(backend: Any, *, year: int, check_date: dt.date | None = None,
                   params: Params | Mapping[str, Any] | None = None, rules: Sequence[str] | None = None,
                   division_prefix: str | None = None) -> pa.Table:
    """Findings of ``rules`` (default: the whole catalogue) over the tables registered on ``backend``."""
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise KeyError(f"unknown rules: {', '.join(sorted(unknown))}")
    wanted = [code for code in RULES if rules is None or code in set(rules)]
    check = check_date or default_check_date(year)
    parts = [conform_findings(backend.query(rule_sql(code, year=year, check_date=check, params=params,
                                                     division_prefix=division_prefix, dialect=backend.dialect)))
             for code in wanted]
    return pa.concat_tables(parts) if parts else FINDINGS.empty_table()


@contextmanager
def open_backend(tables: Mapping[str, pa.Table], *, engine: str = "duckdb") -> Iterator[Any]:
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be 'duckdb' or 'spark', not {engine!r}")
    prepared = prepare(tables)
    if engine == "duckdb":
        from sunshine.engine.backend import DuckDBBackend

        with DuckDBBackend(threads=1) as duck:
            duck.register_all(prepared)
            yield duck
        return
    from sunshine.engine.spark import SparkBackend, local_session

    with SparkBackend(local_session()) as spark:
        spark.register_all(prepared)
        yield spark


def run_assistance_check(tables: Mapping[str, pa.Table], *, year: int, check_date: dt.date | None = None,
                         params: Params | Mapping[str, Any] | None = None, engine: str = "duckdb",
                         rules: Sequence[str] | None = None, division_prefix: str | None = None) -> pa.Table:
    """The findings of the R-* catalogue for ``year`` judged at ``check_date`` (default 31 December, or today
    if earlier)."""
    with open_backend(tables, engine=engine) as backend:
        return run_assistance(backend, year=year, check_date=check_date, params=params, rules=rules,
                              division_prefix=division_prefix)
