"""Faults: an import, a comparison run and a monitoring run killed with SIGKILL before, during and after their
write leave the database unchanged or complete; a run left "running" is marked failed at the next start; and
running the command again succeeds. On the database the suite runs on (SQLite, or PostgreSQL in CI).

The commands run as child processes (`.venv/bin/sunshine …`) that kill themselves at a named point
(``SUNSHINE_FAULT_AT``, ``sunshine.core.faults``): deterministic, unlike a timer. The children cannot see the
test database of pytest-django (a transaction, or memory), so each test gets an instance of its own: a data
directory with a demo of 300 households, built once per module by `sunshine init` and `sunshine demo` and
copied per test (the SQLite file with it; on PostgreSQL a database created from a template database).
"""

# ruff: noqa: S603, S608 - the test runs its own `sunshine` with fixed arguments; SQL holds only constants and ids

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from sunshine.core import faults

ROOT = Path(__file__).resolve().parent.parent
SUNSHINE = [str(Path(sys.executable).with_name("sunshine"))]
BASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith(("postgres://", "postgresql://"))
YEAR, NEW_YEAR = 2020, 2021
TIMEOUT = 180


@dataclass
class Instance:
    """A Sunshine instance of its own: data directory and database (SQLite file in it, or a PG database)."""

    data_dir: Path
    database: str = ""  # PostgreSQL database name; "" for SQLite

    @property
    def url(self) -> str:
        if not self.database:
            return ""
        parts = urlsplit(BASE_URL)
        return urlunsplit(parts._replace(path="/" + self.database))

    def env(self, fault: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in (faults.ENV, "DATABASE_URL")}
        env["SUNSHINE_DATA_DIR"] = str(self.data_dir)
        if self.database:
            env["DATABASE_URL"] = self.url
        if fault:
            env[faults.ENV] = fault
        return env

    def run(self, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*SUNSHINE, *args], env=self.env(fault), cwd=ROOT, capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return list(conn.execute(sql).fetchall())
        conn = sqlite3.connect(self.data_dir / "sunshine.sqlite3", timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def scalar(self, sql: str) -> int:
        return int(self.query(sql)[0][0])


def admin_sql(sql: str) -> None:
    """Statements (CREATE/DROP DATABASE) on the server the suite runs on."""
    import psycopg

    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(sql)


def counts_of(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})


def write_next_year(source: Path, target: Path) -> None:
    """The exported year's files with the next year in the 年度 column: an import that writes everything new."""
    for name in ("households", "members", "villages"):
        with (source / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        column = rows[0].index("年度")
        for row in rows[1:]:
            row[column] = str(NEW_YEAR)
        with (target / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    root = tmp_path_factory.mktemp("faults")
    name = f"fault_{uuid.uuid4().hex[:10]}" if ON_POSTGRES else ""
    if name:
        admin_sql(f'CREATE DATABASE "{name}"')
    instance = Instance(root / "base", name)
    try:
        instance.ok("init")
        instance.ok("demo", "--households", "300", "--no-serve")
        instance.ok("export", "year", str(YEAR), "--dir", str(root / "export"), "--format", "csv")
        (root / "files").mkdir()
        write_next_year(root / "export", root / "files")
        yield instance
    finally:
        if name:
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def instance(base: Instance, tmp_path: Path) -> Iterator[Instance]:
    """A copy of the demo instance for one test."""
    name = f"{base.database}_{uuid.uuid4().hex[:6]}" if base.database else ""
    if name:
        admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"')
    copy = Instance(tmp_path / "data", name)
    shutil.copytree(base.data_dir, copy.data_dir)
    try:
        yield copy
    finally:
        if name:
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def killed(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == -signal.SIGKILL


# --- import -------------------------------------------------------------------------------------------------

def registry_state(db: Instance) -> dict[str, int]:
    return {
        "households": db.scalar(f"SELECT COUNT(*) FROM registry_householdyear WHERE year = {NEW_YEAR}"),
        "members": db.scalar(f"SELECT COUNT(*) FROM registry_memberyear WHERE year = {NEW_YEAR}"),
        # a household-year without member-years is a half-written household
        "without_members": db.scalar(
            "SELECT COUNT(*) FROM registry_householdyear hy WHERE NOT EXISTS "
            "(SELECT 1 FROM registry_memberyear my WHERE my.household_year_id = hy.id)"),
        "heads": db.scalar(f"SELECT COUNT(*) FROM registry_memberyear WHERE year = {NEW_YEAR} AND relation = 'head'"),
    }


def import_args(db: Instance) -> list[str]:
    files = db.data_dir.parent / "files"  # next to the base instance (see ``base``)
    return ["import", "registry", str(files / "households.csv"), str(files / "members.csv"),
            "--villages", str(files / "villages.csv"), "--no-progress"]


@pytest.mark.parametrize(("point", "written"), [
    ("import.before_write", False), ("import.mid_write", False), ("import.after_write", True),
])
def test_killed_import_leaves_registry_unchanged_or_complete(instance: Instance, base: Instance, point: str,
                                                           written: bool) -> None:
    complete = {
        "households": base.scalar(f"SELECT COUNT(*) FROM registry_householdyear WHERE year = {YEAR}"),
        "members": base.scalar(f"SELECT COUNT(*) FROM registry_memberyear WHERE year = {YEAR}"),
        "without_members": 0,
    }
    complete["heads"] = complete["households"]
    unchanged = {"households": 0, "members": 0, "without_members": 0, "heads": 0}
    assert registry_state(instance) == unchanged

    done = instance.run(*import_args(base), fault=point)
    assert killed(done), (done.returncode, done.stderr[-2000:])
    assert registry_state(instance) == (complete if written else unchanged)

    instance.ok(*import_args(base))  # the same import again succeeds, and completes the year
    assert registry_state(instance) == complete


# --- comparison run -----------------------------------------------------------------------------------------

def comparison_runs(db: Instance) -> dict[int, tuple[str, dict[str, Any], str]]:
    return {pk: (status, counts_of(counts), message or "")
            for pk, status, counts, message in db.query(
                "SELECT id, status, counts, message FROM comparison_comparisonrun ORDER BY id")}


def assert_runs_consistent(db: Instance) -> None:
    """A finished run has all its findings; any other run has none."""
    occurrences = dict(db.query("SELECT run_id, COUNT(*) FROM comparison_findingoccurrence GROUP BY run_id"))
    for pk, (status, counts, _message) in comparison_runs(db).items():
        if status == "done":
            assert occurrences.get(pk, 0) == counts["total"], (pk, counts)
        else:
            assert occurrences.get(pk, 0) == 0, (pk, status)
            assert db.scalar(f"SELECT COUNT(*) FROM comparison_finding WHERE first_run_id = {pk}") == 0


@pytest.mark.parametrize(("point", "finished"), [
    ("compare.before_store", False), ("compare.mid_store", False), ("compare.after_store", True),
])
def test_killed_comparison_run_is_failed_at_next_start_and_rerun_succeeds(instance: Instance, point: str,
                                                                         finished: bool) -> None:
    before = comparison_runs(instance)
    done = instance.run("compare", "--year", str(YEAR), "--no-progress", fault=point)
    assert killed(done), (done.returncode, done.stderr[-2000:])
    after = comparison_runs(instance)
    (killed_run,) = set(after) - set(before)
    assert after[killed_run][0] == ("done" if finished else "running")
    assert_runs_consistent(instance)

    rerun = instance.ok("compare", "--year", str(YEAR), "--no-progress")
    runs = comparison_runs(instance)
    if not finished:
        status, _counts, message = runs[killed_run]
        assert status == "failed" and "任务中断" in message, rerun.stderr[-2000:]
    (new_run,) = set(runs) - set(after)
    assert runs[new_run][0] == "done"
    assert not [pk for pk, (status, *_rest) in runs.items() if status == "running"]
    assert_runs_consistent(instance)


# --- monitoring run -----------------------------------------------------------------------------------------

def monitoring_state(db: Instance) -> tuple[int, int]:
    """(runs, warnings); checks that every stored run has exactly the new warnings it counted."""
    new = dict(db.query("SELECT first_run_id, COUNT(*) FROM monitoring_earlywarning GROUP BY first_run_id"))
    runs = db.query("SELECT id, counts FROM monitoring_monitoringrun")
    for pk, counts in runs:
        assert "new" in counts_of(counts), (pk, counts)  # not a half-written run
        assert new.get(pk, 0) == counts_of(counts)["new"], (pk, counts)
    return len(runs), sum(new.values())


@pytest.mark.parametrize(("point", "stored"), [
    ("monitor.before_store", False), ("monitor.mid_store", False), ("monitor.after_store", True),
])
def test_killed_monitoring_run_leaves_warnings_unchanged_or_complete(instance: Instance, point: str,
                                                                   stored: bool) -> None:
    runs, warnings = monitoring_state(instance)
    done = instance.run("monitor", "--year", str(YEAR), fault=point)
    assert killed(done), (done.returncode, done.stderr[-2000:])
    killed_runs, _ = monitoring_state(instance)
    assert killed_runs == runs + (1 if stored else 0)
    if not stored:
        assert monitoring_state(instance) == (runs, warnings)

    instance.ok("monitor", "--year", str(YEAR))
    assert monitoring_state(instance)[0] == killed_runs + 1


# --- the points themselves ----------------------------------------------------------------------------------

def test_every_fault_point_is_placed_once_and_covered() -> None:
    placed: list[str] = []
    for path in (ROOT / "sunshine").rglob("*.py"):
        placed += re.findall(r'fault_point\("([a-z_.]+)"\)', path.read_text(encoding="utf-8"))
    assert sorted(placed) == sorted(faults.POINTS)
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{point}"' in source for point in faults.POINTS)


def test_fault_point_is_inert_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.fault_point("import.mid_write")  # still alive
    monkeypatch.setenv(faults.ENV, "compare.mid_store")
    faults.fault_point("import.mid_write")  # another point: still alive


# --- job pages: a web worker killed while running a job inline ----------------------------------------------

@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("htmx", [False, True])
def test_job_pages_mark_a_job_of_a_killed_worker_failed(client, users, dead_pid: int, htmx: bool) -> None:  # noqa: ANN001
    from django.urls import reverse

    from sunshine.comparison.choices import DATASET_CHOICES, JobStatus
    from sunshine.comparison.models import ComparisonRun, DatasetUpload
    from sunshine.core import jobs
    from sunshine.registry.models_transfer import ImportJob

    user = users["admin"]
    dead = {"worker_host": jobs.host_name(), "worker_pid": dead_pid}
    import_job = ImportJob.objects.create(user=user, status=ImportJob.Status.RUNNING, **dead)
    upload = DatasetUpload.objects.create(user=user, dataset=DATASET_CHOICES[0][0], file_name="x.csv", path="x.csv",
                                          status=JobStatus.RUNNING, **dead)
    run = ComparisonRun.objects.create(year=YEAR, division_id=user.division_id, created_by=user,
                                       status=JobStatus.RUNNING, **dead)
    live = ComparisonRun.objects.create(year=YEAR, division_id=user.division_id, created_by=user,
                                        status=JobStatus.RUNNING, **jobs.claim())  # this process: alive
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    for job, url in ((import_job, reverse("transfer_job", args=[import_job.pk])),
                     (upload, reverse("comparison_dataset_upload", args=[upload.pk])),
                     (run, reverse("comparison_run", args=[run.pk]))):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        job.refresh_from_db()
        assert job.status == "failed" and "任务中断" in job.message, url
        assert "任务中断" in response.content.decode(), url  # the page says so at once
    assert client.get(reverse("comparison_run", args=[live.pk])).status_code == 200
    live.refresh_from_db()
    assert live.status == JobStatus.RUNNING
