"""Benchmark of monitoring and early warning (policy-rules.md §5) on the engine (DuckDB).

    .venv/bin/python benchmarks/monitor.py                       # 1,000,000 households, 3 years
    .venv/bin/python benchmarks/monitor.py --households 100000

The registry year comes from benchmarks/assess.py's generator (imported, not copied); the two earlier years
are the same households and people with incomes scaled per household and year, and a few changes of health
and status, so that every warning code occurs. Signals: C-MEDCOST and C-DISASTER findings on registered
members (50,000 by default) and C-DIBAO-MISSING heads outside the registry; 20,000 monitored households.
The tables are built with plain ID numbers and made into monitoring's inputs, which hold ID hashes only, by
sunshine.engine.monitoring.prepare (timed apart: the app reads the hashes from the database instead).
run_monitoring is timed for the last year (registration, the statement, the WARNINGS table); peak memory is
the process's ru_maxrss (snapshot included). Target: under 120 s for 1,000,000 households.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from assess import YEAR, build_snapshot  # noqa: E402 - benchmarks/ is not a package

from sunshine.engine import snapshot as s  # noqa: E402
from sunshine.engine.backend import DuckDBBackend  # noqa: E402
from sunshine.engine.monitoring import run_monitoring  # noqa: E402
from sunshine.engine.monitoring.prepare import PLAIN_MONITORED, PLAIN_SIGNALS, hashed_tables  # noqa: E402
from sunshine.policy.parameters import StandardParameters  # noqa: E402

TARGET_SECONDS = 120.0
YEARS = (YEAR - 2, YEAR - 1, YEAR)
INCOME = ("wage_income", "business_income", "business_expense", "property_income", "transfer_income",
          "transfer_expense")
OPTIONAL = [f for f in s.MEMBERS if f.name in s.OPTIONAL_COLUMNS]
ID_HASH_KEY = "benchmark-id-hash-key"


def _scaled(table: pa.Table, factor: np.ndarray) -> list[pa.Array]:
    out = []
    for name in INCOME:
        column = table.column(name).combine_chunks()
        cents = np.round(pc.fill_null(column.cast(pa.float64()), 0).to_numpy() * factor * 100).astype(np.int64)
        out.append(s.decimal_from_cents(cents, column.is_valid().to_numpy(zero_copy_only=False)))
    return out


def _year_of(table: pa.Table, year: int) -> pa.Table:
    return table.set_column(table.column_names.index("year"), "year", pa.array(np.full(table.num_rows, year, np.int32)))


def build(households: int, seed: int, n_signals: int, n_monitored: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed + 100)
    hh, members = build_snapshot(households, seed)
    members = members.drop_columns([c for c in members.column_names if c in s.OPTIONAL_COLUMNS])  # filled below
    n, m = hh.num_rows, members.num_rows

    def pick(values: list[str | None], p: list[float], size: int) -> np.ndarray:
        return np.array(values, dtype=object)[rng.choice(len(values), size=size, p=p)]

    # The members' optional columns, per year: most people keep theirs; a few fall ill or die in the year.
    health = pick(["healthy", "chronic", "serious_illness", "disabled", None], [0.80, 0.12, 0.02, 0.04, 0.02], m)
    level = np.where(health == "disabled", pick(["level1", "level2", "level3", "level4"], [0.15, 0.2, 0.3, 0.35], m),
                     None)
    labour = pick(["ordinary", "skilled", "weak", "lost", "none", None], [0.45, 0.1, 0.15, 0.1, 0.15, 0.05], m)
    status = members.column("member_status").to_numpy(zero_copy_only=False)
    hh_tables, member_tables = [], []
    for k, year in enumerate(YEARS):
        last = k == len(YEARS) - 1
        h_year = health.copy()
        if not last:  # 1% of this year's serious conditions are new in the last year
            h_year[(rng.random(m) < 0.01) & np.isin(health, ["serious_illness", "disabled"])] = "healthy"
        member_status = status if last else np.where(status == "deceased", "active", status)
        days = rng.integers(0, 365, m)
        change = np.where(member_status == "deceased",
                          (np.datetime64(f"{year}-01-01") - np.datetime64("1970-01-01")).astype(np.int64) + days, 0)
        optional = [pa.array(h_year, pa.string()), pa.array(level, pa.string()), pa.array(labour, pa.string()),
                    pa.array(change.astype(np.int32), pa.date32(), mask=member_status != "deceased")]
        m_year = _year_of(members, year).set_column(
            members.column_names.index("member_status"), "member_status", pa.array(member_status, pa.string()))
        for f, array in zip(OPTIONAL, optional, strict=True):
            m_year = m_year.append_column(f, array)
        member_tables.append(s.conform(m_year, s.MEMBERS))
        factor = np.ones(n) if last else rng.lognormal(0.08 * (len(YEARS) - 1 - k), 0.2, n)
        h_year_table = _year_of(hh, year)
        for name, array in zip(INCOME, _scaled(hh, factor), strict=True):
            h_year_table = h_year_table.set_column(h_year_table.column_names.index(name), name, array)
        hh_tables.append(h_year_table)

    # Signals on registered members of the last year, and 低保 heads outside the registry.
    rows = rng.choice(m, size=n_signals, replace=False)
    rule = pick(["C-MEDCOST", "C-DISASTER"], [0.6, 0.4], n_signals)
    outside = max(1, n_signals // 10)
    ids = members.column("id_number").take(pa.array(rows))
    dibao_ids = pa.array([f"3203211990{k:08d}" for k in range(outside)], pa.string())
    signals = pa.table({
        "rule": pa.array(np.concatenate([rule, np.full(outside, "C-DIBAO-MISSING", dtype=object)]), pa.string()),
        "year": pa.array(np.full(n_signals + outside, YEAR, np.int32)),
        "household_key": pa.concat_arrays([members.column("household_key").take(pa.array(rows)).combine_chunks(),
                                           pa.nulls(outside, pa.int64())]),
        "id_number": pa.concat_arrays([ids.combine_chunks(), dibao_ids]),
        "name": pa.concat_arrays([members.column("name").take(pa.array(rows)).combine_chunks(),
                                  pa.array(["低保户主"] * outside, pa.string())]),
        "village_code": pa.concat_arrays([pa.nulls(n_signals, pa.string()),
                                          pa.array(["320321101001"] * outside, pa.string())]),
        "explanation": pa.array(np.where(np.concatenate([rule, np.full(outside, "", dtype=object)]) == "C-MEDCOST",
                                         "医疗保障数据显示成员本年个人自付合计12000.00元,达到预警线10000元",
                                         "应急管理数据显示成员本年受灾").astype(object), pa.string()),
    }, schema=PLAIN_SIGNALS)
    income = s.decimal_from_cents(np.round(rng.lognormal(np.log(9500), 0.3, n_monitored) * 100).astype(np.int64))
    watched = pa.table({
        "monitored_key": pa.array(np.arange(1, n_monitored + 1, dtype=np.int64)),
        "number": pa.array([f"JC{k:08d}" for k in range(n_monitored)], pa.string()),
        "year": pa.array(np.full(n_monitored, YEAR, np.int32)),
        "division_code": pa.array(["320321101001"] * n_monitored, pa.string()),
        "head_name": pa.array(["监测户主"] * n_monitored, pa.string()),
        # Every tenth monitored head is also a 低保 head found outside the registry (merged into its row).
        "head_id_number": pa.array([f"3203211990{k // 10:08d}" if k % 10 == 0 and k // 10 < outside
                                    else f"3203211980{k:08d}" for k in range(n_monitored)], pa.string()),
        "members": pa.array(np.full(n_monitored, 3, np.int32)),
        "per_capita_income": income,
    }, schema=PLAIN_MONITORED)
    return {"households": pa.concat_tables(hh_tables), "members": pa.concat_tables(member_tables),
            "signals": signals, "monitored": watched}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--signals", type=int, default=50_000)
    parser.add_argument("--monitored", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    snap = build(args.households, args.seed, args.signals, args.monitored)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    snap = hashed_tables(snap, ID_HASH_KEY)
    prepare_seconds = time.perf_counter() - started
    per_year = snap["members"].num_rows // len(YEARS)
    print(f"monitoring benchmark · {os.cpu_count()} CPUs · load average {os.getloadavg()} · seed {args.seed}")
    print(f"snapshot: {args.households:,} households × {len(YEARS)} years, {snap['members'].num_rows:,} member rows "
          f"(≈{per_year:,} a year), {snap['signals'].num_rows:,} signals, {snap['monitored'].num_rows:,} monitored "
          f"(built in {build_seconds:.1f} s; ID numbers hashed in {prepare_seconds:.1f} s)")

    params = StandardParameters().to_dict()
    started = time.perf_counter()
    with DuckDBBackend() as backend:
        backend.register_all(snap)
        warnings = run_monitoring(backend, year=YEAR, params=params)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    codes = pc.value_counts(pc.list_flatten(warnings.column("codes"))).to_pylist()
    subjects = pc.value_counts(warnings.column("subject")).to_pylist()
    print(f"warnings: {warnings.num_rows:,} rows; by code {({c['values']: c['counts'] for c in codes})}; "
          f"by subject {({c['values']: c['counts'] for c in subjects})}")
    print(f"run_monitoring (DuckDB, year {YEAR}): {seconds:.1f} s; peak memory (ru_maxrss, snapshot included): "
          f"{peak_mb:.0f} MB; load average after {os.getloadavg()}")
    scaled = seconds * 1_000_000 / args.households
    if scaled > TARGET_SECONDS:
        print(f"FAILED: slower than {TARGET_SECONDS:.0f} s per million households ({scaled:.1f} s)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
