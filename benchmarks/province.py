"""Province-scale pipeline benchmark (issue 18): a province's year through the database, the engines and back.

    .venv/bin/python benchmarks/province.py --scale 0.02 --database sqlite          # a quick run (~15,000 households)
    DATABASE_URL=postgresql://postgres@127.0.0.1:54399/hp_bench \\
        .venv/bin/python benchmarks/province.py --scale 1 --database both             # 750,000 households

At --scale 1: 750,000 households (≈2.3M members a year) over Jiangsu's 13 cities and 95 counties with their
townships and villages, for 2018–2020 (benchmarks/province_data.py: made with sunshine.demo county by county on a
SQLite database of its own and exported as the files a county hands in; kept under --files for the next run with
the same scale and seed), then, each stage timed with its peak memory:

  import        the three years' files through the real import (registry.transfer.pipeline.import_registry)
  departments   13 department loads, 50M rows at scale 1 (setup: the registry's rows plus outsiders)
  snapshot      extracting the last year's registry snapshot (assessment households + members, comparison people)
  assessment    an official household assessment run of the province, stored
  comparison    a comparison run of the 16 rules over the loads (DuckDB), findings stored
  monitoring    a monitoring run, warnings stored
  funds         the funds check (sunshine funds check)
  indicators    sunshine.dashboard.refresh.refresh(year=...): every indicator of the year
  pages         p50/p95 of the assessment run's results, the finding list and the warning list for a provincial
                analyst and a village clerk (Django's test client, in the process: no network)

Peak memory per stage is VmHWM of the process, reset before each stage (writing 5 to /proc/self/clear_refs);
where that cannot be reset the figure is the process's peak so far (marked "≤"). "Where the time went" splits
the runs into their parts (snapshot, engine, store …) by timing the service functions they call.

Each database runs in a child process: SQLite in a fresh file under a temporary SUNSHINE_DATA_DIR; PostgreSQL in
a throw-away database <name>_province_<scale> (``bench_province_1``, ``bench_province_0_02``) created next to
DATABASE_URL's (or --pg-url's) database <name> and dropped afterwards (--keep keeps it until a run at the same
scale replaces it).
The server's settings weigh on the import: docs/operations.md ("PostgreSQL for a province") gives the ones the
figures in docs/scale.md were measured with, and what PostgreSQL's defaults gave. The machine's load average is
printed at the start and the end. tests/test_province_smoke.py runs
``run_pipeline(scale=0.02)`` on the test database.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

YEAR = 2020
PROVINCE = "320000000000"
TARGETS = {"import_last_year": 300.0, "snapshot": 30.0, "runs": 180.0, "page_p95_ms": 300.0}  # at scale 1
Log = Callable[[str], None]

# Where the time of a run goes: (module, function, label); patched for the run to add up their seconds.
PARTS = [
    ("sunshine.assessment.snapshot", "extract", "assessment: snapshot"),
    ("sunshine.assessment.services", "evaluate", "assessment: engine"),
    ("sunshine.assessment.services", "_store", "assessment: store"),
    ("sunshine.comparison.runs.snapshot", "build", "comparison: snapshot"),
    ("sunshine.comparison.runs.compute", "evaluate", "comparison: engine"),
    ("sunshine.comparison.runs.services", "resolve", "comparison: resolve IDs"),
    ("sunshine.comparison.runs.services", "store_findings", "comparison: store"),
    ("sunshine.comparison.runs.store", "_evidence", "comparison: store: evidence"),
    ("sunshine.comparison.runs.store", "raise_findings", "comparison: store: insert"),
    ("sunshine.monitoring.runs.snapshot", "extract", "monitoring: snapshot"),
    ("sunshine.monitoring.runs.services", "evaluate", "monitoring: engine"),
    ("sunshine.monitoring.runs.services", "store_warnings", "monitoring: store"),
]
# Each year's import, split the same way (labels prefixed with the year).
IMPORT_PARTS = [
    # A large household file is read and typed in a process of its own meanwhile (pipeline._households_read):
    # "read" is what this process reads, "validate" includes any wait for the household file.
    ("sunshine.registry.transfer.pipeline", "read_table", "read the files"),
    ("sunshine.registry.transfer.pipeline", "validate_registry", "validate"),
    ("sunshine.registry.transfer.apply", "check", "check against the database"),
    ("sunshine.registry.transfer.apply", "_write_households", "write the households"),
    ("sunshine.registry.transfer.pipeline", "apply_registry", "check + write + commit"),
]


# --- measuring ----------------------------------------------------------------------------------------------


def _reset_peak() -> bool:
    """Reset VmHWM (Linux ≥ 4.0); False where it cannot be."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mb() -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@dataclass
class Measure:
    log: Log
    stages: list[dict[str, Any]] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextlib.contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[dict[str, Any]]:
        exact = _reset_peak()
        info: dict[str, Any] = {"stage": name, "note": note}
        started = time.perf_counter()
        yield info
        info.update(seconds=round(time.perf_counter() - started, 2), peak_mb=_peak_mb(), exact_peak=exact)
        self.stages.append(info)
        self.log(f"{name}: {info['seconds']:.1f} s, peak {'' if exact else '≤'}{info['peak_mb']} MB"
                 f"{' · ' + info['note'] if info['note'] else ''}")

    @contextlib.contextmanager
    def parts_timed(self, parts: list[tuple[str, str, str]] = PARTS, prefix: str = "") -> Iterator[None]:
        """Time the given functions (default PARTS) while the block runs (their module attributes are wrapped,
        then restored)."""
        saved = []
        for module_name, name, label in parts:
            module = importlib.import_module(module_name)
            original = getattr(module, name, None)
            if original is None:
                continue
            saved.append((module, name, original))
            setattr(module, name, self._timed(original, prefix + label))
        try:
            yield
        finally:
            for module, name, original in reversed(saved):
                setattr(module, name, original)

    def _timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.parts[label] += time.perf_counter() - started
        return wrapper


# --- the pipeline ---------------------------------------------------------------------------------------------


def _users(clerk_village: str | None = None) -> dict[str, Any]:
    from sunshine.core.choices import Role
    from sunshine.core.models import User

    def user(username: str, role: Role, division: str) -> Any:
        found, _ = User.objects.update_or_create(
            username=username, defaults={"roles": [role.value], "division_id": division, "full_name": username})
        return found

    out = {"admin": user("bench_admin", Role.ADMIN, PROVINCE), "analyst": user("bench_analyst", Role.PROVINCIAL_ANALYST,
                                                                               PROVINCE)}
    if clerk_village:
        out["clerk"] = user("bench_clerk", Role.VILLAGE_CLERK, clerk_village)
    return out


def run_pipeline(*, scale: float, seed: int = 1, files_dir: Path | None = None, page_requests: int = 20,
                 log: Log = print) -> dict[str, Any]:
    """The whole benchmark on the configured (migrated, empty) database; returns stages, parts and checks.
    ``files_dir`` keeps the generated registry files for the next run with the same scale and seed."""
    from province_data import FULL_HOUSEHOLDS, YEARS, load_departments, province_files

    households = max(95, round(FULL_HOUSEHOLDS * scale))
    m = Measure(log)
    result: dict[str, Any] = {"scale": scale, "households": households, "load_start": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="sunshine-province-"))
    try:
        actors = _users()
        with m.stage("generate", "setup: sunshine.demo county by county on SQLite, exported as .csv") as info:
            files, reused = province_files(files_dir or work / "files", households, seed, log)
            size = sum(p.stat().st_size for f in files.values() for p in f.values()) >> 20
            info["note"] = f"setup: {'reused' if reused else 'made'} the registry files ({size} MB .csv) in " \
                f"{files_dir or 'a temporary directory'}" + ("" if reused else "; sunshine.demo county by county "
                                                            "on a SQLite database of its own")
        result["imported"] = _import(m, files, actors["admin"])
        with m.stage("departments", "setup: 13 loads (registry rows + outsiders)") as info:
            result["department_rows"] = load_departments(YEARS[-1], scale, seed, actors["admin"], log)
            info["note"] += f", {sum(result['department_rows'].values()):,} rows"
        result.update(_runs(m, actors["admin"]))
        result["pages"] = _pages(m, result, page_requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["stages"], result["parts"] = m.stages, {k: round(v, 2) for k, v in m.parts.items()}
    result["load_end"] = os.getloadavg()
    return result


def _import(m: Measure, files: dict[int, dict[str, Path]], actor: Any) -> dict[str, Any]:
    from sunshine.registry.transfer.pipeline import ImportFiles, import_registry

    counts = {}
    for year, paths in files.items():
        with m.stage(f"import {year}", "registry import: read → validate → write") as info, \
                m.parts_timed(IMPORT_PARTS, f"import {year}: "):
            outcome = import_registry(ImportFiles(paths["households"], paths["members"], paths["villages"]),
                                      actor=actor, year=year)
            r = outcome.result
            if r.errors or not r.written:
                raise RuntimeError(f"import of {year} failed: {len(r.errors)} errors, e.g. {r.errors[:3]}")
            info["note"] += f": {r.households_created:,} new / {r.households_updated:,} updated households, " \
                f"{r.members_created:,} new members"
            counts[year] = {"households_created": r.households_created, "households_updated": r.households_updated,
                            "members_created": r.members_created}
    return counts


def _runs(m: Measure, admin: Any) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from sunshine.assessment.services import run_assessment
    from sunshine.assessment.snapshot import extract
    from sunshine.comparison.choices import JobStatus
    from sunshine.comparison.models import Finding
    from sunshine.comparison.runs.services import start_run
    from sunshine.comparison.runs.snapshot import extract_people
    from sunshine.engine import vocabulary
    from sunshine.monitoring.models import EarlyWarning
    from sunshine.monitoring.runs.services import monitor

    out: dict[str, Any] = {}
    with m.stage("snapshot", "the last year's registry: assessment households + members, comparison people") as info:
        snap = extract("households", year=YEAR, prefix="")
        people = extract_people(YEAR)
        out["snapshot_households"] = snap.tables["households"].num_rows
        statuses = pa.array(sorted(vocabulary.REGISTERED_STATUSES))  # the households an assessment assesses
        out["snapshot_registered"] = pc.sum(pc.is_in(snap.tables["households"]["status"], statuses)).as_py()
        out["snapshot_members"] = snap.tables["members"].num_rows
        info["note"] += f" ({out['snapshot_households']:,} households, {people.num_rows:,} people)"
        del snap, people
    with m.parts_timed():
        with m.stage("assessment", "official household assessment of the province, stored") as info:
            run = run_assessment(actor=admin, kind="households", year=YEAR, division_code=PROVINCE, official=True)
            out["assessment_run"], out["assessment_results"] = run.pk, _assessment_rows(run)
            out["assessment_counted"] = run.counts["total"]
            info["note"] += f": {out['assessment_results']:,} results"
        with m.stage("comparison", "16 rules over the department loads (DuckDB), findings stored") as info:
            crun = start_run(actor=admin, year=YEAR, division_code=PROVINCE, background=False)
            if crun.status != JobStatus.DONE:
                raise RuntimeError(f"comparison run failed: {crun.message}")
            out["comparison_run"], out["comparison_rules"] = crun.pk, len(crun.rules)
            out["findings"] = Finding.objects.filter(first_run=crun).count()
            info["note"] += f": {len(crun.rules)} rules, {out['findings']:,} findings"
        with m.stage("monitoring", "monitoring run, warnings stored") as info:
            outcome = monitor(actor=None, year=YEAR, division_code=PROVINCE)
            out["monitoring_run"], out["warnings"] = outcome.run.pk, EarlyWarning.objects.filter(
                first_run=outcome.run).count()
            out["warnings_counted"] = outcome.run.counts.get("new")
            info["note"] += f": {out['warnings']:,} warnings"
    with m.stage("funds", "funds check (sunshine funds check)") as info:
        from sunshine.funds.check.services import run_check

        frun, table = run_check(actor=admin, year=YEAR, division_code=PROVINCE)
        out["funds_status"] = str(frun.status)
        info["note"] += f": {frun.status}, {table.num_rows:,} findings (no funds data in this benchmark)"
    with m.stage("indicators", "indicator refresh (sunshine indicators refresh)") as info:
        from sunshine.dashboard.refresh import refresh

        outcome = refresh(year=YEAR, trigger="benchmark")
        out["indicators"] = "done"
        out["indicator_rows"] = outcome.rows
        slowest = sorted(outcome.per_indicator.items(), key=lambda item: -item[1])[:3]
        info["note"] += f": {len(outcome.codes)} indicators, {outcome.rows:,} rows; slowest " + ", ".join(
            f"{code} {seconds:.1f} s" for code, seconds in slowest)
    return out


def _assessment_rows(run: Any) -> int:
    from sunshine.assessment.models import HouseholdAssessment

    return HouseholdAssessment.objects.filter(run=run).count()


def _clerk_village() -> str:
    """The village with the most warnings (so that the clerk's lists are not empty)."""
    from django.db.models import Count

    from sunshine.core.choices import DivisionLevel
    from sunshine.monitoring.models import EarlyWarning

    top = (EarlyWarning.objects.filter(division__level=DivisionLevel.VILLAGE).values("division_id")
           .annotate(n=Count("id")).order_by("-n", "division_id").first())
    if top is not None:
        return top["division_id"]
    from sunshine.registry.models import Household

    return Household.objects.order_by("pk").values_list("village_id", flat=True).first()


def _pages(m: Measure, result: dict[str, Any], n: int) -> dict[str, Any]:
    from django.test import Client

    village = _clerk_village()
    actors = _users(village)
    pages = {"run": f"/assessment/runs/{result['assessment_run']}/", "run p2": f"/assessment/runs/"
             f"{result['assessment_run']}/?page=2", "findings": "/comparison/findings/",
             "findings p2": "/comparison/findings/?page=2", "warnings": "/monitoring/",
             "warnings p2": "/monitoring/?page=2"}
    out: dict[str, Any] = {"clerk_village": village}
    with m.stage("pages", f"{n} requests per page and user (after one warm-up)") as info:
        for who in ("analyst", "clerk"):
            client = Client(HTTP_HOST="localhost")
            client.force_login(actors[who])
            for page, url in pages.items():
                statuses, times = set(), []
                for k in range(n + 1):
                    started = time.perf_counter()
                    response = client.get(url)
                    if k:
                        times.append(time.perf_counter() - started)
                    statuses.add(response.status_code)
                times.sort()
                out[f"{who} {page}"] = {"p50_ms": round(_percentile(times, 0.50) * 1000),
                                        "p95_ms": round(_percentile(times, 0.95) * 1000),
                                        "statuses": sorted(statuses), "bytes": len(response.content)}
        info["note"] += f"; clerk of {village}"
    return out


def _percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest value with at least ``q`` of them at or below it
    (of 20 requests, p95 is the 19th and p50 the 10th). It used to take the value at int(q·n): the 20th of 20 for
    p95, that is the slowest request, and the 11th for p50."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- printing ------------------------------------------------------------------------------------------------


def report(r: dict[str, Any], database: str) -> list[str]:
    """Print one database's figures; returns the targets missed (judged at scale ≥ 1 only)."""
    print(f"\n== {database} · scale {r['scale']} · {r['households']:,} households asked · "
          f"{r['snapshot_households']:,} households and {r['snapshot_members']:,} members in {YEAR} · "
          f"{sum(r['department_rows'].values()):,} department rows")
    print(f"load average (1/5/15 min) at start {'/'.join(f'{x:.2f}' for x in r['load_start'])}, at end "
          f"{'/'.join(f'{x:.2f}' for x in r['load_end'])} · {os.cpu_count()} CPUs")
    print(f"{'stage':<14}{'seconds':>9}{'peak MB':>9}  what")
    total = 0.0
    for s in r["stages"]:
        total += s["seconds"]
        peak = f"{'' if s['exact_peak'] else '≤'}{s['peak_mb']}"
        print(f"{s['stage']:<14}{s['seconds']:>9.1f}{peak:>9}  {s['note']}")
    print(f"{'total':<14}{total:>9.1f}")
    print("where the time went (seconds):")
    for label, seconds in sorted(r["parts"].items()):
        print(f"  {label:<32}{seconds:>8.1f}")
    print(f"{'page':<26}{'p50 ms':>8}{'p95 ms':>8}  status  bytes")
    for page, p in r["pages"].items():
        if isinstance(p, dict):
            print(f"{page:<26}{p['p50_ms']:>8}{p['p95_ms']:>8}  {','.join(map(str, p['statuses'])):<7} {p['bytes']:,}")
    missed = []
    if r["scale"] >= 1:
        by = {s["stage"]: s["seconds"] for s in r["stages"]}
        runs = by["assessment"] + by["comparison"] + by["monitoring"]
        checks = [(f"import {YEAR}", by[f"import {YEAR}"], TARGETS["import_last_year"]),
                  ("snapshot", by["snapshot"], TARGETS["snapshot"]), ("three runs stored", runs, TARGETS["runs"])]
        checks += [(f"{k} p95 ms", p["p95_ms"], TARGETS["page_p95_ms"]) for k, p in r["pages"].items()
                   if isinstance(p, dict)]
        missed = [f"{what}: {got} > {target}" for what, got, target in checks if got > target]
    return missed


# --- processes -----------------------------------------------------------------------------------------------


def _child(database_url: str | None, scale: float, seed: int, pages: int, keep: bool,
           files: Path) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="sunshine-province-data-")
    os.environ["SUNSHINE_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    pg = connection.vendor == "postgresql"
    old_name = None
    if pg:
        # Next to DATABASE_URL's database, never it; named by the scale, so that a smoke run does not drop the
        # database a full run kept (a rerun at the same scale replaces its own).
        name = f"{connection.settings_dict['NAME']}_province_{scale:g}".replace(".", "_")
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        log(f"PostgreSQL database {name}{' (kept)' if keep else ''}")
    else:
        call_command("migrate", verbosity=0)
    try:
        result = run_pipeline(scale=scale, seed=seed, page_requests=pages, log=log,
                              files_dir=files / f"scale-{scale:g}-seed-{seed}")
        result["database"] = connection.vendor
        return result
    finally:
        if pg and not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.close()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 750,000 households, 50M department rows")
    parser.add_argument("--database", choices=("pg", "sqlite", "both"), default="pg")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL server to create the throw-away database on (default: DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=20, help="measured requests per page and user")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database and the data directory")
    parser.add_argument("--files", type=Path, default=Path(tempfile.gettempdir()) / "sunshine-bench-province",
                        help="where the generated registry files are kept for the next run (per scale and seed)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child or None, args.scale, args.seed, args.pages, args.keep, args.files),
                         default=str))
        return 0
    if not 0.0001 <= args.scale <= 2:
        parser.error("--scale between 0.0001 and 2")
    urls: list[tuple[str, str]] = []
    if args.database in ("sqlite", "both"):
        urls.append(("sqlite", ""))
    if args.database in ("pg", "both"):
        if not args.pg_url.startswith("postgres"):
            parser.error("--database pg needs --pg-url or DATABASE_URL=postgresql://…")
        urls.append(("postgresql", args.pg_url))
    print(f"province pipeline benchmark · scale {args.scale} · seed {args.seed} · load average "
          f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    missed: list[str] = []
    for label, url in urls:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", url, "--scale", str(args.scale),
               "--seed", str(args.seed), "--pages", str(args.pages), "--files", str(args.files),
               *(["--keep"] if args.keep else [])]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False, env=env)  # noqa: S603 - ours
        if done.returncode != 0:
            print(f"{label}: the benchmark failed (exit {done.returncode})")
            return 1
        result = json.loads(done.stdout.strip().splitlines()[-1])
        missed += [f"{label}: {x}" for x in report(result, label)]
    if missed:
        print("SLOWER than the targets:\n  " + "\n  ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
