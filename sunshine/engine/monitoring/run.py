"""Run monitoring on a backend (DuckDB or Spark) and return the WARNINGS table.

The statement (sunshine.engine.monitoring.sql) yields one BOOLEAN column per signal; codes, score and
contributions are built here from those columns with Arrow (vectorised: a warned household's signals are the
set bits of its row), so both engines give identical rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from sunshine.engine import vocabulary as v
from sunshine.engine.comparison.run import has_table
from sunshine.engine.dialect import Dialect
from sunshine.engine.monitoring.rules import CODES, MAX_SCORE, SIGNALS, MonitoringRules
from sunshine.engine.monitoring.schema import CONTRIBUTION, WARNINGS
from sunshine.engine.monitoring.sql import monitoring_sql


class Backend(Protocol):
    dialect: Dialect

    def query(self, sql: str) -> pa.Table: ...


def run_monitoring(backend: Backend, *, year: int, params: Mapping[str, Any],
                   division_prefix: str | None = None) -> pa.Table:
    """Warnings of ``year`` (WARNINGS schema). The backend has ``households`` and ``members`` (the year and the
    year before at least) and, optionally, ``signals`` (SIGNALS), ``monitored`` (MONITORED) and
    ``loans_overdue`` (LOANS_OVERDUE); an absent optional table counts as empty."""
    sql = monitoring_sql(year=year, params=params, division_prefix=division_prefix, dialect=backend.dialect,
                         signals=has_table(backend, "signals"), monitored=has_table(backend, "monitored"),
                         loans=has_table(backend, "loans_overdue"))
    return warnings_table(backend.query(backend.dialect.finish(sql)), MonitoringRules.from_mapping(params))


def _lists(flags: np.ndarray, values: pa.Array) -> pa.ListArray:
    """Per row, the ``values`` whose flag column is set, in column order."""
    counts = flags.sum(axis=1)
    offsets = np.zeros(len(flags) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    which = np.nonzero(flags.ravel())[0] % flags.shape[1]
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(which)))


def warnings_table(raw: pa.Table, rules: MonitoringRules) -> pa.Table:
    """The statement's rows as WARNINGS: codes, score (min(100, Σ points)) and contributions from the signals."""
    n = raw.num_rows
    signal_flags = np.zeros((n, len(SIGNALS)), dtype=bool)
    for k, signal in enumerate(SIGNALS):
        column = raw.column(signal).combine_chunks() if n else pa.array([], pa.bool_())
        signal_flags[:, k] = column.fill_null(False).to_numpy(zero_copy_only=False)
    code_flags = np.zeros((n, len(CODES)), dtype=bool)
    for k, signal in enumerate(SIGNALS):
        code_flags[:, CODES.index(v.SIGNAL_WARNING[signal])] |= signal_flags[:, k]
    points = np.array([rules.weights[s] for s in SIGNALS], dtype=np.int32)
    score = np.minimum(MAX_SCORE, signal_flags.astype(np.int32) @ points).astype(np.int32)
    contribution_values = pa.StructArray.from_arrays(
        [pa.array(SIGNALS, pa.string()), pa.array(points, pa.int32())], fields=list(CONTRIBUTION))
    computed = {
        "codes": _lists(code_flags, pa.array(CODES, pa.string())),
        "score": pa.array(score, pa.int32()),
        "contributions": _lists(signal_flags, contribution_values),
    }
    columns = []
    for f in WARNINGS:
        column = computed[f.name] if f.name in computed else raw.column(f.name)
        columns.append(column.cast(f.type))
    return pa.Table.from_arrays(columns, schema=WARNINGS)
