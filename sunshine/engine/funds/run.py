"""Run the funds catalogue (funds.md §3–5) on DuckDB or Spark and return the findings as one Arrow table; and
compute the interest subsidy and the dividends (funds.md §5–6, sunshine.engine.funds.credit) the same way.

``run_funds_check(tables, …)`` is the entry point the Django layer calls: ``tables`` maps the names of
sunshine.engine.funds.tables to Arrow tables or Parquet paths (an absent name is an empty table). ``run_funds``
does the same on a backend the caller holds open. Each rule is one statement run on its own, so the caller
sees per-rule progress through ``on_rule``; the tables are concatenated in catalogue order, each already in
its fixed order, so a re-run on the same inputs gives identical output on either engine.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from sunshine.engine.dialect import Dialect
from sunshine.engine.funds import credit
from sunshine.engine.funds.catalogue import RULES
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.rules import default_check_date, rule_sql
from sunshine.engine.funds.tables import FINDINGS, TABLES, TableError, conform

__all__ = ["default_check_date", "dividends", "interest_subsidy", "open_backend", "prepare", "rule_sql",
           "run_dividends", "run_funds", "run_funds_check", "run_subsidy"]

Source = pa.Table | Path | str


class Backend(Protocol):
    dialect: Dialect

    def register(self, name: str, source: Source) -> None: ...

    def query(self, sql: str) -> pa.Table: ...


def prepare(tables: Mapping[str, Source]) -> dict[str, Source]:
    """Every input table, conformed to its schema: an Arrow table cast and reordered, a Parquet file kept as a
    path when its columns already have the schema's types (the engine then reads only what it uses) and read
    and conformed otherwise; an absent table empty."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise TableError(f"unknown tables: {', '.join(sorted(unknown))}")
    out: dict[str, Source] = {}
    for name, schema in TABLES.items():
        source = tables.get(name)
        if source is None:
            out[name] = schema.empty_table()
        elif isinstance(source, pa.Table):
            out[name] = conform(name, source)
        else:
            stored = pq.read_schema(source)
            if all(f.name in stored.names and stored.field(f.name).type == f.type for f in schema):
                out[name] = str(source)
            else:
                out[name] = conform(name, pq.read_table(source))
    return out


def conform_findings(table: pa.Table) -> pa.Table:
    """The engine's result as FINDINGS (Spark and DuckDB size integers and decimals differently)."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in FINDINGS], schema=FINDINGS)


def run_funds(backend: Backend, *, year: int, check_date: dt.date | None = None,
              params: Params | Mapping[str, Any] | None = None, rules: Sequence[str] | None = None,
              division_prefix: str | None = None,
              on_rule: Callable[[str, int, float], None] | None = None) -> pa.Table:
    """Findings of ``rules`` (default: the whole catalogue) over the tables registered on ``backend``."""
    wanted = list(RULES) if rules is None else [code for code in RULES if code in set(rules)]
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise KeyError(f"unknown rules: {', '.join(sorted(unknown))}")
    resolved = params if isinstance(params, Params) else Params.from_mapping(params)
    check = check_date or default_check_date(year)
    tables = []
    for code in wanted:
        started = time.perf_counter()
        sql = rule_sql(code, year=year, check_date=check, params=resolved, division_prefix=division_prefix,
                       dialect=backend.dialect)
        table = conform_findings(backend.query(sql))
        tables.append(table)
        if on_rule is not None:
            on_rule(code, table.num_rows, time.perf_counter() - started)
    return pa.concat_tables(tables) if tables else FINDINGS.empty_table()


@contextmanager
def open_backend(tables: Mapping[str, Source], *, engine: str = "duckdb", threads: int | None = None,
                 memory_limit: str | None = None) -> Iterator[Backend]:
    """``engine`` 'duckdb' (in-process) or 'spark' (the local session) with every input table registered."""
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be 'duckdb' or 'spark', not {engine!r}")
    prepared = prepare(tables)
    if engine == "duckdb":
        from sunshine.engine.backend import DuckDBBackend

        with DuckDBBackend(threads=threads, memory_limit=memory_limit) as duck:
            duck.register_all(prepared)
            yield duck
        return
    from sunshine.engine.spark import SparkBackend, local_session

    with SparkBackend(local_session()) as spark:
        spark.register_all(prepared)
        yield spark


def run_funds_check(tables: Mapping[str, Source], *, year: int, check_date: dt.date | None = None,
                    params: Params | Mapping[str, Any] | None = None, engine: str = "duckdb",
                    rules: Sequence[str] | None = None, division_prefix: str | None = None,
                    on_rule: Callable[[str, int, float], None] | None = None,
                    threads: int | None = None, memory_limit: str | None = None) -> pa.Table:
    """The findings of the funds catalogue for ``year`` judged at ``check_date`` (default: 31 December, or
    today if earlier), on ``engine`` 'duckdb' (in-process) or 'spark' (the local session)."""
    with open_backend(tables, engine=engine, threads=threads, memory_limit=memory_limit) as backend:
        return run_funds(backend, year=year, check_date=check_date, params=params, rules=rules,
                         division_prefix=division_prefix, on_rule=on_rule)


# --- the computed standards of funds.md §5–6 (sunshine.engine.funds.credit) -----------------------------------

def run_subsidy(backend: Backend, *, year: int, division_prefix: str | None = None,
                params: Params | Mapping[str, Any] | None = None) -> pa.Table:
    """The interest subsidy per loan for ``year`` (SUBSIDY) over the tables registered on ``backend``."""
    return credit.conform_subsidy(backend.query(credit.subsidy_sql(
        year=year, division_prefix=division_prefix, params=params, dialect=backend.dialect)))


def run_dividends(backend: Backend, *, year: int, keep_years: int | None = None,
                  division_prefix: str | None = None, params: Params | Mapping[str, Any] | None = None) -> pa.Table:
    """The dividends of ``year`` (DIVIDENDS) over the tables registered on ``backend``."""
    return credit.conform_dividends(backend.query(credit.dividends_sql(
        year=year, keep_years=keep_years, division_prefix=division_prefix, params=params, dialect=backend.dialect)))


def interest_subsidy(tables: Mapping[str, Source], *, year: int, division_prefix: str | None = None,
                     params: Params | Mapping[str, Any] | None = None, engine: str = "duckdb",
                     threads: int | None = None, memory_limit: str | None = None) -> pa.Table:
    """``sunshine loans subsidy``: loan_no, year, subsidy for every loan outstanding in ``year`` (funds.md §5)."""
    with open_backend(tables, engine=engine, threads=threads, memory_limit=memory_limit) as backend:
        return run_subsidy(backend, year=year, division_prefix=division_prefix, params=params)


def dividends(tables: Mapping[str, Source], *, year: int, keep_years: int | None = None,
              division_prefix: str | None = None, params: Params | Mapping[str, Any] | None = None,
              engine: str = "duckdb", threads: int | None = None, memory_limit: str | None = None) -> pa.Table:
    """``sunshine assets dividends``: asset_no, year, household_no (NULL: a village), division_code, amount
    (funds.md §6); ``keep_years`` defaults to the standard's dividend_keep_years (2)."""
    with open_backend(tables, engine=engine, threads=threads, memory_limit=memory_limit) as backend:
        return run_dividends(backend, year=year, keep_years=keep_years, division_prefix=division_prefix,
                             params=params)
