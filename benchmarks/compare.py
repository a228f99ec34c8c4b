"""Benchmark of the comparison catalogue (policy-rules.md §4) on DuckDB, on a synthetic province.

    .venv/bin/python benchmarks/compare.py                  # 2.5M members, 50M department rows
    .venv/bin/python benchmarks/compare.py --scale 0.05     # a quick run (125,000 members, 2.5M rows)
    .venv/bin/python benchmarks/compare.py --scale 0.02 --no-baseline --spark-master spark://127.0.0.1:7077
                                                            # the same catalogue on a Spark cluster
                                                            # (scripts/spark-cluster.sh start)

The province (benchmarks/compare_data) is written as Parquet to --dir (default /tmp/sunshine-bench-compare)
by a child process, and kept: a later run with the same --scale and --seed only times the engine. It has
2,500,000 registry members in 750,000 households of 2020 and 50,000,000 department rows (deaths 1M,
students 8M, medical_insurance 20M, pension_insurance 15M, the other nine 0.3–1M each), most of them about
people outside the registry, with planted anomalies for every rule and near misses that must not be flagged.

A second child process prepares the engine's copies of the files once per province (under --dir/engine:
people with keyed hashes and ID facts instead of plain IDs, department rows with id_hash computed as a stored
exact load has it — sunshine.engine.comparison.prepare), registers them with a DuckDBBackend (all
cores, --memory-limit, spill directory under --dir), runs run_comparison over the whole catalogue with exact
ID keys (matched on the hashes, as in the app), puts the plain IDs back into the findings (resolve_ids, for
scoring) and reports per rule: findings, seconds, and rows/s, where the rate counts the rows the rule reads
(all rows of its department datasets plus the registry's people rows) divided by the rule's seconds. It
compares the findings with the planted truth: a finding is (rule, ID), (rule, household_no) for C-HOUSING and
(rule, head's ID) for C-DIBAO-MISSING. Its peak memory is ru_maxrss after the engine. The same process then
times a plain pandas implementation of C-DEAD and C-NOMED (read_parquet, boolean filters, merge) on the same
files, checks it finds the same members, and prints the ratio to the engine's time for the rule.

With --spark-master the engine process runs the catalogue with a SparkBackend on that cluster instead (the
executors read the same prepared Parquet files by their paths; --threads and --memory-limit do not apply: the
cluster's workers have their own cores and memory); the findings must score as DuckDB's do.

Targets: the catalogue in under 10 minutes and 16 GB at full scale; precision and recall 1.0 on every rule
(all rules of this run match on exact IDs). The machine is shared, so the load average is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from catalogue_bench import Catalogue, peak_mb
from catalogue_bench import main as catalogue_main

ROOT = Path(__file__).resolve().parent.parent
SPARK_MASTER_ENV = "SUNSHINE_BENCH_SPARK_MASTER"  # --spark-master, handed to the engine child process
TARGET_SECONDS, TARGET_MB = 600.0, 16 * 1024
BENCH_KEY = b"sunshine-benchmark-id-hash-key"  # the installation's SUNSHINE_ID_HASH_KEY in the app
KEY_OF = {"C-HOUSING": "household_no"}  # otherwise id_number (the head's for C-DIBAO-MISSING)


def _masked(key: str) -> str:
    from sunshine.core.ids import mask_id_number

    return key if len(key) != 18 else mask_id_number(key)


def _score(findings, directory: Path) -> dict[str, dict]:  # noqa: ANN001 - a pyarrow Table
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {}
    for row in findings.select(["rule", "id_number", "household_no"]).to_pylist():
        found.setdefault(row["rule"], set()).add(row[KEY_OF.get(row["rule"], "id_number")])
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
            "fp_kinds": dict(Counter(near.get(rule, {}).get(k, "not planted, not a near miss") for k in fp)),
            "fn_kinds": dict(Counter(want[k] for k in fn)),
            "fp_examples": [_masked(k) for k in sorted(fp)[:5]], "fn_examples": [_masked(k) for k in sorted(fn)[:5]],
        }
    return scores


def _baseline(directory: Path, year: int) -> dict[str, dict]:
    """C-DEAD and C-NOMED as a plain pandas script would do them: read the columns, filter, merge."""
    import pandas as pd

    check = dt.date(year, 12, 31)

    def registry() -> pd.DataFrame:
        people = pd.read_parquet(directory / "people.parquet",
                                 columns=["id_number", "year", "member_status", "household_status"])
        return people

    def active(people: pd.DataFrame) -> pd.DataFrame:
        return people[(people.year == year) & (people.member_status == "active")
                      & (people.household_status != "closed")]

    out = {}
    started = time.perf_counter()
    people = registry()
    deaths = pd.read_parquet(directory / "ds_deaths.parquet", columns=["id_number", "death_date", "source_row"])
    read = time.perf_counter()
    dead = active(people).merge(deaths[deaths.death_date <= check], on="id_number", how="inner")
    found = set(dead.id_number.unique())
    done = time.perf_counter()
    out["C-DEAD"] = {"read": read - started, "merge": done - read, "total": done - started, "ids": found}
    del people, deaths, dead

    started = time.perf_counter()
    people = registry()
    insured = pd.read_parquet(directory / "ds_medical_insurance.parquet",
                              columns=["id_number", "year", "insured_status"])
    read = time.perf_counter()
    ok = insured[(insured.year == year) & (insured.insured_status == "insured")][["id_number"]].drop_duplicates()
    merged = active(people).merge(ok, on="id_number", how="left", indicator=True)
    found = set(merged.loc[merged["_merge"] == "left_only", "id_number"])
    done = time.perf_counter()
    out["C-NOMED"] = {"read": read - started, "merge": done - read, "total": done - started, "ids": found}
    return out


def _prepared(directory: Path, names: list[str]) -> Path:
    """The engine's copies of the generated files in directory/engine, made once per generated province (the
    plain id_number is kept beside the hashes in people, for scoring and the pandas baseline; the engine never
    reads it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sunshine.engine.comparison.datasets import arrow_schema
    from sunshine.engine.comparison.prepare import dataset_table, people_table

    out = directory / "engine"
    stamp = (directory / "manifest.json").read_text()
    done = out / "prepared.json"
    if done.is_file() and done.read_text() == stamp:
        return out
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    people = pq.read_table(directory / "people.parquet")
    pq.write_table(people_table(people, BENCH_KEY).append_column("id_number", people["id_number"]),
                   out / "people.parquet")
    del people
    for name in names:
        with pq.ParquetWriter(out / f"ds_{name}.parquet", arrow_schema(name)) as writer:
            for batch in pq.ParquetFile(directory / f"ds_{name}.parquet").iter_batches(batch_size=1 << 20):
                writer.write_table(dataset_table(name, pa.Table.from_batches([batch]), BENCH_KEY))
    done.write_text(stamp)
    print(f"engine copies prepared (ID hashes, ID facts) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return out


def _resolved(findings, prepared: Path):  # noqa: ANN001, ANN202 - pyarrow Tables
    """The findings with plain IDs: members' from people, heads outside the registry from the 低保 rows."""
    import pyarrow.parquet as pq

    from sunshine.engine.comparison.prepare import resolve_ids

    people = pq.read_table(prepared / "people.parquet", columns=["member_key", "id_number"])
    members = dict(zip(people["member_key"].to_pylist(), people["id_number"].to_pylist(), strict=True))
    dibao = pq.read_table(prepared / "ds_dibao.parquet", columns=["head_id_hash", "head_id_number"])
    heads = dict(zip(dibao["head_id_hash"].to_pylist(), dibao["head_id_number"].to_pylist(), strict=True))
    return resolve_ids(findings, members, heads)


def _backend(threads: int, memory_limit: str, spill: Path):  # noqa: ANN202 - a DuckDB or Spark backend
    """DuckDB with all threads and a spill directory, or a SparkBackend on --spark-master."""
    master = os.environ.get(SPARK_MASTER_ENV)
    if master:
        from sunshine.engine.spark import SparkBackend, session

        return SparkBackend(session(master))
    from sunshine.engine.backend import DuckDBBackend

    return DuckDBBackend(threads=threads, memory_limit=memory_limit, temp_directory=str(spill))


def _engine_child(directory: Path, threads: int, memory_limit: str, baseline: bool) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from compare_data import FULL_ROWS, YEAR

    from sunshine.engine.comparison.catalogue import RULES
    from sunshine.engine.comparison.run import run_comparison
    from sunshine.policy.parameters import StandardParameters

    prepared = _prepared(directory, list(FULL_ROWS))
    load_before = os.getloadavg()
    rows = {name: pq.ParquetFile(directory / f"ds_{name}.parquet").metadata.num_rows for name in FULL_ROWS}
    people_rows = pq.ParquetFile(directory / "people.parquet").metadata.num_rows
    per_rule: dict[str, dict] = {}

    def on_rule(code: str, found: int, seconds: float) -> None:
        read = people_rows + sum(rows[d] for d in RULES[code].datasets)
        per_rule[code] = {"findings": found, "seconds": seconds, "rows_read": read}
        print(f"{code}: {found} findings in {seconds:.1f} s", file=sys.stderr, flush=True)

    spill = directory / "duckdb-tmp"
    spill.mkdir(exist_ok=True)
    started = time.perf_counter()
    with _backend(threads, memory_limit, spill) as backend:
        backend.register("people", prepared / "people.parquet")
        for name in FULL_ROWS:
            backend.register(f"ds_{name}", prepared / f"ds_{name}.parquet")
        findings = run_comparison(backend, year=YEAR, params=StandardParameters().to_dict(),
                                  key_kinds=dict.fromkeys(FULL_ROWS, "exact"), on_rule=on_rule)
    engine_seconds = time.perf_counter() - started
    engine_peak = peak_mb()
    findings = _resolved(findings, prepared)
    load_after_engine = os.getloadavg()
    scores = _score(findings, directory)
    result = {
        "rules": per_rule, "missing_rules": [c for c in RULES if c not in per_rule], "scores": scores,
        "engine_seconds": engine_seconds, "engine_peak_mb": engine_peak, "people": people_rows,
        "department_rows": sum(rows.values()), "threads": threads, "memory_limit": memory_limit,
        "spark_master": os.environ.get(SPARK_MASTER_ENV) or None,
        "load_before": load_before, "load_after_engine": load_after_engine,
    }
    if baseline:
        naive = _baseline(directory, YEAR)
        for code, b in naive.items():
            engine_ids = set(pc.filter(findings.column("id_number"), pc.equal(findings.column("rule"), code))
                             .to_pylist())
            b["same"] = b.pop("ids") == engine_ids
        result["baseline"] = naive
        result["peak_mb"] = peak_mb()
        result["load_after_baseline"] = os.getloadavg()
    return result


def _print(manifest: dict, r: dict, args: argparse.Namespace) -> list[str]:
    gb = 1024
    engine = (f"Spark cluster {r['spark_master']}" if r.get("spark_master") else
              f"DuckDB threads {r['threads']}, memory_limit {r['memory_limit']}")
    print(f"comparison catalogue benchmark · {os.cpu_count()} CPUs · {engine} · scale {args.scale} · seed {args.seed}")
    how = "reused from" if manifest["reused"] else f"generated in {manifest['seconds']} s (peak " \
        f"{manifest['peak_mb'] / gb:.1f} GB) into"
    print(f"province: {r['people']:,} registry members ({manifest['households']:,} households), "
          f"{r['department_rows']:,} department rows; {how} {args.dir}")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in r['load_before'])}, after the engine: "
          f"{'/'.join(f'{x:.2f}' for x in r['load_after_engine'])}")
    print("rows/s = (rows of the rule's department datasets + registry people rows) / the rule's seconds; "
          "findings = finding rows (C-DUP: one per registry row of the ID); planted/near/TP/FP/FN count distinct "
          "keys; P/R = precision/recall against the planted anomalies")
    print(f"{'rule':20} {'findings':>9} {'seconds':>8} {'rows read':>12} {'rows/s':>12} {'planted':>8} "
          f"{'near':>6} {'TP':>7} {'FP':>5} {'FN':>5} {'P':>6} {'R':>6}")
    failures = []
    for code, t in r["rules"].items():
        s = r["scores"].get(code, {"planted": 0, "near_misses": 0, "tp": 0, "fp": 0, "fn": 0, "precision": 1.0,
                                   "recall": 1.0})
        rate = t["rows_read"] / t["seconds"] if t["seconds"] else float("inf")
        print(f"{code:20} {t['findings']:>9,} {t['seconds']:>8.2f} {t['rows_read']:>12,} {rate:>12,.0f} "
              f"{s['planted']:>8,} {s['near_misses']:>6,} {s['tp']:>7,} {s['fp']:>5,} {s['fn']:>5,} "
              f"{s['precision']:>6.4f} {s['recall']:>6.4f}")
        if s["precision"] < 1.0 or s["recall"] < 1.0:
            failures.append(f"{code}: precision {s['precision']:.4f}, recall {s['recall']:.4f}; false positives "
                            f"{s.get('fp_kinds')}, missed {s.get('fn_kinds')}")
    total = sum(t["seconds"] for t in r["rules"].values())
    findings = sum(t["findings"] for t in r["rules"].values())
    print(f"{'total':20} {findings:>9,} {total:>8.2f}   (whole run incl. registering the files: "
          f"{r['engine_seconds']:.1f} s)")
    print(f"peak memory of the engine process after the catalogue (ru_maxrss): {r['engine_peak_mb'] / gb:.2f} GB")
    if r["missing_rules"]:
        failures.append(f"rules the engine did not run: {', '.join(r['missing_rules'])}")
    if "baseline" in r:
        print("plain pandas (read_parquet + filters + merge) on the same files, same process, after the engine:")
        for code, b in r["baseline"].items():
            engine = r["rules"][code]["seconds"]
            print(f"  {code}: read {b['read']:.1f} s + merge {b['merge']:.1f} s = {b['total']:.1f} s; engine "
                  f"{engine:.2f} s (reads the Parquet files itself) → pandas/engine = {b['total'] / engine:.1f}× "
                  f"(merge alone: {b['merge'] / engine:.1f}×); same members as the engine: "
                  f"{'yes' if b['same'] else 'NO'}")
            if not b["same"]:
                failures.append(f"pandas {code} disagrees with the engine")
        print(f"peak memory of the process after the pandas baseline (ru_maxrss): {r['peak_mb'] / gb:.2f} GB; "
              f"load average after: {'/'.join(f'{x:.2f}' for x in r['load_after_baseline'])}")
    if args.scale >= 1.0:
        if total > TARGET_SECONDS:
            failures.append(f"catalogue slower than {TARGET_SECONDS / 60:.0f} minutes ({total:.0f} s)")
        if r["engine_peak_mb"] > TARGET_MB:
            failures.append(f"engine peak memory above {TARGET_MB / gb:.0f} GB")
    return failures


def _generate(directory: Path, scale: float, seed: int, *, log: Callable[[str], None]) -> dict:
    from compare_data import generate

    return generate(directory, scale, seed, log=log)


CATALOGUE = Catalogue(script=Path(__file__).resolve(), doc=__doc__ or "",
                      scale_help="1.0 = 2.5M members and 50M department rows",
                      default_dir=Path("/tmp/sunshine-bench-compare"), memory_limit="16GB",  # noqa: S108
                      generate=_generate, engine_child=_engine_child, print_result=_print)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--spark-master" in argv:  # the engine child inherits it through the environment
        at = argv.index("--spark-master")
        if at + 1 >= len(argv):
            raise SystemExit("--spark-master needs a URL, e.g. spark://127.0.0.1:7077")
        os.environ[SPARK_MASTER_ENV] = argv[at + 1]
        del argv[at:at + 2]
    return catalogue_main(CATALOGUE, argv)


if __name__ == "__main__":
    raise SystemExit(main())
