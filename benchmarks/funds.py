"""Benchmark of the funds catalogue (funds.md §3–4, F-* and P-*) on DuckDB, on a synthetic province-sized year.

    .venv/bin/python benchmarks/funds.py                 # 12 counties, 20,000 projects, 60,000 funds and
                                                         # allocations, 10,000,000 payments, 2,500,000 members
    .venv/bin/python benchmarks/funds.py --scale 0.1     # a quick run

The year (benchmarks/funds_data.py) is written as Parquet to --dir (default /tmp/sunshine-bench-funds) by a
child process, and kept: a later run with the same --scale and --seed only times the engine. It has planted
anomalies of every rule and near misses that must not be flagged.

A second child process runs run_funds_check on the Parquet paths (DuckDB, all cores, --memory-limit), and
reports per rule: findings, seconds, and rows/s, where the rate counts the rows of the tables the rule reads
divided by the rule's seconds. It compares the findings with the planted truth by (rule, key) and prints
precision and recall. Its peak memory is ru_maxrss after the engine. The same process then times a plain pandas
version of F-DUP and F-OVER (read_parquet, merge, groupby) on the same files, checks it finds the same keys, and
prints the ratio to the engine's time for the rule.

Targets: the whole catalogue in under 60 s from Parquet and under 8 GB at full scale; precision and recall 1.0.
The machine may be shared, so the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from catalogue_bench import Catalogue, peak_mb
from catalogue_bench import main as catalogue_main

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS, TARGET_MB = 60.0, 8 * 1024


def _score(findings, directory: Path) -> dict[str, dict]:  # noqa: ANN001 - a pyarrow Table
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {}
    for row in findings.select(["rule", "key"]).to_pylist():
        found.setdefault(row["rule"], set()).add(row["key"])
    truth: dict[str, dict[str, str]] = {}
    for row in pq.read_table(directory / "truth.parquet").to_pylist():
        truth.setdefault(row["rule"], {})[row["key"]] = row["kind"]
    near: dict[str, dict[str, str]] = {}
    for row in pq.read_table(directory / "near.parquet").to_pylist():
        near.setdefault(row["rule"], {})[row["key"]] = row["kind"]
    scores = {}
    for rule in sorted(set(truth) | set(found)):
        got, want = found.get(rule, set()), truth.get(rule, {})
        tp, fp, fn = got & want.keys(), got - want.keys(), want.keys() - got
        scores[rule] = {
            "planted": len(want), "near_misses": len(near.get(rule, {})), "tp": len(tp), "fp": len(fp),
            "fn": len(fn), "precision": len(tp) / len(got) if got else 1.0,
            "recall": len(tp) / len(want) if want else 1.0,
            "fp_examples": sorted(fp)[:5], "fn_examples": sorted(fn)[:5],
            "fp_near": sorted({near.get(rule, {}).get(k, "not planted") for k in fp}),
        }
    return scores


def _baseline(directory: Path, year: int, check) -> dict[str, dict]:  # noqa: ANN001 - a date
    """F-DUP and F-OVER as a plain pandas script would do them: read the columns, merge, group."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from sunshine.engine.funds.params import DEFAULT_ITEMS

    items = pd.DataFrame([{"item": i.code, "unit": i.unit, "period_kind": i.period,
                           "standard": None if i.standard is None else int(i.standard * 100)}
                          for i in DEFAULT_ITEMS])

    def payments() -> pd.DataFrame:
        table = pq.read_table(directory / "payments.parquet", columns=[
            "payment_no", "id_hash", "household_no", "item", "period", "amount", "paid_date", "loan_no"])
        fen = pc.cast(pc.multiply(table.column("amount"), 100), "int64")
        frame = table.drop(["amount"]).append_column("fen", fen).to_pandas()
        frame = frame[(frame.paid_date <= check)
                      & (frame.period.str.startswith(str(year)) | (frame["item"] == "housing_renovation"))]
        members = pd.read_parquet(directory / "members.parquet", columns=[
            "id_hash", "year", "household_no", "household_status", "member_status"])
        members = members[members.year <= year]
        members["rank"] = np.where(members.household_status != "closed",
                                   np.where(members.member_status == "active", 0, 1), 2)
        members = members.sort_values(["id_hash", "year", "rank", "household_no"]).drop_duplicates(
            ["id_hash", "year"])
        frame["period_year"] = frame.period.str[:4].astype(int)
        frame = frame.merge(members[["id_hash", "year", "household_no"]].rename(
            columns={"household_no": "registry_household", "year": "period_year"}),
            on=["id_hash", "period_year"], how="left")
        frame["household"] = frame.registry_household.fillna(frame.household_no)
        frame = frame.merge(items, on="item")
        frame["unit_key"] = np.select([frame.unit == "person", frame.unit == "household"],
                                      [frame.id_hash, frame.household], frame.loan_no)
        frame["group_period"] = np.where(frame.period_kind == "once", "", frame.period)
        return frame[frame.unit_key.notna()]

    def listed(frame: pd.DataFrame, groups: pd.DataFrame) -> set[str]:
        rows = frame.merge(groups[["item", "unit_key", "group_period"]], on=["item", "unit_key", "group_period"])
        return set(rows.groupby(["item", "unit_key", "group_period"]).payment_no.agg(
            lambda s: ";".join(sorted(s))))

    out = {}
    keys = ["item", "unit_key", "group_period"]
    started = time.perf_counter()
    frame = payments()
    read = time.perf_counter()
    grouped = frame.assign(this_year=frame.period_year == year).groupby(keys).agg(
        n=("payment_no", "size"), this_year=("this_year", "any")).reset_index()
    dups = grouped[(grouped.n >= 2) & grouped.this_year]
    found = listed(frame, dups)
    done = time.perf_counter()
    out["F-DUP"] = {"read": read - started, "compute": done - read, "total": done - started, "keys": found}

    started = time.perf_counter()
    frame = payments()
    standards = pd.read_parquet(directory / "standards.parquet")
    read = time.perf_counter()
    standards["fen"] = (standards.amount.astype(float) * 100).round().astype("int64")
    computed = standards.groupby(["item", "key", "year"]).fen.sum().reset_index()
    known = standards[["item", "year"]].drop_duplicates().assign(known=True)
    totals = frame.assign(this_year=frame.period_year == year).groupby(keys).agg(
        fen=("fen", "sum"), standard=("standard", "max"), year=("period_year", "max"),
        this_year=("this_year", "any")).reset_index()
    totals = totals[totals.this_year]
    totals = totals.merge(computed.rename(columns={"key": "unit_key", "fen": "computed"}),
                          on=["item", "unit_key", "year"], how="left").merge(known, on=["item", "year"], how="left")
    fixed = totals.standard.notna()
    limit = np.where(fixed, totals.standard, np.where(totals.known.eq(True), totals.computed.fillna(0), np.nan))
    over = totals[(~np.isnan(limit)) & (totals.fen > np.nan_to_num(limit) + np.where(fixed, 0, 1))]
    found = listed(frame, over)
    done = time.perf_counter()
    out["F-OVER"] = {"read": read - started, "compute": done - read, "total": done - started, "keys": found}
    return out


def _engine_child(directory: Path, threads: int, memory_limit: str, baseline: bool) -> dict:
    import pyarrow.parquet as pq
    from funds_data import YEAR, T

    from sunshine.engine.funds.catalogue import RULES
    from sunshine.engine.funds.run import run_funds_check
    from sunshine.engine.funds.tables import TABLES

    load_before = os.getloadavg()
    paths = {name: directory / f"{name}.parquet" for name in TABLES if (directory / f"{name}.parquet").exists()}
    rows = {name: pq.ParquetFile(path).metadata.num_rows for name, path in paths.items()}
    per_rule: dict[str, dict] = {}

    def on_rule(code: str, found: int, seconds: float) -> None:
        read = sum(rows.get(t, 0) for t in RULES[code].tables)
        per_rule[code] = {"findings": found, "seconds": seconds, "rows_read": read}
        print(f"{code}: {found} findings in {seconds:.1f} s", file=sys.stderr, flush=True)

    started = time.perf_counter()
    findings = run_funds_check(paths, year=YEAR, check_date=T, threads=threads, memory_limit=memory_limit,
                               on_rule=on_rule)
    engine_seconds = time.perf_counter() - started
    engine_peak = peak_mb()
    load_after_engine = os.getloadavg()
    result = {
        "rules": per_rule, "scores": _score(findings, directory), "engine_seconds": engine_seconds,
        "engine_peak_mb": engine_peak, "rows": rows, "threads": threads, "memory_limit": memory_limit,
        "load_before": load_before, "load_after_engine": load_after_engine,
    }
    if baseline:
        naive = _baseline(directory, YEAR, T)
        for code, b in naive.items():
            engine_keys = {r["key"] for r in findings.to_pylist() if r["rule"] == code}
            b["same"] = b.pop("keys") == engine_keys
        result["baseline"] = naive
        result["peak_mb"] = peak_mb()
        result["load_after_baseline"] = os.getloadavg()
    return result


def _print(manifest: dict, r: dict, args: argparse.Namespace) -> list[str]:
    gb = 1024
    print(f"funds catalogue benchmark · {os.cpu_count()} CPUs · DuckDB threads {r['threads']}, memory_limit "
          f"{r['memory_limit']} · scale {args.scale} · seed {args.seed}")
    how = "reused from" if manifest["reused"] else f"generated in {manifest['seconds']} s (peak " \
        f"{manifest['peak_mb'] / gb:.1f} GB) into"
    rows = r["rows"]
    print(f"year: {rows['members']:,} registry members ({manifest['households']:,} households, "
          f"{manifest['villages']:,} villages), {rows['projects']:,} projects, {rows['funds']:,} funds, "
          f"{rows['allocations']:,} allocations, {rows['payments']:,} payments; {how} {args.dir}")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in r['load_before'])}, after the engine: "
          f"{'/'.join(f'{x:.2f}' for x in r['load_after_engine'])}")
    print("rows/s = rows of the tables the rule reads / the rule's seconds; planted/near/TP/FP/FN count distinct "
          "keys; P/R = precision/recall against the planted anomalies")
    print(f"{'rule':14} {'findings':>9} {'seconds':>8} {'rows read':>12} {'rows/s':>12} {'planted':>8} "
          f"{'near':>6} {'TP':>6} {'FP':>5} {'FN':>5} {'P':>6} {'R':>6}")
    failures = []
    for code, t in r["rules"].items():
        s = r["scores"].get(code, {"planted": 0, "near_misses": 0, "tp": 0, "fp": 0, "fn": 0, "precision": 1.0,
                                   "recall": 1.0})
        rate = t["rows_read"] / t["seconds"] if t["seconds"] else float("inf")
        print(f"{code:14} {t['findings']:>9,} {t['seconds']:>8.2f} {t['rows_read']:>12,} {rate:>12,.0f} "
              f"{s['planted']:>8,} {s['near_misses']:>6,} {s['tp']:>6,} {s['fp']:>5,} {s['fn']:>5,} "
              f"{s['precision']:>6.4f} {s['recall']:>6.4f}")
        if s["precision"] < 1.0 or s["recall"] < 1.0:
            failures.append(f"{code}: precision {s['precision']:.4f}, recall {s['recall']:.4f}; false positives "
                            f"{s.get('fp_examples')} ({s.get('fp_near')}), missed {s.get('fn_examples')}")
    total = sum(t["seconds"] for t in r["rules"].values())
    findings = sum(t["findings"] for t in r["rules"].values())
    print(f"{'total':14} {findings:>9,} {total:>8.2f}   (whole run incl. checking and registering the files: "
          f"{r['engine_seconds']:.1f} s)")
    print(f"peak memory of the engine process after the catalogue (ru_maxrss): {r['engine_peak_mb'] / gb:.2f} GB")
    if "baseline" in r:
        print("plain pandas (read_parquet + merge + groupby) on the same files, same process, after the engine:")
        for code, b in r["baseline"].items():
            engine = r["rules"][code]["seconds"]
            print(f"  {code}: read {b['read']:.1f} s + compute {b['compute']:.1f} s = {b['total']:.1f} s; engine "
                  f"{engine:.2f} s (reads the Parquet files itself) → pandas/engine = {b['total'] / engine:.1f}× "
                  f"(compute alone: {b['compute'] / engine:.1f}×); same keys as the engine: "
                  f"{'yes' if b['same'] else 'NO'}")
            if not b["same"]:
                failures.append(f"pandas {code} disagrees with the engine")
        print(f"peak memory of the process after the pandas baseline (ru_maxrss): {r['peak_mb'] / gb:.2f} GB; "
              f"load average after: {'/'.join(f'{x:.2f}' for x in r['load_after_baseline'])}")
    if args.scale >= 1.0:
        if r["engine_seconds"] > TARGET_SECONDS:
            failures.append(f"catalogue slower than {TARGET_SECONDS:.0f} s ({r['engine_seconds']:.0f} s)")
        if r["engine_peak_mb"] > TARGET_MB:
            failures.append(f"engine peak memory above {TARGET_MB / gb:.0f} GB")
    return failures


def _generate(directory: Path, scale: float, seed: int, *, log: Callable[[str], None]) -> dict:
    from funds_data import generate

    return generate(directory, scale, seed, log=log)


CATALOGUE = Catalogue(script=Path(__file__).resolve(), doc=__doc__ or "",
                      scale_help="1.0 = 10M payments, 2.5M registry members",
                      default_dir=Path("/tmp/sunshine-bench-funds"), memory_limit="6GB",  # noqa: S108
                      generate=_generate, engine_child=_engine_child, print_result=_print)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    return catalogue_main(CATALOGUE, argv)


if __name__ == "__main__":
    raise SystemExit(main())
