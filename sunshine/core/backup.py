"""Backup and restore: the database and the data directory in one archive, checked by a manifest.

The archive (tar, gzip-compressed when its name ends in .gz/.tgz) holds:
- ``database/sunshine.sqlite3`` — SQLite's online backup (consistent while the site runs), or
  ``database/sunshine.pgdump`` — ``pg_dump -Fc`` of the connected PostgreSQL database;
- ``data/…`` — the data directory: dataset versions, comparison run snapshots, uploads' error reports,
  attachments (media). Not the SQLite file itself, collected static files, temporary files or backups;
- ``manifest.json`` — size and sha256 of every other member, the app version, the database vendor and server
  version, the applied migrations and the time.

Restore verifies every member against the manifest before it changes anything, refuses a non-empty database
unless forced, replaces the database (SQLite: the backup API into the open database; PostgreSQL: the tables
are dropped, then ``pg_restore``), replaces the data directory, and migrates when the backup is older than the
code. Both work on the connection's own settings (so on a test database too), not on DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

import sunshine

FORMAT = "sunshine-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_SQLITE = "database/sunshine.sqlite3"
DB_PGDUMP = "database/sunshine.pgdump"
DATA_PREFIX = "data/"
CHUNK = 1024 * 1024
# Not backed up: regenerated (static), transient (scratch, *.tmp, progress files) or backups themselves.
SKIP_DIRS = {"static", "backups", "scratch", "__pycache__", "keys"}  # keys/: the data key never goes in a backup
# Derived from the database and rebuilt on demand: never backed up, and dropped on restore (it describes the
# database being replaced).
CACHE_DIRS = {"snapshots"}
SKIP_SUFFIXES = (".tmp", ".part", "-wal", "-shm", "-journal")

Report = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator (Chinese)."""


@dataclass
class Manifest:
    created_at: str
    app_version: str
    vendor: str
    server_version: str
    migrations: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> bytes:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": self.created_at,
                "app_version": self.app_version,
                "database": {"vendor": self.vendor, "server_version": self.server_version},
                "migrations": self.migrations, "files": self.files}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            body = json.loads(raw.decode("utf-8"))
            if body.get("format") != FORMAT:
                raise ValueError("format")
            if int(body["format_version"]) > FORMAT_VERSION:
                raise BackupError("备份文件的格式比本版本新,请先升级 Sunshine 再恢复。")
            return cls(created_at=body["created_at"], app_version=body["app_version"],
                       vendor=body["database"]["vendor"], server_version=body["database"]["server_version"],
                       migrations=list(body["migrations"]), files=list(body["files"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError("备份文件的清单(manifest.json)无法读取:不是 Sunshine 的备份,或已损坏。") from exc


# --- helpers ---------------------------------------------------------------------------------------------


def _noop(message: str) -> None:
    del message


def data_dir() -> Path:
    return Path(settings.DATA_DIR).resolve()


def _sqlite_files() -> set[Path]:
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return set()
    name = Path(connection.settings_dict["NAME"]).resolve()
    return {name, *(name.with_name(name.name + s) for s in ("-wal", "-shm", "-journal"))}


def _data_files(exclude: set[Path]) -> Iterator[tuple[Path, str]]:
    root = data_dir()
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        skip = SKIP_DIRS | CACHE_DIRS if here == root else SKIP_DIRS
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith(".restore-"))
        for name in sorted(files):
            path = here / name
            if name.endswith(SKIP_SUFFIXES) or path.resolve() in exclude or not path.is_file():
                continue
            yield path, DATA_PREFIX + path.relative_to(root).as_posix()


class _HashingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as raw:
        reader = _HashingReader(raw)
        archive.addfile(info, reader)
    if reader.size != info.size:
        raise BackupError(f"备份时文件被修改:{name}。请在没有任务运行时重试。")
    return {"path": name, "size": reader.size, "sha256": reader.digest.hexdigest()}


def applied_migrations() -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def code_migrations() -> set[str]:
    return {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}


def server_version() -> str:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        return str(connection.pg_version)
    return sqlite3.sqlite_version


# --- PostgreSQL tools ------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore of the server's major version (a newer one also reads an older server)."""
    connection.ensure_connection()
    major = connection.pg_version // 10000
    candidates: list[tuple[int, str]] = []
    for path in glob.glob(f"/usr/lib/postgresql/*/bin/{name}"):
        try:
            candidates.append((int(Path(path).parts[-3]), path))
        except ValueError:
            continue
    on_path = shutil.which(name)
    if on_path:
        candidates.append((_tool_major(on_path), on_path))
    usable = sorted((v, p) for v, p in candidates if v >= major)
    if not usable:
        raise BackupError(
            f"找不到与数据库服务器(PostgreSQL {major})版本相符的 {name}:请安装 postgresql-client-{major}。")
    exact = [p for v, p in usable if v == major]
    return exact[0] if exact else usable[0][1]


def _tool_major(path: str) -> int:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
        return int(out.split()[-1].split(".")[0])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return 0


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = {**os.environ}
    env.pop("PGOPTIONS", None)  # the site's statement limits must not cut a dump short
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - fixed tools
    if result.returncode != 0:
        raise BackupError(f"{what}失败:{result.stderr.strip()[-2000:]}")


# --- backup ----------------------------------------------------------------------------------------------


def _dump_database(target: Path) -> str:
    """Writes a consistent copy of the database to ``target``; returns its archive name."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # the online backup API: consistent, site may run
        finally:
            destination.close()
        return DB_SQLITE
    if connection.vendor == "postgresql":
        args, env = _pg_args_env()
        _run([pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(target),
              str(connection.settings_dict["NAME"])], env, "pg_dump 导出数据库")
        return DB_PGDUMP
    raise BackupError(f"不支持备份此类数据库:{connection.vendor}")


def create_backup(out: Path, *, report: Report = _noop) -> Manifest:
    """Write the archive to ``out`` (through a temporary name: a failed backup leaves no half archive)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        app_version=sunshine.__version__, vendor=connection.vendor,
                        server_version=server_version(), migrations=applied_migrations())
    partial = out.with_name(out.name + ".part")
    mode = "w:gz" if out.name.endswith((".gz", ".tgz")) else "w"
    with tempfile.TemporaryDirectory(prefix="sunshine-backup-") as scratch:
        dump = Path(scratch) / "database"
        report("正在导出数据库…")
        db_name = _dump_database(dump)
        try:
            with tarfile.open(partial, mode, **({"compresslevel": 6} if mode == "w:gz" else {})) as archive:
                manifest.files.append(_add_file(archive, dump, db_name))
                dump.unlink()
                report("正在打包数据目录…")
                for path, name in _data_files(_sqlite_files() | {out, partial}):
                    manifest.files.append(_add_file(archive, path, name))
                raw = manifest.as_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(raw), int(dt.datetime.now(dt.UTC).timestamp())
                archive.addfile(info, io.BytesIO(raw))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(out)
    return manifest


# --- restore ---------------------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and bool(path.parts)


def verify_archive(archive_path: Path, staging: Path) -> Manifest:
    """Every member listed with the size and sha256 the manifest says, nothing else, no unsafe name;
    extracted into ``staging``. Raises BackupError with what is wrong."""
    tampered = "备份文件校验失败,可能已损坏或被篡改,未做任何恢复:"
    try:
        archive = tarfile.open(archive_path, "r:*")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"无法打开备份文件 {archive_path}:{exc}") from exc
    with archive:
        try:
            members = {m.name.removeprefix("./"): m for m in archive.getmembers()}  # re-packed by hand: ./name
            member = members[MANIFEST]
            manifest = Manifest.parse(archive.extractfile(member).read())  # type: ignore[union-attr]
        except KeyError as exc:
            raise BackupError(tampered + "缺少清单 manifest.json。") from exc
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BackupError(tampered + f"归档不完整({exc})。") from exc
        expected = {entry["path"]: entry for entry in manifest.files}
        if len(expected) != len(manifest.files) or not all(_safe_name(n) for n in expected):
            raise BackupError(tampered + "清单中有重复或不安全的文件名。")
        seen: set[str] = set()
        try:
            for name, member in members.items():
                if name == MANIFEST or member.isdir():
                    continue
                entry = expected.get(name)
                if entry is None or not member.isfile():
                    raise BackupError(tampered + f"清单中没有的文件 {name}。")
                seen.add(name)
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                source = archive.extractfile(member)
                assert source is not None
                with target.open("wb") as sink:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        sink.write(chunk)
                if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                    raise BackupError(tampered + f"文件 {name} 的内容与清单不符。")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BackupError(tampered + f"归档不完整({exc})。") from exc
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError(tampered + f"缺少文件 {', '.join(missing[:5])}。")
    if not any(n in expected for n in (DB_SQLITE, DB_PGDUMP)):
        raise BackupError(tampered + "备份中没有数据库。")
    return manifest


def database_has_data() -> bool:
    """Users or households present: a restore would overwrite someone's work."""
    from sunshine.core.models import User
    from sunshine.registry.models import Household

    tables = set(connection.introspection.table_names())
    return any(m._meta.db_table in tables and m.objects.exists() for m in (User, Household))


def _restore_sqlite(dump: Path) -> None:
    source = sqlite3.connect(dump)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份中的 SQLite 数据库未通过完整性检查,未做任何恢复。")
        connection.ensure_connection()
        # Page by page into the open database, under its write lock: no window with a missing or mixed file,
        # and the WAL stays consistent (copying the file over a live database would not be safe).
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgresql(dump: Path) -> None:
    tool = pg_tool("pg_restore")
    with connection.cursor() as cursor:  # tables of a newer version that the dump would not --clean
        tables = connection.introspection.table_names(cursor)
        if tables:
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"DROP TABLE IF EXISTS {quoted} CASCADE")
    connection.close()
    args, env = _pg_args_env()
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, "-d", str(connection.settings_dict["NAME"]), str(dump)],
         env, "pg_restore 恢复数据库")


def _replace_data_dir(staged: Path) -> None:
    """Move the restored files in; what the data directory held before (but the database file, static files
    and backups kept there) goes."""
    root = data_dir()
    root.mkdir(parents=True, exist_ok=True)
    keep = _sqlite_files()
    old = Path(tempfile.mkdtemp(prefix=".restore-old-", dir=root))
    for entry in root.iterdir():
        if entry == old or entry.name.startswith(".restore-") or entry.name in SKIP_DIRS:
            continue
        if entry.resolve() in keep:
            continue
        entry.rename(old / entry.name)
    if staged.is_dir():
        for entry in staged.iterdir():
            entry.rename(root / entry.name)
    shutil.rmtree(old, ignore_errors=True)


def restore_backup(archive_path: Path, *, force: bool = False, report: Report = _noop) -> Manifest:
    from django.core.management import call_command

    root = data_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=root))
    try:
        report("正在校验备份文件…")
        manifest = verify_archive(archive_path.resolve(), staging)
        if manifest.vendor != connection.vendor:
            raise BackupError(f"备份来自 {manifest.vendor} 数据库,当前配置的是 {connection.vendor},不能直接恢复。")
        newer = sorted(set(manifest.migrations) - code_migrations())
        if newer:
            raise BackupError("备份来自更新版本的 Sunshine(含本版本没有的数据库迁移:"
                              f"{', '.join(newer[:3])}),请先升级 Sunshine 再恢复。")
        if not force and database_has_data():
            raise BackupError("当前数据库已有数据(用户或农户)。恢复会覆盖这些数据;确认无误后加 --force 重新执行。")
        report("正在恢复数据库…")
        if manifest.vendor == "sqlite":
            _restore_sqlite(staging / DB_SQLITE)
        else:
            _restore_postgresql(staging / DB_PGDUMP)
        report("正在恢复数据目录…")
        _replace_data_dir(staging / DATA_PREFIX.rstrip("/"))
        if code_migrations() - set(applied_migrations()):
            report("备份早于当前版本,正在升级数据库…")
            call_command("migrate", interactive=False, verbosity=0)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
