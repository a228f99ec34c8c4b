"""Run the comparison catalogue on a backend (DuckDB or Spark) and return the findings as one Arrow table.

The backend has ``people`` (snapshot.PEOPLE), ``ds_<name>`` for every dataset in ``key_kinds`` and, optionally,
``links``. Each rule is one statement (sunshine.engine.comparison.rules.rule_sql) run on its own, so the
caller sees per-rule progress through ``on_rule``; the tables are concatenated in catalogue order, each
already in its fixed order, so a re-run on the same inputs gives identical output on either engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.comparison.rules import rule_sql
from sunshine.engine.comparison.snapshot import FINDINGS
from sunshine.engine.dialect import Dialect

__all__ = ["applicable_rules", "has_table", "run_comparison", "rule_sql"]


class Backend(Protocol):
    dialect: Dialect

    def query(self, sql: str) -> pa.Table: ...


def applicable_rules(key_kinds: Mapping[str, str], rules: Sequence[str] | None = None) -> list[str]:
    """The codes, in catalogue order, of ``rules`` (default: all) whose datasets are all in the run."""
    wanted = set(RULES) if rules is None else set(rules)
    unknown = wanted - set(RULES)
    if unknown:
        raise KeyError(f"unknown rules: {', '.join(sorted(unknown))}")
    return [code for code, rule in RULES.items()
            if code in wanted and all(name in key_kinds for name in rule.datasets)]


def has_table(backend: Backend, name: str) -> bool:
    """Whether ``name`` is registered: the backend's own has_table when it has one (SparkBackend), else a
    zero-row probe (DuckDB raises a CatalogException on an unknown table)."""
    own = getattr(backend, "has_table", None)
    if own is not None:
        return bool(own(name))
    try:
        backend.query(f"SELECT 1 AS x FROM {name} WHERE 1 = 0")  # noqa: S608 - a fixed identifier
    except Exception:  # noqa: BLE001 - duckdb CatalogException, Spark AnalysisException: both mean absent
        return False
    return True


def conform(table: pa.Table) -> pa.Table:
    """The engine's result as FINDINGS (Spark and DuckDB name list items and size integers differently)."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in FINDINGS], schema=FINDINGS)


def run_comparison(backend: Backend, *, year: int, params: Mapping[str, Any], key_kinds: Mapping[str, str],
                   rules: Sequence[str] | None = None, division_prefix: str | None = None,
                   on_rule: Callable[[str, int, float], None] | None = None) -> pa.Table:
    """Findings of every applicable rule (FINDINGS schema). Rules whose datasets are not in ``key_kinds`` are
    skipped silently; ``on_rule(code, rows, seconds)`` is called after each rule that ran."""
    links = has_table(backend, "links")
    tables = []
    for code in applicable_rules(key_kinds, rules):
        started = time.perf_counter()
        sql = rule_sql(code, year=year, params=params, key_kinds=key_kinds, division_prefix=division_prefix,
                       dialect=backend.dialect, links=links)
        table = conform(backend.query(sql))
        tables.append(table)
        if on_rule is not None:
            on_rule(code, table.num_rows, time.perf_counter() - started)
    if not tables:
        return FINDINGS.empty_table()
    return pa.concat_tables(tables)
