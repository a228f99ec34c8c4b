"""`sunshine backup` → `sunshine restore` on the suite's database (SQLite or PostgreSQL): identical registry
exports, every comparison run's files back byte for byte and reopened; tampered archives and non-empty
databases refused with a clear Chinese error."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.models import ComparisonRun
from sunshine.comparison.runs import services as runs
from sunshine.comparison.runs import snapshot
from sunshine.comparison.tests.factories import make_stored_load
from sunshine.core import backup
from sunshine.registry.models import Household

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    return settings.DATA_DIR


def export(target: Path) -> dict[str, bytes]:
    call_command("export", "year", "2020", "--dir", str(target), "--format", "csv", stdout=io.StringIO())
    return {p.name: p.read_bytes() for p in sorted(target.iterdir())}


def tree(root: Path, under: str) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / under).rglob("*")) if p.is_file()}


@pytest.fixture
def world(users, household_a, household_b, data_dir: Path) -> ComparisonRun:
    head = household_a.members.get(relation="head").person
    make_stored_load("deaths", [{"id_number": head.id_number, "name": head.name, "death_date": dt.date(2020, 5, 1)}])
    run = runs.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], background=False)
    assert run.status == JobStatus.DONE, run.message
    attachment = data_dir / "media" / "attachments" / "scan.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 scanned page")
    (data_dir / "comparison" / "scratch").mkdir(parents=True)
    (data_dir / "comparison" / "scratch" / "x.tmp").write_text("transient")
    return run


def test_backup_then_restore_gives_identical_exports_and_run_files(world, users, household_b, data_dir, tmp_path):
    before = export(tmp_path / "export-before")
    files_before = {**tree(data_dir, "comparison/runs"), **tree(data_dir, "datasets"), **tree(data_dir, "media")}
    assert any(name.endswith(".parquet") for name in files_before)
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", "--out", str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
        names = set(opened.getnames())
    assert manifest["database"]["vendor"] in ("sqlite", "postgresql")
    assert manifest["app_version"] and manifest["created_at"] and "core.0001_initial" in manifest["migrations"]
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json"}
    assert all(len(f["sha256"]) == 64 and f["size"] >= 0 for f in manifest["files"])
    assert not any("scratch" in n or n.endswith(".tmp") or n.endswith(".sqlite3-wal") for n in names)
    assert f"data/comparison/runs/{world.pk}/{snapshot.MANIFEST}" in names

    # Work after the backup, then lose it: a household gone, a run's file damaged, a stray file.
    Household.objects.filter(pk=household_b.household.pk).update(household_no="CHANGED")
    run_dir = snapshot.run_directory(world.pk)
    next(run_dir.glob("*.parquet")).write_bytes(b"damaged")
    (data_dir / "stray.txt").write_text("after the backup")

    with pytest.raises(CommandError, match="当前数据库已有数据"):
        call_command("restore", str(archive), stdout=io.StringIO())
    call_command("restore", str(archive), "--force", stdout=io.StringIO())

    assert export(tmp_path / "export-after") == before
    assert {**tree(data_dir, "comparison/runs"), **tree(data_dir, "datasets"), **tree(data_dir, "media")} \
        == files_before
    assert not (data_dir / "stray.txt").exists()
    run = ComparisonRun.objects.get(pk=world.pk)
    frozen = snapshot.open_frozen(snapshot.data_path(run.snapshot_path), list(run.loads.order_by("dataset")))
    assert frozen is not None  # the run's snapshot reopens and matches its loads
    rerun = runs.rerun(actor=users["county"], run=run, background=False)
    assert rerun.status == JobStatus.DONE, rerun.message


def _retar(source: Path, target: Path, change) -> None:  # noqa: ANN001 - a callable(name, bytes) → bytes
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_tampered_or_truncated_archive_is_refused_and_nothing_changes(world, household_b, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    Household.objects.filter(pk=household_b.household.pk).update(household_no="KEPT")

    def edit_data(name: str, data: bytes) -> bytes:
        return data + b"x" if name.startswith("data/") and name.endswith(".parquet") else data

    tampered = tmp_path / "tampered.tar.gz"
    _retar(archive, tampered, edit_data)
    with pytest.raises(CommandError, match="备份文件校验失败,可能已损坏或被篡改"):
        call_command("restore", str(tampered), "--force", stdout=io.StringIO())

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="校验失败|无法打开"):
        call_command("restore", str(truncated), "--force", stdout=io.StringIO())

    assert Household.objects.filter(household_no="KEPT").exists()  # nothing was restored


def test_a_backup_of_a_newer_version_is_refused(world, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    newer = tmp_path / "newer.tar.gz"

    def add_migration(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        body = json.loads(data)
        body["migrations"].append("registry.9999_future")
        return json.dumps(body).encode()

    _retar(archive, newer, add_migration)
    with pytest.raises(CommandError, match="更新版本"):
        call_command("restore", str(newer), "--force", stdout=io.StringIO())


def test_data_dir_listing_leaves_out_the_database_static_and_temporary_files(data_dir):
    for name in ("sunshine.sqlite3", "sunshine.sqlite3-wal", "static/app.css", "uploads/3/progress.tmp",
                 "comparison/scratch/a/people.parquet", "uploads/3/errors.csv",
                 "snapshots/registry/2025/x/households.parquet", "uploads/snapshots/kept.csv"):
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_text("x")
    names = [n for _, n in backup._data_files({(data_dir / "sunshine.sqlite3").resolve()})]
    # The year snapshot cache is derived from the database; a folder of that name deeper down is data.
    assert names == ["data/uploads/3/errors.csv", "data/uploads/snapshots/kept.csv"]
