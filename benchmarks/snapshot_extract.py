"""Benchmark of the registry snapshot extraction (sunshine.registry.year_snapshot, sunshine.core.arrow_extract).

    .venv/bin/python benchmarks/snapshot_extract.py                      # 20,000 households (~1 min), SQLite
    .venv/bin/python benchmarks/snapshot_extract.py --households 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:54329/postgres .venv/bin/python benchmarks/snapshot_extract.py

A child process migrates a fresh database (SQLite in a temporary directory, or on PostgreSQL a throw-away
database next to DATABASE_URL's, dropped afterwards), generates a synthetic county with the demo generator
(3 years), and then, in that same process, extracts the last year's registry (households, members, villages)
in four ways, each timed with its peak resident memory above what the process held before it (sampled every
5 ms from /proc/self/statm):

  orm rows     Django's ``values_list`` rows (model field converters, a Python tuple per row), then Arrow
  cursor       the raw DB-API cursor fetched in chunks into Arrow (the reader used inside a transaction)
  auto         the reader used in autocommit: ADBC straight into Arrow on PostgreSQL, the cursor on SQLite
  cached       the year's snapshot: the first call extracts and writes Parquet, the second reads it back

and the comparison's ID facts (every ID decrypted in memory), which a run with C-ID over the whole registry
adds. The province target (issue 18) is 2.5M members extracted in ≤ 30 s on PostgreSQL: the last line scales
the adbc figure linearly to that size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
YEARS = (2018, 2019, 2020)
PROVINCE_MEMBERS = 2_500_000
TARGET_SECONDS = 30.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class PeakMemory:
    """The highest resident memory while the block runs, above the level at its start."""

    def __init__(self) -> None:
        self.start = self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = _rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def megabytes(self) -> int:
        return round((self.peak - self.start) / 2**20)


def _measure(name: str, run: Callable[[], int]) -> dict[str, Any]:
    import gc

    gc.collect()
    with PeakMemory() as mem:
        started = time.perf_counter()
        rows = run()
        seconds = time.perf_counter() - started
    gc.collect()
    return {"stage": name, "rows": rows, "seconds": round(seconds, 2), "peak_mb": mem.megabytes}


def _orm_rows(year: int) -> int:
    """The baseline: ORM rows (values_list with Django's converters), then one Arrow table per registry table."""
    import pyarrow as pa

    from sunshine.comparison.runs import snapshot as comparison_snapshot
    from sunshine.registry import year_snapshot as ys
    from sunshine.registry.models import HouseholdYear, MemberYear, VillageYear

    # Every member column by one path from MemberYear (the comparison's people paths and the ID facts): the naive
    # baseline reads them in one joined query.
    member_paths = comparison_snapshot._PEOPLE_PATHS | {"id_facts": "person__id_facts"}
    paths = [member_paths.get(f.name, f.name) for f in ys.MEMBERS_BASE]
    members = list(MemberYear.objects.filter(year=year).order_by("pk").values_list(*paths))
    households = list(HouseholdYear.objects.filter(year=year).order_by("household_id").values_list(
        "household_id", "household__household_no", "year", "household__village_id", "status", "wage_income",
        "business_income", "business_expense", "property_income", "transfer_income", "transfer_expense",
        "food_clothing_secure", "water_safe", "housing_grade", "renovation_status"))
    villages = list(VillageYear.objects.filter(year=year).values_list("village_id", "year", "weak_village",
                                                                       "collective_income", "two_lane_road",
                                                                       "clinic_ok"))
    tables = [pa.table(dict(zip([f"c{i}" for i in range(len(rows[0]))], map(list, zip(*rows, strict=True)),
                                strict=True))) for rows in (members, households, villages) if rows]
    return sum(t.num_rows for t in tables[:1])


def _child(households: int, seed: int, county: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    data_dir = tempfile.mkdtemp(prefix="sunshine-bench-")
    os.environ["SUNSHINE_DATA_DIR"] = data_dir
    os.environ.pop("SUNSHINE_SNAPSHOT_READER", None)
    os.environ.pop("SUNSHINE_SNAPSHOT_CACHE", None)
    import django
    import pyarrow.dataset  # noqa: F401 - pq.read_table's first call would otherwise pay this import in "cached"

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sunshine.comparison.runs.snapshot import decrypted_fact_codes
    from sunshine.core import arrow_extract
    from sunshine.demo.generator import generate_region
    from sunshine.registry import year_snapshot as ys

    test_db = connection.vendor != "sqlite"
    if test_db:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"sunshine_bench_{os.getpid()}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    year = YEARS[-1]
    stages: list[dict[str, Any]] = []
    try:
        started = time.perf_counter()
        generate_region(households=households, seed=seed, county_code=county, years=YEARS, replace=True)
        generated = time.perf_counter() - started

        read: dict[str, dict[str, Any]] = {}

        def extract(reader: str) -> Callable[[], int]:
            def run() -> int:
                os.environ[arrow_extract.READER_ENV] = reader
                try:
                    read[reader] = ys._extract(year, "")
                    return read[reader]["members"].num_rows
                finally:
                    os.environ.pop(arrow_extract.READER_ENV, None)
            return run

        stages.append(_measure("orm rows", lambda: _orm_rows(year)))
        stages.append(_measure("cursor", extract("cursor")))
        stages.append(_measure(f"{arrow_extract.reader_for()[0]} (auto)", extract("auto")))
        same = all(read["cursor"][name].equals(read["auto"][name]) for name in ys.TABLES)
        if not same:
            raise SystemExit("the two readers gave different tables")
        read.clear()
        stages.append(_measure("cached: first (extract + write)", lambda: ys.year_tables(year).members.num_rows))
        stages.append(_measure("cached: second (read)", lambda: ys.year_tables(year).members.num_rows))
        stages.append(_measure("change stamp", lambda: len(ys.change_stamp(year)) and 0))
        stages.append(_measure("ID facts (decrypt all)", lambda: decrypted_fact_codes(year).num_rows))
        reader, why = arrow_extract.reader_for()
    finally:
        if test_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"database": connection.vendor, "households": households, "generate_seconds": round(generated, 1),
            "reader": reader, "why": why, "stages": stages, "same": same}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--county", default="320321")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.households, args.seed, args.county)))
        return 0
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--households", str(args.households),
           "--seed", str(args.seed), "--county", args.county]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return 1
    r = json.loads(done.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    print(f"snapshot extraction benchmark · {r['database']} · {r['households']:,} households × {len(YEARS)} years "
          f"(generated in {r['generate_seconds']} s) · {os.cpu_count()} CPUs · load {load[0]:.1f}")
    print(f"reader in autocommit: {r['reader']} ({r['why']}); its tables equal the cursor's: {r['same']}")
    print(f"{'stage':<34} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}")
    for s in r["stages"]:
        rate = f"{s['rows'] / s['seconds']:,.0f}" if s["rows"] and s["seconds"] else ""
        print(f"{s['stage']:<34} {s['rows']:>10,} {s['seconds']:>8} {rate:>10} {s['peak_mb']:>8}")
    by = {s["stage"]: s for s in r["stages"]}
    auto = next(s for name, s in by.items() if name.endswith("(auto)"))
    if auto["rows"]:
        scaled = auto["seconds"] * PROVINCE_MEMBERS / auto["rows"]
        print(f"(rows: the year's members; each stage also reads its households and villages. Scaled linearly to "
              f"{PROVINCE_MEMBERS:,} members: {scaled:.0f} s against the target of {TARGET_SECONDS:.0f} s on "
              "PostgreSQL; rough below ~100,000 rows, where fixed costs weigh)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
