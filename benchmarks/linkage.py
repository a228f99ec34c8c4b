"""Benchmark of the probabilistic linkage of department rows without ID (sunshine.engine.linkage) on DuckDB.

    .venv/bin/python benchmarks/linkage.py                          # 2,500,000 members, 100,000 rows
    .venv/bin/python benchmarks/linkage.py --members 200000 --rows 10000

A synthetic registry (sunshine.engine.linkage.synthetic: names from a small set of common surnames and
given-name characters, so that thousands of members share a name like 王芳 and birth date and place decide)
and department rows without ID, about 80% drawn from the members with realistic noise (homophones, variant and
traditional characters, dialect spellings, one-digit birth date typos, missing gender, a township code instead
of the village's, no place at all) and 20% of people outside the registry. link() runs in a child process so
that the peak memory (ru_maxrss) is its own; it prints rows, seconds (building the data, the features, the
linkage), peak memory, and precision and recall against the planted truth.
Targets: under 10 minutes, precision ≥ 0.95, recall ≥ 0.90.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS, TARGET_PRECISION, TARGET_RECALL = 600.0, 0.95, 0.90


def run(members: int, rows: int, seed: int) -> dict:
    """Build the data, link, score. Runs in the child process."""
    import numpy as np
    import pyarrow as pa

    from sunshine.engine import linkage
    from sunshine.engine.linkage import synthetic

    started = time.perf_counter()
    people = synthetic.members(members, seed=seed)
    department, truth = synthetic.department(people, rows, seed=seed)
    built = time.perf_counter() - started

    started = time.perf_counter()
    links = linkage.link(department, people, seed=1)
    total = time.perf_counter() - started

    # score: a link is right when it names the member the row was drawn from
    position = {(d, r): i for i, (d, r) in enumerate(zip(department["dataset"].to_pylist(),
                                                         department["source_row"].to_pylist(), strict=True))}
    rows_of_links = np.array([position[(d, r)] for d, r in zip(links["dataset"].to_pylist(),
                                                                links["source_row"].to_pylist(), strict=True)],
                             dtype=np.int64)
    expected = truth.take(pa.array(rows_of_links)).to_numpy(zero_copy_only=False)
    correct = int(np.sum(expected == links["member_key"].to_numpy()))
    drawn = int(truth.is_valid().to_numpy(zero_copy_only=False).sum())
    return {
        "members": members, "rows": rows, "rows_from_members": drawn, "links": links.num_rows,
        "seconds_build": round(built, 1),
        "seconds_features": round(linkage.timings["features"], 1),
        "seconds_linkage": round(linkage.timings["linkage"], 1),
        "seconds_link_total": round(total, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "precision": round(correct / max(links.num_rows, 1), 4),
        "recall": round(correct / max(drawn, 1), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2_500_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.members, args.rows, args.seed)))
        return 0

    load = os.getloadavg()
    command = [sys.executable, __file__, "--child", "--members", str(args.members), "--rows", str(args.rows),
               "--seed", str(args.seed)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,  # noqa: S603
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
        return done.returncode
    result = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = result["seconds_features"] + result["seconds_linkage"]
    print(f"members {result['members']:,}  department rows {result['rows']:,} "
          f"({result['rows_from_members']:,} drawn from members)  links {result['links']:,}")
    print(f"seconds: synthetic data {result['seconds_build']}  features {result['seconds_features']}  "
          f"linkage {result['seconds_linkage']}  (link() {result['seconds_link_total']})")
    print(f"peak memory {result['peak_mb']:,} MB (ru_maxrss of the child)")
    print(f"precision {result['precision']:.4f}  recall {result['recall']:.4f}")
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    ok = (seconds < TARGET_SECONDS and result["precision"] >= TARGET_PRECISION
          and result["recall"] >= TARGET_RECALL)
    print(f"targets (< {TARGET_SECONDS:.0f} s, precision ≥ {TARGET_PRECISION}, recall ≥ {TARGET_RECALL}): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
