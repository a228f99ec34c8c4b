"""Benchmark of the indicator refresh and of the provincial cockpit read from the pre-aggregated table (issue 17).

    .venv/bin/python benchmarks/indicators.py --scale 0.02 --database sqlite        # a quick run (~15,000 households)
    .venv/bin/python benchmarks/indicators.py --scale 1 --database both \\
        --pg-url postgresql://postgres@127.0.0.1:54399/postgres                      # the full province

At --scale 1: 750,000 households (≈2.5M people) spread over Jiangsu's 13 cities and 95 counties, every county
with its townships and villages, for 2018–2020, made county by county with the demo generator
(sunshine.demo.generator: numpy chunks written with executemany / COPY). On top, per year: the official
household, village and key-county assessments and a monitoring run of the province (the real services), and
findings (about 3 % of the households, every rule, several states) inserted in bulk; ``--funds`` adds the demo's
funds, credit and payments for each county's last year (slow: off by default).

Measured, in a child process of its own per database (so that its peak memory is its own):
  refresh     ``sunshine.dashboard.refresh.refresh`` of every indicator for each year: seconds, rows written,
              seconds per indicator (the slowest with its query plan), peak memory (VmHWM, reset per year);
              target: all three years in under 60 s
  cockpit     the provincial cockpit page (/dashboard/<province>/) as a provincial analyst, Django's test client,
              median of 20 after one warm-up; target under 300 ms; and the two selectors reads it rests on
  naive       what a page would cost without the table: the headline figures of the province computed straight
              from the member rows (each headline indicator's own statement, summed up), once

SQLite runs in a fresh file under a temporary SUNSHINE_DATA_DIR; PostgreSQL in the database ``--pg-name``
(default hd_bench) created next to ``--pg-url``'s and dropped afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FULL_HOUSEHOLDS = 750_000
YEARS = (2018, 2019, 2020)
PROVINCE = "320000000000"
FINDING_SHARE = 0.03
TARGET_REFRESH_SECONDS = 60.0
TARGET_PAGE_MS = 300.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:54399/postgres"


# --- measuring ------------------------------------------------------------------------------------------------

def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)  # noqa: T201


def _setup_django(database_url: str | None, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    os.environ["SUNSHINE_DATA_DIR"] = data_dir
    os.environ["SUNSHINE_PROCESS"] = "batch"
    os.environ["SUNSHINE_INDICATOR_AUTO_REFRESH"] = "0"  # the runs below must not queue refreshes
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


# --- building the province ---------------------------------------------------------------------------------------

def _shares(total: int, parts: int) -> list[int]:
    cuts = [round(total * k / parts) for k in range(parts + 1)]
    return [max(1, b - a) for a, b in zip(cuts, cuts[1:], strict=False)]


class _NoPersonsYet:
    """Stands in for Person in the generator: it decrypts every ID number already stored to avoid collisions
    within the county it makes; each county here is made once, in a fresh database, so there are none, and
    decrypting the whole province 95 times over would take longer than generating it."""

    class objects:  # noqa: N801 - mimics the manager
        @staticmethod
        def values_list(*_: Any, **__: Any) -> Any:
            class _Rows:
                @staticmethod
                def iterator(**_: Any) -> list[str]:
                    return []

            return _Rows()


def build(scale: float, seed: int, runs: str, funds: bool) -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from sunshine.core.choices import DivisionLevel, Role
    from sunshine.core.models import Division
    from sunshine.demo import db as demo_db
    from sunshine.demo import generator
    from sunshine.testing import factories as f

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    call_command("init", verbosity=0)
    timings["init"] = time.perf_counter() - t0
    counties = list(Division.objects.filter(level=DivisionLevel.COUNTY, code__startswith=PROVINCE[:2])
                    .order_by("code").values_list("code", flat=True))
    cities = Division.objects.filter(level=DivisionLevel.CITY, code__startswith=PROVINCE[:2]).count()
    total = max(len(counties), round(FULL_HOUSEHOLDS * scale))
    generator.Person = _NoPersonsYet  # type: ignore[assignment,misc]
    refresh_statistics = demo_db.refresh_statistics
    demo_db.refresh_statistics = lambda: None  # once at the end, not 95 times
    t0 = time.perf_counter()
    households = persons = 0
    for i, (code, n) in enumerate(zip(counties, _shares(total, len(counties)), strict=True)):
        summary = generator.generate_region(households=n, seed=seed + i, county_code=code[:6], years=YEARS,
                                            replace=True)
        households, persons = households + summary.households, persons + summary.persons
        if i % 10 == 0:
            _log(f"  county {i + 1}/{len(counties)}: {households:,} households so far")
    refresh_statistics()
    timings["generate"] = time.perf_counter() - t0
    _log(f"registry: {households:,} households, {persons:,} people ({timings['generate']:.0f} s)")
    f.make_user("bench_analyst", Role.PROVINCIAL_ANALYST, PROVINCE)
    years = {"all": YEARS, "last": YEARS[-1:], "none": ()}[runs]
    for year in years:
        t0 = time.perf_counter()
        _runs(year)
        timings[f"runs_{year}"] = time.perf_counter() - t0
        _log(f"runs {year}: {timings[f'runs_{year}']:.0f} s")
    if funds:
        t0 = time.perf_counter()
        _funds(counties, seed)
        timings["funds"] = time.perf_counter() - t0
    refresh_statistics()
    if connection.vendor == "postgresql":  # the runs' and findings' tables too, as `sunshine demo` does
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"households": households, "persons": persons, "counties": len(counties), "cities": cities,
            "years": list(YEARS), "runs_years": list(years), "funds": funds,
            "timings": {k: round(v, 1) for k, v in timings.items()}, "default_year": settings.SUNSHINE_DEFAULT_YEAR}


def _runs(year: int) -> None:
    """The official assessments and a monitoring run of the province (real services), and findings in bulk."""
    from sunshine.assessment.services import run_assessment
    from sunshine.monitoring.runs.services import monitor

    for kind in ("households", "villages", "counties"):
        run_assessment(actor=None, kind=kind, year=year, division_code=PROVINCE)
    monitor(actor=None, year=year, division_code=PROVINCE)
    _findings(year)


def _findings(year: int) -> None:
    """About 3 % of the year's households with a finding: every comparison rule, the states of the workflow,
    some past their deadline. Inserted in bulk (a comparison run over department data is issue 18's benchmark)."""
    import datetime as dt
    import hashlib
    import random

    from sunshine.comparison.choices import RULE_CHOICES, FindingStatus
    from sunshine.comparison.models import Finding
    from sunshine.comparison.tests.factories import make_run
    from sunshine.registry.models import HouseholdYear

    rng = random.Random(year)  # noqa: S311 - synthetic data
    run = make_run(division=PROVINCE, year=year)
    rules = [code for code, _ in RULE_CHOICES]
    states = list(FindingStatus.values)
    rows = HouseholdYear.objects.filter(year=year).values_list("household_id", "household__village_id")
    batch: list[Finding] = []
    for household_id, village in rows.iterator(chunk_size=20_000):
        if rng.random() >= FINDING_SHARE:
            continue
        rule = rng.choice(rules)
        batch.append(Finding(
            rule=rule, severity="medium", year=year, household_id=household_id, division_id=village,
            explanation="基准测试生成的比对发现", status=rng.choice(states), first_run=run, last_run=run,
            fingerprint=hashlib.sha256(f"{rule}:{year}:{household_id}".encode()).hexdigest(),
            deadline=dt.date(year, 12, 31) - dt.timedelta(days=rng.randrange(0, 400))))
        if len(batch) >= 5000:
            Finding.objects.bulk_create(batch)
            batch = []
    Finding.objects.bulk_create(batch)


def _funds(counties: list[str], seed: int) -> None:
    from sunshine.demo.funds import load_demo_funds

    for i, code in enumerate(counties):
        load_demo_funds(year=YEARS[-1], county6=code[:6], seed=seed + i)
        if i % 10 == 0:
            _log(f"  funds: county {i + 1}/{len(counties)}")


# --- measuring the refresh and the page ------------------------------------------------------------------------

def _explain(sql: str, params: list[Any]) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def measure(pages: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from sunshine.core.models import Division, User
    from sunshine.dashboard import selectors
    from sunshine.dashboard.indicators import CATALOGUE
    from sunshine.dashboard.refresh import compute, refresh

    result: dict[str, Any] = {"database": connection.vendor, "years": {}}
    per_indicator: dict[str, float] = {}
    for year in YEARS:
        _reset_peak()
        outcome = refresh(year=year, trigger="benchmark")
        result["years"][year] = {"seconds": round(outcome.seconds, 2), "rows": outcome.rows,
                                 "indicators": len(outcome.codes), "peak_mb": _peak_mb()}
        for code, seconds in outcome.per_indicator.items():
            per_indicator[code] = per_indicator.get(code, 0.0) + seconds
        _log(f"refresh {year}: {outcome.seconds:.1f} s, {outcome.rows:,} rows")
    result["refresh_seconds"] = round(sum(y["seconds"] for y in result["years"].values()), 2)
    slowest = sorted(per_indicator.items(), key=lambda item: -item[1])
    result["per_indicator"] = {code: round(seconds, 3) for code, seconds in slowest}
    result["plans"] = _plans([code for code, _ in slowest if code in CATALOGUE][:3], YEARS[-1])

    year = YEARS[-1]
    analyst = User.objects.get(username="bench_analyst")
    province = Division.objects.get(code=PROVINCE)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client's host
    client = Client()
    client.force_login(analyst)
    url = f"/dashboard/{PROVINCE}/?year={year}"
    first = client.get(url)
    result["page_status"] = first.status_code
    if first.status_code == 200:
        result["page_ms"] = _median_ms(lambda: client.get(url), pages)
        result["page_kb"] = round(len(first.content) / 1024)

    def reads() -> None:
        selectors.values(reader=analyst, division_code=PROVINCE, year=year)
        selectors.children_values(reader=analyst, parent=province, year=year)

    result["selectors_ms"] = _median_ms(reads, pages)
    headline = [i for i in CATALOGUE.values() if i.headline]
    t0 = time.perf_counter()
    for indicator in headline:
        compute(indicator, year)
    result["naive_ms"] = round((time.perf_counter() - t0) * 1000)
    result["naive_indicators"] = len(headline)
    return result


def _plans(codes: list[str], year: int) -> dict[str, list[str]]:
    """The query plans of ``codes`` (with the prepared tables they read, as a refresh has them)."""
    from sunshine.dashboard.indicators import CATALOGUE
    from sunshine.dashboard.indicators.prepared import prepared_tables

    with prepared_tables([name for code in codes for name in CATALOGUE[code].uses], year):
        return {code: _explain(*_query(code, year)) for code in codes}


def _query(code: str, year: int) -> tuple[str, list[Any]]:
    from sunshine.dashboard.indicators import CATALOGUE

    sql, params = CATALOGUE[code].query(year)
    return sql, list(params)


def _median_ms(call: Any, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


# --- processes ---------------------------------------------------------------------------------------------------

def _child(stage: str, database_url: str | None, data_dir: str, args: argparse.Namespace) -> None:
    _setup_django(database_url, data_dir)
    out = build(args.scale, args.seed, args.runs, args.funds) if stage == "build" else measure(args.pages)
    out["process_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(out, default=str))  # noqa: T201


def _spawn(stage: str, database_url: str | None, data_dir: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", stage, "--data-dir", data_dir,
           "--scale", str(args.scale), "--seed", str(args.seed), "--runs", args.runs, "--pages", str(args.pages)]
    if args.funds:
        cmd.append("--funds")
    if database_url:
        cmd += ["--database-url", database_url]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603 - our own script
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{stage} failed (exit {done.returncode})")
    return json.loads(lines[-1][len("RESULT "):])


def _pg_admin(base_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(statement)


def _pg_url(base_url: str, name: str) -> str:
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="sunshine-indicators-")
    url = None
    if database == "pg":
        _pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{args.pg_name}"')
        _pg_admin(args.pg_url, f'CREATE DATABASE "{args.pg_name}"')
        url = _pg_url(args.pg_url, args.pg_name)
    try:
        _log(f"{database}: building the province at scale {args.scale}")
        built = _spawn("build", url, data_dir, args)
        _log(f"{database}: measuring")
        measured = _spawn("measure", url, data_dir, args)
    finally:
        if database == "pg" and not args.keep:
            _pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{args.pg_name}"')
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return {"built": built, "measured": measured}


def report(database: str, r: dict[str, Any]) -> list[str]:
    b, m = r["built"], r["measured"]
    lines = [
        f"== {database}: {b['households']:,} households, {b['persons']:,} people, {b['cities']} cities, "
        f"{b['counties']} counties, years {b['years']} (runs for {b['runs_years']}; funds {b['funds']})",
        f"   setup: {b['timings']}",
    ]
    for year, y in m["years"].items():
        lines.append(f"   refresh {year}: {y['seconds']:7.2f} s  {y['rows']:>9,} rows  {y['indicators']} indicators"
                     f"  peak {y['peak_mb']} MB")
    verdict = "OK" if m["refresh_seconds"] < TARGET_REFRESH_SECONDS else "OVER"
    lines.append(f"   refresh, all years: {m['refresh_seconds']:.2f} s (target < {TARGET_REFRESH_SECONDS:.0f} s: "
                 f"{verdict})")
    lines.append("   slowest indicators (s, all years): " + ", ".join(
        f"{code} {seconds:.2f}" for code, seconds in list(m["per_indicator"].items())[:8]))
    for code, plan in m["plans"].items():
        lines.append(f"   plan of {code}:")
        lines += [f"      {step}" for step in plan[:12]]
    if m["page_status"] == 200:
        verdict = "OK" if m["page_ms"] < TARGET_PAGE_MS else "OVER"
        lines.append(f"   provincial cockpit page: median {m['page_ms']:.1f} ms ({m['page_kb']} KB; target < "
                     f"{TARGET_PAGE_MS:.0f} ms: {verdict})")
    else:
        lines.append(f"   provincial cockpit page: HTTP {m['page_status']} (not measured)")
    lines.append(f"   selectors.values + children_values of the province: median {m['selectors_ms']:.1f} ms")
    lines.append(f"   naive: the {m['naive_indicators']} headline figures from the member rows: {m['naive_ms']:,} ms")
    lines.append(f"   peak memory: build {b['process_peak_mb']} MB, measure {m['process_peak_mb']} MB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 750,000 households (2.5M people)")
    parser.add_argument("--database", choices=["sqlite", "pg", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", DEFAULT_PG_URL),
                        help="a PostgreSQL database to connect to for creating and dropping the benchmark's")
    parser.add_argument("--pg-name", default="hd_bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", choices=["all", "last", "none"], default="all",
                        help="years with official assessments, a monitoring run and findings")
    parser.add_argument("--funds", action="store_true", help="also the demo's funds, credit and payments")
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database and data directory")
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.database_url, args.data_dir, args)
        return 0
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # noqa: T201
    databases = ["sqlite", "pg"] if args.database == "both" else [args.database]
    failed = False
    for database in databases:
        r = run_database(database, args)
        print("\n".join(report(database, r)), flush=True)  # noqa: T201
        m = r["measured"]
        failed |= m["refresh_seconds"] >= TARGET_REFRESH_SECONDS and args.scale >= 1
        failed |= m.get("page_ms", 0) >= TARGET_PAGE_MS and args.scale >= 1
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # noqa: T201
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
