"""Benchmark of the computed standards of funds.md §5–6 on DuckDB: the interest subsidy (贴息) and the dividends
(分红) for one year, on a synthetic county-bank-sized portfolio.

    .venv/bin/python benchmarks/credit.py                # 300,000 loans, 2,000,000 repayments over 3 years;
                                                         # 5,000 assets shared among 600,000 households
    .venv/bin/python benchmarks/credit.py --scale 0.05   # a quick run

A child process writes the data as Parquet to --dir (default /tmp/sunshine-bench-credit), kept for later runs
with the same --scale and --seed: loans issued 2018–2020 for 1–3 years (some extended, some renewed), with
repayments on random days (some before the due date, some after it, some repaying in full); assets listing 1–5
villages each, 按户 or 按人, some disposed or scrapped; the registry year 2020 of 600,000 households.

Then one child process per computation (so that each reports its own peak memory, ru_maxrss) runs it on the
Parquet paths for 2020 (interest_subsidy / dividends of sunshine.engine.funds.run, DuckDB, all cores,
--memory-limit) and times it; and the same child runs the straightforward Python reading of funds.md
(sunshine.engine.funds.reference: per loan, per day; per asset, per household) on a sample — 2,000 loans, 200
assets — checks that its results are identical to the engine's, and prints the ratio of its time, extrapolated
to the whole portfolio, to the engine's. The dividends child also checks that every pool sums exactly.

Targets at full scale: each computation under 30 s and under 4 GB. The machine may be shared, so the load
average is printed. (The shared harness of catalogue_bench.py runs one engine child scored against planted
findings; here two computations are timed apart and checked against a reference, so only its peak_mb is used.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from catalogue_bench import peak_mb

ROOT = Path(__file__).resolve().parent.parent
VERSION = 1
YEAR = 2020
FULL = {"loans": 300_000, "repayments": 2_000_000, "assets": 5_000, "households": 600_000}
SAMPLE_LOANS, SAMPLE_ASSETS = 2_000, 200
TARGET_SECONDS, TARGET_MB = 30.0, 4 * 1024
HOUSEHOLDS_PER_VILLAGE = 300


def generate(directory: Path, scale: float, seed: int) -> dict:
    """Write the portfolio (or keep it when manifest.json has the same parameters)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sunshine.engine.funds.tables import TABLES

    params = {"version": VERSION, "scale": scale, "seed": seed}
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params:
            return manifest | {"reused": True}
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = {k: max(50, round(v * scale)) for k, v in FULL.items()}
    epoch = np.datetime64("2018-01-01")

    def dates(days: np.ndarray) -> pa.Array:
        return pa.array((epoch + days.astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32())

    def money(fen: np.ndarray, type_: pa.DataType) -> pa.Array:
        """Whole fen as exact yuan: the same 128-bit integers read with two decimals."""
        return pa.array(fen, pa.int64()).cast(pa.decimal128(19, 0)).view(pa.decimal128(19, 2)).cast(type_)

    # --- registry year: households in villages -------------------------------------------------------------
    households = n["households"]
    n_villages = max(3, households // HOUSEHOLDS_PER_VILLAGE)
    village_codes = np.array([f"3203{1 + v // 4000:02d}{1 + (v // 200) % 20:03d}{1 + v % 200:03d}"
                              for v in range(n_villages)])
    village_of = rng.integers(0, n_villages, households)
    draw = rng.random(households)
    status = np.where(draw < 0.30, "in_poverty", np.where(draw < 0.90, "exited",
                                                          np.where(draw < 0.92, "returned", "closed")))
    exit_year = np.where(status == "exited", rng.integers(2015, YEAR + 1, households), -1)
    household_nos = np.char.add("H", np.char.zfill(np.arange(households).astype(str), 8))
    schema = TABLES["household_years"]
    pq.write_table(pa.Table.from_arrays([
        pa.array(household_nos), pa.array(np.full(households, YEAR), pa.int32()),
        pa.array(village_codes[village_of]), pa.array(status),
        pa.array(exit_year, pa.int32(), mask=exit_year < 0),
        pa.array(rng.integers(1, 7, households), pa.int32())], schema=schema), directory / "household_years.parquet")

    # --- loans -------------------------------------------------------------------------------------------------
    loans = n["loans"]
    start = rng.integers(0, 3 * 365, loans)                         # 2018-01-01 … 2020-12-30
    term = rng.choice([365, 730, 1095], loans, p=[0.5, 0.3, 0.2])
    due = start + term
    extended = np.where(rng.random(loans) < 0.1, due + rng.integers(30, 400, loans), -1)
    renewal = np.where((rng.random(loans) < 0.05) & (np.arange(loans) > 0),
                       rng.integers(0, np.maximum(np.arange(loans), 1)), -1)
    # A renewal starts when the loan it renews falls due (roughly).
    start = np.where(renewal >= 0, np.minimum(start[np.maximum(renewal, 0)] + term[np.maximum(renewal, 0)]
                                              - rng.integers(0, 30, loans), 3 * 365), start)
    due = start + term
    extended = np.where(extended >= 0, due + rng.integers(30, 400, loans), -1)
    amount_fen = rng.integers(100, 501, loans) * 10_000 + rng.integers(0, 100, loans)     # 10,000–50,000.99 元
    loan_nos = np.char.add("DK", np.char.zfill(np.arange(loans).astype(str), 8))
    rates = np.array(["0.0435", "0.0475", "0.0490", "0.0510"])[rng.integers(0, 4, loans)]
    schema = TABLES["loans"]
    pq.write_table(pa.Table.from_arrays([
        pa.array(loan_nos), pa.array(household_nos[rng.integers(0, households, loans)]),
        pa.nulls(loans, pa.string()), pa.nulls(loans, pa.string()),
        pa.array(np.array(["农商银行", "邮储银行", "农业银行"])[rng.integers(0, 3, loans)]),
        dates(start), dates(due), pa.array((epoch + np.maximum(extended, 0).astype("timedelta64[D]")).astype(
            "datetime64[D]"), pa.date32(), mask=extended < 0),
        money(amount_fen, schema.field("amount").type), pa.array(rates).cast(schema.field("annual_rate").type),
        pa.array(np.full(loans, "none")), pa.array(np.full(loans, "养殖")),
        pa.array(np.where(renewal >= 0, loan_nos[np.maximum(renewal, 0)], ""), mask=renewal < 0)],
        schema=schema), directory / "loans.parquet")

    # --- repayments: a share of the amount, on a day of the loan's life (some late, some before the day) -------
    repayments = n["repayments"]
    of = rng.integers(0, loans, repayments)
    day = start[of] + (rng.random(repayments) * (term[of] + 200)).astype(np.int64) - 3
    principal = (amount_fen[of] * rng.uniform(0.02, 0.35, repayments)).astype(np.int64)
    schema = TABLES["loan_repayments"]
    pq.write_table(pa.Table.from_arrays([
        pa.array(loan_nos[of]), dates(day), money(principal, schema.field("principal").type),
        money(principal // 20, schema.field("interest").type)], schema=schema), directory / "loan_repayments.parquet")

    # --- assets and their income of the year --------------------------------------------------------------------
    assets = n["assets"]
    asset_nos = np.char.add("ZC", np.char.zfill(np.arange(assets).astype(str), 6))
    listed = [";".join(village_codes[rng.integers(0, n_villages, rng.integers(1, 6))]) for _ in range(assets)]
    draw = rng.random(assets)
    schema = TABLES["assets"]
    ratio = rng.integers(50, 101, assets)
    pq.write_table(pa.Table.from_arrays([
        pa.array(asset_nos), pa.array(np.char.add(asset_nos, "光伏电站")), pa.nulls(assets, pa.string()),
        pa.array(np.full(assets, "solar")), pa.array(village_codes[rng.integers(0, n_villages, assets)]),
        money(rng.integers(10**7, 10**9, assets), schema.field("value").type), dates(np.zeros(assets, np.int64)),
        pa.array(np.full(assets, "某合作社")),
        pa.array(np.where(rng.random(assets) < 0.5, "per_household", "per_person")),
        money(ratio, schema.field("household_ratio").type),                    # 0.50–1.00
        pa.array(listed),
        pa.array(np.where(draw < 0.9, "operating", np.where(draw < 0.95, "disposed", "scrapped")))],
        schema=schema), directory / "assets.parquet")
    schema = TABLES["asset_income"]
    pq.write_table(pa.Table.from_arrays([
        pa.array(asset_nos), pa.array(np.full(assets, YEAR), pa.int32()),
        money(rng.integers(10**6, 2 * 10**8, assets), schema.field("income").type)], schema=schema),
        directory / "asset_income.parquet")

    manifest = {"params": params, "counts": n, "villages": n_villages,
                "seconds": round(time.perf_counter() - started, 1), "peak_mb": round(peak_mb())}
    manifest_path.write_text(json.dumps(manifest))
    return manifest | {"reused": False}


def _paths(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in directory.glob("*.parquet")}


def subsidy_child(directory: Path, threads: int, memory_limit: str) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from sunshine.engine.funds import reference
    from sunshine.engine.funds.run import interest_subsidy

    load_before = os.getloadavg()
    started = time.perf_counter()
    table = interest_subsidy(_paths(directory), year=YEAR, threads=threads, memory_limit=memory_limit)
    seconds = time.perf_counter() - started
    engine_mb = peak_mb()
    engine = dict(zip(table.column("loan_no").to_pylist(), table.column("subsidy").to_pylist(), strict=True))

    loans = pq.read_table(directory / "loans.parquet")
    all_nos = loans.column("loan_no").to_pylist()
    step = max(1, len(all_nos) // SAMPLE_LOANS)
    sample = set(all_nos[::step][:SAMPLE_LOANS])
    repayments = pq.read_table(directory / "loan_repayments.parquet")
    repayments = repayments.filter(pc.is_in(repayments.column("loan_no"), value_set=pa_array(sorted(sample))))
    # Renewals of a sampled loan are looked up among all loans (only the columns that needs).
    renewing = loans.filter(pc.is_valid(loans.column("renewal_of"))).select(["loan_no", "loan_date", "renewal_of"])
    rows = loans.filter(pc.is_in(loans.column("loan_no"), value_set=pa_array(sorted(sample)))).to_pylist()
    rows += [r | {"amount": None, "annual_rate": None} for r in renewing.to_pylist() if r["loan_no"] not in sample]
    started = time.perf_counter()
    expected = reference.subsidy(rows, repayments.to_pylist(), YEAR, only=sample)
    reference_seconds = time.perf_counter() - started
    got = {k: v for k, v in engine.items() if k in sample}
    return {"seconds": seconds, "engine_peak_mb": engine_mb, "rows": table.num_rows,
            "total": str(sum(engine.values())), "loans": len(all_nos), "sample": len(sample),
            "sample_outstanding": len(expected), "identical": got == expected,
            "differences": sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))[:5],
            "reference_seconds": reference_seconds, "load_before": load_before, "load_after": os.getloadavg()}


def dividends_child(directory: Path, threads: int, memory_limit: str) -> dict:
    from collections import defaultdict
    from decimal import ROUND_FLOOR, Decimal

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from sunshine.engine.funds import reference
    from sunshine.engine.funds.run import dividends

    load_before = os.getloadavg()
    started = time.perf_counter()
    table = dividends(_paths(directory), year=YEAR, threads=threads, memory_limit=memory_limit)
    seconds = time.perf_counter() - started
    engine_mb = peak_mb()

    assets = pq.read_table(directory / "assets.parquet")
    income = {r["asset_no"]: r["income"] for r in pq.read_table(directory / "asset_income.parquet").to_pylist()}
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for asset_no, household_no, amount in zip(*(table.column(c).to_pylist() for c in
                                                 ("asset_no", "household_no", "amount")), strict=True):
        totals[asset_no][household_no is None] += amount
    exact = True
    for a in assets.to_pylist():
        if a["asset_no"] in totals:
            pool = (income[a["asset_no"]] * a["household_ratio"]).quantize(Decimal("0.01"), ROUND_FLOOR)
            households, villages = totals[a["asset_no"]]
            exact &= households in (pool, 0) and households + villages in (income[a["asset_no"]], villages)
    nos = assets.column("asset_no").to_pylist()
    sample = nos[:: max(1, len(nos) // SAMPLE_ASSETS)][:SAMPLE_ASSETS]
    chosen = assets.filter(pc.is_in(assets.column("asset_no"), value_set=pa_array(sample)))
    households = pq.read_table(directory / "household_years.parquet").to_pylist()
    chosen_rows = chosen.to_pylist()
    started = time.perf_counter()
    expected = reference.dividends(chosen_rows, [{"asset_no": k, "year": YEAR, "income": v}
                                                 for k, v in income.items()], households, YEAR)
    reference_seconds = time.perf_counter() - started
    got_table = table.filter(pc.is_in(table.column("asset_no"), value_set=pa_array(sample)))
    got = [(r["asset_no"], r["household_no"], r["division_code"], r["amount"]) for r in got_table.to_pylist()]
    return {"seconds": seconds, "engine_peak_mb": engine_mb, "rows": table.num_rows,
            "assets_paid": len(totals), "assets": len(nos), "sample": len(sample), "sample_rows": len(expected),
            "identical": got == expected, "pools_exact": exact, "reference_seconds": reference_seconds,
            "load_before": load_before, "load_after": os.getloadavg()}


def pa_array(values: list[str]):  # noqa: ANN201 - a pyarrow Array
    import pyarrow as pa

    return pa.array(values, pa.string())


def _child(args: argparse.Namespace, role: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", role, "--dir", str(args.dir),
           "--scale", str(args.scale), "--seed", str(args.seed), "--threads", str(args.threads),
           "--memory-limit", args.memory_limit]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        raise SystemExit(f"the {role} process failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 300,000 loans, 600,000 households")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sunshine-bench-credit"))  # noqa: S108
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--child", choices=["generate", "subsidy", "dividends"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "generate":
        print(json.dumps(generate(args.dir, args.scale, args.seed) | {"peak_mb": round(peak_mb())}))
        return 0
    if args.child:
        child = subsidy_child if args.child == "subsidy" else dividends_child
        print(json.dumps(child(args.dir, args.threads, args.memory_limit)))
        return 0
    manifest = _child(args, "generate")
    s = _child(args, "subsidy")
    d = _child(args, "dividends")
    gb = 1024
    c = manifest["counts"]
    how = "reused from" if manifest.get("reused") else f"generated in {manifest['seconds']} s into"
    print(f"credit benchmark · {os.cpu_count()} CPUs · DuckDB threads {args.threads}, memory_limit "
          f"{args.memory_limit} · scale {args.scale} · seed {args.seed} · year {YEAR}")
    print(f"data: {c['loans']:,} loans, {c['repayments']:,} repayments, {c['assets']:,} assets, "
          f"{c['households']:,} households in {manifest['villages']:,} villages; {how} {args.dir}")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in s['load_before'])}, after: "
          f"{'/'.join(f'{x:.2f}' for x in d['load_after'])}")
    failures = []
    per_loan = s["reference_seconds"] / max(1, s["sample"])
    print(f"interest subsidy: {s['rows']:,} loans outstanding in {YEAR} (subsidy {s['total']} 元) in "
          f"{s['seconds']:.2f} s, peak {s['engine_peak_mb'] / gb:.2f} GB")
    print(f"  per-day Python reference on {s['sample']:,} sampled loans: {s['reference_seconds']:.1f} s "
          f"(≈ {per_loan * s['loans']:.0f} s for all {s['loans']:,}, {per_loan * s['loans'] / s['seconds']:.0f}× "
          f"the engine); identical to the engine: {'yes' if s['identical'] else 'NO ' + str(s['differences'])}")
    per_asset = d["reference_seconds"] / max(1, d["sample"])
    print(f"dividends: {d['rows']:,} shares of {d['assets_paid']:,} assets in {d['seconds']:.2f} s, peak "
          f"{d['engine_peak_mb'] / gb:.2f} GB; every pool sums exactly: {'yes' if d['pools_exact'] else 'NO'}")
    print(f"  Python reference on {d['sample']:,} sampled assets ({d['sample_rows']:,} shares): "
          f"{d['reference_seconds']:.1f} s (≈ {per_asset * d['assets']:.0f} s for all {d['assets']:,} assets, "
          f"{per_asset * d['assets'] / d['seconds']:.0f}× the engine); identical to the engine: "
          f"{'yes' if d['identical'] else 'NO'}")
    for name, r in (("subsidy", s), ("dividends", d)):
        if not r["identical"]:
            failures.append(f"{name}: the engine and the reference disagree")
        if args.scale >= 1.0 and r["seconds"] > TARGET_SECONDS:
            failures.append(f"{name} slower than {TARGET_SECONDS:.0f} s ({r['seconds']:.0f} s)")
        if args.scale >= 1.0 and r["engine_peak_mb"] > TARGET_MB:
            failures.append(f"{name} peak memory above {TARGET_MB / gb:.0f} GB")
    if not d["pools_exact"]:
        failures.append("a dividend pool does not sum exactly")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
