"""Benchmark of the synthetic region generator (sunshine.demo.generator.generate_region).

    .venv/bin/python benchmarks/demo_generation.py                 # 100,000 and 20,000 households, SQLite
    .venv/bin/python benchmarks/demo_generation.py --households 50000
    DATABASE_URL=postgresql://postgres@127.0.0.1:54329/postgres .venv/bin/python benchmarks/demo_generation.py

Each size runs in a child process on a fresh database, so that its peak memory (ru_maxrss) is its own:
SQLite in a temporary directory, or on PostgreSQL a throw-away database created next to DATABASE_URL's
(Django's test-database machinery, dropped afterwards). The target is 100,000 households in under two
minutes on a two-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZE = 20000
TARGET_SECONDS = 120.0


def _child(households: int, seed: int, county: str) -> dict[str, object]:
    """Migrate a fresh database, generate, and measure. Runs in its own process."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    data_dir = tempfile.mkdtemp(prefix="sunshine-bench-")
    os.environ["SUNSHINE_DATA_DIR"] = data_dir
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sunshine.demo.generator import generate_region

    started = time.perf_counter()
    test_db = connection.vendor != "sqlite"
    if test_db:
        # A database of its own next to DATABASE_URL's, created, migrated and finally dropped.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"sunshine_bench_{os.getpid()}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    try:
        summary = generate_region(households=households, seed=seed, county_code=county, replace=True)
    finally:
        if test_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)  # the SQLite file of 100,000 households is ~0.4 GB
    return {
        "database": connection.vendor,
        "households": summary.households,
        "persons": summary.persons,
        "household_years": summary.household_years,
        "member_years": summary.member_years,
        "villages": summary.villages,
        "townships": summary.townships,
        "seconds": summary.seconds,
        "households_per_second": round(summary.households / summary.seconds),
        "migrate_seconds": round(migrate_seconds, 1),
        # Linux reports kilobytes.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _run_size(households: int, seed: int, county: str) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--households", str(households),
           "--seed", str(seed), "--county", county]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child for {households} households failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--county", default="320321")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.households, args.seed, args.county)))
        return 0

    sizes = [args.households] + ([DEFAULT_SIZE] if args.households != DEFAULT_SIZE else [])
    print(f"demo generation benchmark · county {args.county} · seed {args.seed} · {os.cpu_count()} CPUs")
    header = (f"{'households':>10} {'persons':>9} {'hh-years':>9} {'member rows':>12} {'seconds':>8} "
              f"{'hh/s':>7} {'peak MB':>8} {'db':>10}")
    print(header)
    slow = False
    for size in sizes:
        r = _run_size(size, args.seed, args.county)
        print(f"{r['households']:>10} {r['persons']:>9} {r['household_years']:>9} {r['member_years']:>12} "
              f"{r['seconds']:>8} {r['households_per_second']:>7} {r['peak_rss_mb']:>8} {r['database']:>10}")
        if size >= 100_000:
            slow |= float(r["seconds"]) * 100_000 / size > TARGET_SECONDS  # type: ignore[arg-type]
    print("(seconds: generate_region alone, after migrating a fresh database; peak MB: ru_maxrss of the run)")
    if slow:
        print(f"SLOWER than the target of {TARGET_SECONDS:.0f} s per 100,000 households")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
