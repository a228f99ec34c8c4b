"""Benchmark of the registry import (read → validate → write) at county scale.

    .venv/bin/python benchmarks/import_registry.py                        # 100,000 and 115,000 households
    .venv/bin/python benchmarks/import_registry.py --households 20000 --no-extra
    DATABASE_URL=postgresql://postgres@127.0.0.1:54329/postgres .venv/bin/python benchmarks/import_registry.py

For each size, a child process generates a synthetic county (sunshine.demo, three years) in a temporary
SQLite database and exports one year to .csv and .xlsx (the files a county would hand in). Then, for each
database (SQLite always; PostgreSQL too when DATABASE_URL points at one), another child process migrates a
fresh empty database, creates an administrator and imports the .csv files with
sunshine.registry.transfer.pipeline.import_registry, measuring the seconds of each stage and its peak
memory (ru_maxrss of the child: everything it did). PostgreSQL gets a throw-away database next to
DATABASE_URL's, dropped afterwards.

The demo averages about 3.1 members per household in a year, so 100,000 households give ~306,000 members in a
year; the issue's figure (100,000 households with 350,000 members) is covered by also running 115,000
households (~350,000 members). Target: under 2 minutes and under 2 GB for each.

After the import the same child extracts the year's registry snapshot (the assessment's households and members,
the comparison's people) and reports its seconds ("snap s"), and the seconds spent encrypting, decrypting and
hashing ID numbers and phones (sunshine.core.crypto; "crypto s", import and snapshot together).
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
YEAR = 2020
EXTRA_SIZE = 115_000
TARGET_SECONDS = 120.0
TARGET_MB = 2048


def _setup(database_url: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    os.environ["SUNSHINE_DATA_DIR"] = tempfile.mkdtemp(prefix="sunshine-bench-")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kilobytes


def _prepare(households: int, seed: int, out: Path, xlsx: bool) -> dict[str, object]:
    """Generate a county on SQLite and export one year (csv, and xlsx unless skipped)."""
    _setup(None)
    from django.core.management import call_command

    from sunshine.demo.generator import generate_region
    from sunshine.registry.transfer.export import export_year

    data_dir = os.environ["SUNSHINE_DATA_DIR"]
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        generate_region(households=households, seed=seed)
        generated = time.perf_counter() - started
        timings, sizes = {}, {}
        for fmt in ("csv", "xlsx") if xlsx else ("csv",):
            started = time.perf_counter()
            paths = export_year(YEAR, out / fmt, fmt, unmasked=True)
            timings[fmt] = round(time.perf_counter() - started, 1)
            sizes[fmt] = round(sum(p.stat().st_size for p in paths.values()) / 2**20, 1)
        from sunshine.registry.models import HouseholdYear, MemberYear

        return {
            "households": HouseholdYear.objects.filter(year=YEAR).count(),
            "members": MemberYear.objects.filter(year=YEAR).count(),
            "generate_seconds": round(generated, 1),
            "export_seconds": timings,
            "file_mb": sizes,
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _import(directory: Path, database_url: str | None) -> dict[str, object]:
    """Import the files in ``directory`` into a fresh database; measure every stage."""
    _setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    from sunshine.core.choices import Role
    from sunshine.core.models import User
    from sunshine.registry.transfer.pipeline import ImportFiles, import_registry

    data_dir = os.environ["SUNSHINE_DATA_DIR"]
    test_db = connection.vendor != "sqlite"
    old_name = None
    if test_db:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"sunshine_bench_import_{os.getpid()}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    try:
        actor = User.objects.create(username="bench", roles=[Role.ADMIN.value], division_id="320000000000")
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def progress(percent: int, stage: str) -> None:
            stages.setdefault(stage, time.perf_counter() - started)

        suffix = next(directory.glob("households.*")).suffix
        files = ImportFiles(directory / f"households{suffix}", directory / f"members{suffix}",
                            directory / f"villages{suffix}")
        outcome = import_registry(files, actor=actor, year=YEAR, progress=progress)
        seconds = time.perf_counter() - started
        result = outcome.result
        if result.errors or not result.written:
            raise SystemExit(f"import failed: {len(result.errors)} errors, e.g. {result.errors[:3]}")
        snapshot_seconds = _snapshot_seconds()
        return {
            "database": connection.vendor,
            "format": suffix.lstrip("."),
            "households": result.households_created,
            "members": result.members_created,
            "seconds": round(seconds, 1),
            "read_seconds": round(stages.get("校验数据", 0), 1),
            "validate_seconds": round(stages.get("写入数据库", 0) - stages.get("校验数据", 0), 1),
            "write_seconds": round(seconds - stages.get("写入数据库", 0), 1),
            "rows_per_second": round((result.households_created + result.members_created) / seconds),
            "snapshot_seconds": snapshot_seconds,
            "crypto_seconds": _crypto_seconds(),
            "peak_rss_mb": _peak_mb(),
        }
    finally:
        if test_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def _snapshot_seconds() -> float:
    """Extract the registry snapshot of the year (assessment households + members, comparison people)."""
    from sunshine.assessment.snapshot import extract
    from sunshine.comparison.runs.snapshot import extract_people

    started = time.perf_counter()
    extract("households", year=YEAR, prefix="")
    extract_people(YEAR)
    return round(time.perf_counter() - started, 1)


def _crypto_seconds() -> float | None:
    """Seconds this process spent encrypting, decrypting and hashing personal data (None before encryption)."""
    try:
        from sunshine.core.crypto import STATS
    except ImportError:
        return None
    return round(STATS.seconds, 1)


def _child(args: list[str]) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child {args} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-extra", action="store_true", help=f"skip the {EXTRA_SIZE:,}-household run")
    parser.add_argument("--no-xlsx", action="store_true", help="export .csv only (skip the .xlsx export)")
    parser.add_argument("--import-xlsx", action="store_true", help="also import the .xlsx files (SQLite)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    parser.add_argument("--child", choices=("prepare", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "prepare":
        print(json.dumps(_prepare(args.households, args.seed, args.dir, not args.no_xlsx)))
        return 0
    if args.child == "import":
        print(json.dumps(_import(args.dir, args.database_url)))
        return 0

    databases: list[str | None] = [None]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        databases.append(os.environ["DATABASE_URL"])
    sizes = [args.households] + ([] if args.no_extra or args.households == EXTRA_SIZE else [EXTRA_SIZE])
    print(f"registry import benchmark · year {YEAR} · seed {args.seed} · {os.cpu_count()} CPUs")
    rows: list[dict[str, object]] = []
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="sunshine-bench-files-"))
        try:
            prepared = _child(["--child", "prepare", "--households", str(size), "--seed", str(args.seed),
                               "--dir", str(work), *(["--no-xlsx"] if args.no_xlsx else [])])
            print(f"generated {size:,} households: {prepared['households']:,} households and "
                  f"{prepared['members']:,} members in {YEAR} (generation {prepared['generate_seconds']} s, "
                  f"export seconds {prepared['export_seconds']}, MB {prepared['file_mb']})")
            for url in databases:
                rows.append(_child(["--child", "import", "--dir", str(work / "csv"),
                                    *(["--database-url", url] if url else [])]))
            if args.import_xlsx and not args.no_xlsx:
                rows.append(_child(["--child", "import", "--dir", str(work / "xlsx")]))
            if args.keep:
                shutil.copytree(work, args.keep / str(size), dirs_exist_ok=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print(f"{'db':>10} {'fmt':>5} {'households':>10} {'members':>9} {'read s':>7} {'check s':>7} {'write s':>7} "
          f"{'total s':>7} {'rows/s':>7} {'peak MB':>8} {'snap s':>7} {'crypto s':>8}")
    slow = False
    for r in rows:
        print(f"{r['database']:>10} {r['format']:>5} {r['households']:>10,} {r['members']:>9,} {r['read_seconds']:>7} "
              f"{r['validate_seconds']:>7} {r['write_seconds']:>7} {r['seconds']:>7} {r['rows_per_second']:>7,} "
              f"{r['peak_rss_mb']:>8} {r['snapshot_seconds']:>7} {r['crypto_seconds'] or '-':>8}")
        if r["format"] == "csv":
            slow |= float(r["seconds"]) > TARGET_SECONDS or int(r["peak_rss_mb"]) > TARGET_MB  # type: ignore[arg-type]
    print("(total: read + validate + write into an empty database, one transaction; rows/s counts households "
          "and members; peak MB: ru_maxrss of the importing process; snap s: extracting the year's registry snapshot "
          "for the assessment and the comparison afterwards; crypto s: time spent in encryption and keyed hashes, "
          "import and snapshot together)")
    if slow:
        print(f"SLOWER or BIGGER than the target ({TARGET_SECONDS:.0f} s, {TARGET_MB} MB)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
