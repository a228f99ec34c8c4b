"""Benchmark of incremental comparison (sunshine.engine.comparison.incremental) on DuckDB: a new version of
医保参保 (medical_insurance) with 1% of its rows changed, compared incrementally from the run over the old
version, against a full run of the whole catalogue over the new one.

    .venv/bin/python benchmarks/compare_incremental.py                # 2.5M members, 50M rows, 200,000 changed
    .venv/bin/python benchmarks/compare_incremental.py --scale 0.05   # a quick run (1M medical rows, 10,000)

The province is benchmarks/compare.py's (benchmarks/compare_data, with the engine's copies of its files
prepared the same way), written to --dir (default /tmp/sunshine-bench-compare-incremental) and kept. The new
version of medical_insurance is written by DuckDB from the old one: of every 300 rows (by source_row) one has
its 参保状态 flipped (insured ↔ stopped) and its year moved, one is deleted, and one is copied as a new row
(a new source_row after the last) — 1% of the rows, an equal share of alterations, deletions and insertions.

Three child processes, each with its own peak memory (ru_maxrss): ``base`` runs the catalogue over the old
version (the earlier run's findings, kept for later runs), ``full`` over the new one, ``incremental`` runs
run_incremental from the base's findings with the old version as the changed dataset's earlier version and,
unless --no-stored, the diff and the rows file that loading the versions stored beside them
(sunshine.engine.comparison.versions; written here once and timed as a cost of the load). The parent prints
rows, seconds, CPU seconds (of all threads: the machine may be shared, wall time is then noisy), peak memory,
the ratio incremental / full (target: under 10% at full scale), and checks that the incremental findings equal
the full run's row for row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DATASET = "medical_insurance"
TARGET_RATIO = 0.10
PERIOD = 300  # of every PERIOD rows: one altered, one deleted, one inserted (1% changed)


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _edit_sql(old: Path, new: Path) -> str:
    """DuckDB: the new version of the dataset, written from the old one (module docstring)."""
    from sunshine.engine.comparison.datasets import arrow_schema

    names = arrow_schema(DATASET).names
    flip = ("CASE insured_status WHEN 'insured' THEN 'stopped' ELSE 'insured' END")
    changed = {"insured_status": flip, "year": "year - 1"}
    altered = [f"CASE WHEN source_row % {PERIOD} = 0 THEN {changed[n]} ELSE {n} END AS {n}" if n in changed else n
               for n in names]
    last = f"(SELECT max(source_row) FROM read_parquet('{old}'))"  # noqa: S608 - our own file names
    copied = [f"{last} + row_number() OVER (ORDER BY source_row) AS source_row" if n == "source_row" else n
              for n in names]
    return (f"COPY (SELECT {', '.join(altered)} FROM read_parquet('{old}') WHERE source_row % {PERIOD} <> 1 "  # noqa: S608
            f"UNION ALL SELECT {', '.join(copied)} FROM read_parquet('{old}') WHERE source_row % {PERIOD} = 2 "
            f"ORDER BY source_row) TO '{new}' (FORMAT parquet)")


def _prepare(directory: Path, scale: float, seed: int) -> dict:
    """The province and the engine's copies (compare.py's), and the new version of the dataset."""
    import duckdb
    import pyarrow.parquet as pq
    from compare import _prepared
    from compare_data import FULL_ROWS, generate

    manifest = generate(directory, scale, seed, log=lambda line: print(line, file=sys.stderr, flush=True))
    prepared = _prepared(directory, list(FULL_ROWS))
    old, new = prepared / f"ds_{DATASET}.parquet", prepared / f"ds_{DATASET}.v2.parquet"
    stamp = prepared / "v2.json"
    if not (new.is_file() and stamp.is_file() and stamp.read_text() == (prepared / "prepared.json").read_text()):
        started = time.perf_counter()
        con = duckdb.connect()
        con.execute(_edit_sql(old, new))
        con.close()
        stamp.write_text((prepared / "prepared.json").read_text())
        print(f"new version of {DATASET} written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows = {name: pq.ParquetFile(prepared / f"ds_{name}.parquet").metadata.num_rows for name in FULL_ROWS}
    return {"prepared": str(prepared), "rows": rows, "people": manifest["people"],
            "new_rows": pq.ParquetFile(new).metadata.num_rows, "sidecars": _sidecars(old, new)}


def _sidecars(old: Path, new: Path) -> dict:
    """What loading the two versions writes beside them (sunshine.engine.comparison.versions), as the loader
    does: each version's keys and rows files, the new one's diff against the old. Timed: a cost of the load,
    not of the run. Kept while the files are unchanged (stamps.json)."""
    import pyarrow.parquet as pq

    from sunshine.engine.comparison.versions import Sidecars, prepare, prepare_people, read_meta

    stamps_file = new.parent / "stamps.json"
    people = old.parent / "people.parquet"
    fingerprint = {str(p): [p.stat().st_size, p.stat().st_mtime_ns] for p in (old, new, people)}
    try:
        stamps = json.loads(stamps_file.read_text())
    except (OSError, ValueError):
        stamps = {}
    ready = all(Sidecars.of(p).rows.is_file() for p in (old, new, people)) and Sidecars.of(new).diff.is_file()
    if stamps.get("fingerprint") == fingerprint and ready and read_meta(pq.read_schema(Sidecars.of(new).keys)):
        return stamps
    seconds = {}
    for version, previous in ((old, None), (new, old)):
        started = time.perf_counter()
        stamp = _sha256(version)
        prepare(version, stamp=stamp, previous=previous)
        seconds[version.name] = round(time.perf_counter() - started, 1)
        stamps[str(version)] = stamp
    started = time.perf_counter()
    stamps[str(people)] = _sha256(people)
    prepare_people(people, stamp=stamps[str(people)])
    seconds[people.name] = round(time.perf_counter() - started, 1)
    stamps |= {"fingerprint": fingerprint, "seconds": seconds,
               "mb": {p.name: round(p.stat().st_size / 2**20, 1) for v in (old, new, people)
                      for p in (v, *vars(Sidecars.of(v)).values()) if p.is_file()}}
    stamps_file.write_text(json.dumps(stamps))
    print(f"sidecars written at load: {seconds}", file=sys.stderr)
    return stamps


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sources(prepared: Path, version: str) -> dict:
    """Each dataset's file: the old or the new version of the changed one."""
    from compare_data import FULL_ROWS

    sources = {name: prepared / f"ds_{name}.parquet" for name in FULL_ROWS}
    if version == "new":
        sources[DATASET] = prepared / f"ds_{DATASET}.v2.parquet"
    return sources


def _child(role: str, directory: Path, threads: int, memory_limit: str, stored: bool = True) -> dict:
    import pyarrow.parquet as pq
    from compare_data import FULL_ROWS, YEAR

    from sunshine.engine.backend import DuckDBBackend
    from sunshine.engine.comparison.incremental import Base, Inputs, run_incremental
    from sunshine.engine.comparison.run import applicable_rules, run_comparison
    from sunshine.policy.parameters import StandardParameters

    prepared = directory / "engine"
    params = StandardParameters().to_dict()
    kinds = dict.fromkeys(FULL_ROWS, "exact")
    spill = directory / "duckdb-tmp"
    spill.mkdir(exist_ok=True)
    load = os.getloadavg()
    started, cpu = time.perf_counter(), _cpu()
    result: dict = {"role": role}
    with DuckDBBackend(threads=threads, memory_limit=memory_limit, temp_directory=str(spill)) as backend:
        sources = _sources(prepared, "old" if role == "base" else "new")
        if role in ("base", "full"):
            backend.register("people", prepared / "people.parquet")
            for name, path in sources.items():
                backend.register(f"ds_{name}", path)
            per_rule: dict[str, float] = {}
            findings = run_comparison(backend, year=YEAR, params=params, key_kinds=kinds,
                                      on_rule=lambda code, _rows, took: per_rule.__setitem__(code, took))
            pq.write_table(findings, directory / f"{role}_findings.parquet")
            result["per_rule"] = per_rule
        else:
            old, new = prepared / f"ds_{DATASET}.parquet", prepared / f"ds_{DATASET}.v2.parquet"
            diffs, rows, people_rows = {}, {}, None
            if stored:  # what the loader stored beside the two versions (the service checks the same stamps)
                from sunshine.engine.comparison.versions import RowIndex, Sidecars, chained_diff

                stamps = json.loads((prepared / "stamps.json").read_text())
                diff = chained_diff([old, new], stamps[str(old)], stamps[str(new)])
                index = RowIndex.open(Sidecars.of(new).rows, stamp=stamps[str(new)])
                diffs = {DATASET: diff} if diff is not None else {}
                rows = {DATASET: index} if index is not None else {}
                people = prepared / "people.parquet"
                people_rows = RowIndex.open(Sidecars.of(people).rows, stamp=stamps[str(people)])
            base = Base(findings=pq.read_table(directory / "base_findings.parquet"), rules=applicable_rules(kinds),
                        key_kinds=kinds, changed={DATASET: old}, diffs=diffs)
            outcome = run_incremental(backend, inputs=Inputs(people=prepared / "people.parquet", datasets=sources,
                                                             rows=rows, people_rows=people_rows),
                                      base=base, year=YEAR, params=params, key_kinds=kinds)
            findings = outcome.findings
            result |= {"rules": outcome.rules, "changed_rows": outcome.changed_rows, "keys": outcome.keys,
                       "steps": outcome.seconds, "full_fallback": outcome.full,
                       "stored_diffs": outcome.stored_diffs, "indexed": outcome.indexed}
    result |= {"seconds": time.perf_counter() - started, "cpu": _cpu() - cpu, "peak_mb": _peak_mb(),
               "findings": findings.num_rows,
               "load_before": load, "load_after": os.getloadavg()}
    if role == "incremental":
        result["equal"] = findings.equals(pq.read_table(directory / "full_findings.parquet"))
    return result


def _run_child(args: argparse.Namespace, role: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", role, "--dir", str(args.dir), "--scale",
           str(args.scale), "--seed", str(args.seed), "--threads", str(args.threads), "--memory-limit",
           args.memory_limit, *(() if args.stored else ("--no-stored",))]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        raise SystemExit(f"the {role} process failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 2.5M members, 20M medical_insurance rows")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sunshine-bench-compare-incremental"))  # noqa: S108
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-limit", default="16GB")
    parser.add_argument("--no-stored", dest="stored", action="store_false",
                        help="diff the two versions and filter the whole dataset in the run (as before the "
                             "versions' sidecars), to compare")
    parser.add_argument("--child", choices=["prepare", "base", "full", "incremental"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "prepare":
        print(json.dumps(_prepare(args.dir, args.scale, args.seed)))
        return 0
    if args.child:
        print(json.dumps(_child(args.child, args.dir, args.threads, args.memory_limit, args.stored)))
        return 0
    data = _run_child(args, "prepare")
    stamp = args.dir / "base_findings.json"
    key = json.dumps({"scale": args.scale, "seed": args.seed, "rows": data["rows"]})
    if (args.dir / "base_findings.parquet").is_file() and stamp.is_file() and stamp.read_text() == key:
        base = None
    else:
        base = _run_child(args, "base")
        stamp.write_text(key)
    full = _run_child(args, "full")
    inc = _run_child(args, "incremental")
    gb = 1024
    rows = data["rows"][DATASET]
    changed = inc["changed_rows"].get(DATASET, 0)
    ratio = inc["seconds"] / full["seconds"]
    cpu_ratio = inc["cpu"] / full["cpu"] if full["cpu"] else 0.0
    print(f"incremental comparison benchmark · {os.cpu_count()} CPUs · DuckDB threads {args.threads} · scale "
          f"{args.scale} · seed {args.seed}")
    print(f"province: {data['people']:,} registry members, {sum(data['rows'].values()):,} department rows; "
          f"{DATASET}: {rows:,} rows → {data['new_rows']:,} in the new version, {changed:,} changed "
          f"({changed / rows:.2%}: altered, deleted, inserted)")
    if base is not None:
        print(f"base run (old version): {base['seconds']:.1f} s, {base['findings']:,} findings, peak "
              f"{base['peak_mb'] / gb:.2f} GB")
    side = data["sidecars"]
    print(f"at load (not part of a run): sidecars written in {side.get('seconds')} s (people.parquet: once per "
          f"registry snapshot); sizes MB {side.get('mb')}")
    print(f"full run (new version, 16 rules): {full['seconds']:.1f} s, {full['findings']:,} findings, peak "
          f"{full['peak_mb'] / gb:.2f} GB; load {'/'.join(f'{x:.2f}' for x in full['load_before'])}")
    how = (f"stored diff {inc['stored_diffs']}, rows gathered by key {inc['indexed']}" if args.stored
           else "diffed and filtered in the run")
    print(f"incremental run ({how}): "
          f"{inc['seconds']:.2f} s, {inc['findings']:,} findings, peak {inc['peak_mb'] / gb:.2f} GB; "
          f"load {'/'.join(f'{x:.2f}' for x in inc['load_before'])}")
    from sunshine.engine.comparison.catalogue import RULES

    readers = [code for code in full["per_rule"] if DATASET in RULES[code].datasets]
    own = sum(full["per_rule"][code] for code in readers)
    print(f"  of which {', '.join(readers)} (the rules reading {DATASET}): {own:.1f} s "
          f"({own / full['seconds']:.1%} of the full run)")
    steps = inc["steps"]
    print(f"  steps (cumulative s): people check {steps.get('people', 0):.2f}, diff {steps.get('diff', 0):.2f}, "
          f"total {steps.get('total', 0):.2f}; keys recomputed {inc['keys']}")
    print(f"  rules: {', '.join(f'{c} {how}' for c, how in inc['rules'].items() if how != 'carried')}; "
          f"{sum(how == 'carried' for how in inc['rules'].values())} carried")
    print(f"CPU seconds (all threads): full {full['cpu']:.2f}, incremental {inc['cpu']:.2f}; ratio {cpu_ratio:.1%}")
    print(f"ratio incremental / full: {ratio:.1%} (target < {TARGET_RATIO:.0%}); findings equal to the full run: "
          f"{'yes' if inc['equal'] else 'NO'}")
    failures = []
    if not inc["equal"]:
        failures.append("the incremental findings differ from the full run's")
    if inc["full_fallback"]:
        failures.append("the incremental run fell back to a full run")
    if args.scale >= 1.0 and ratio >= TARGET_RATIO:
        failures.append(f"incremental run costs {ratio:.1%} of a full run")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
