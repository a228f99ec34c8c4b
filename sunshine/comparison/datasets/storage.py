"""Loads on disk: DATA_DIR/datasets/<name>/v<version>.parquet, written under a temporary name and moved into
place in the transaction that creates its DatasetLoad row, so that a load is either whole (file and row) or
absent. Versions count up per dataset without gaps: commits of one dataset are serialised by a lock held until
the transaction ends. Rows are written sealed (sunshine.comparison.datasets.sealing): ID numbers encrypted,
their keyed hashes beside them."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from sunshine.comparison.datasets.sealing import is_current, seal, stored_schema
from sunshine.comparison.models import DatasetLoad
from sunshine.core.models import User
from sunshine.engine.comparison.datasets import arrow_schema

logger = logging.getLogger(__name__)
DIRECTORY = "datasets"
COMMIT_ATTEMPTS = 10
ROW_GROUP_ROWS = 1 << 20
QUEUED_BATCHES = 2


def dataset_dir(name: str) -> Path:
    return Path(settings.DATA_DIR) / DIRECTORY / name


def load_path(load: DatasetLoad) -> Path:
    """The Parquet file of a load (schema arrow_schema(load.dataset))."""
    return Path(settings.DATA_DIR) / load.path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ParquetDraft:
    """A load's Parquet file being written; deleted on exit unless committed.

    Batches (in arrow_schema(name), with plain IDs) are sealed, compressed and written by a background thread
    while the next batch is validated; at most QUEUED_BATCHES wait, so memory stays bounded."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.schema = stored_schema(name)
        directory = dataset_dir(name)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f".draft-{uuid.uuid4().hex}.parquet"
        self.rows = 0
        self.closed = False
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._write_all, name=f"parquet-{name}", daemon=True)
        self._thread.start()

    def _write_all(self) -> None:
        # Ids are nearly all distinct: a dictionary for them would be built and thrown away on every page.
        plain = {"source_row", "id_number", "id_hash", "id_raw", "head_id_number", "head_id_hash"}
        try:
            with pq.ParquetWriter(self.path, self.schema, compression="zstd",
                                  use_dictionary=[n for n in self.schema.names if n not in plain]) as writer:
                while (table := self._queue.get()) is not None:
                    writer.write_table(seal(self.name, table).cast(self.schema), row_group_size=ROW_GROUP_ROWS)
        except BaseException as exc:  # reported to the caller by close()
            self._failure = exc
            while self._queue.get() is not None:  # let the producer finish
                pass

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        if not batch.num_rows:
            return
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        self._queue.put(table.cast(self.schema))
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file (an empty one of the schema when no row was written)."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def discard(self) -> None:
        with contextlib.suppress(BaseException):
            self.close()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def draft(name: str) -> Iterator[ParquetDraft]:
    """A ParquetDraft removed when the block ends (committed drafts have been moved away already)."""
    d = ParquetDraft(name)
    try:
        yield d
    finally:
        d.discard()


def _lock_dataset(name: str) -> None:
    """Serialise the commits of one dataset until the transaction ends, so that max(version) + 1 is free:
    an advisory lock on PostgreSQL; on SQLite a write (of nothing) takes the database's write lock."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sunshine.dataset.{name}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    else:
        DatasetLoad.objects.filter(pk=-1).update(rows=0)


def commit(d: ParquetDraft, *, actor: User | None, as_of: dt.date | None = None, hashed: bool, file_name: str,
           sha256: str, invalid_ids: int, rejected_rows: int = 0, note: str = "") -> DatasetLoad:
    """Move the finished draft to v<version>.parquet and create its DatasetLoad, in one transaction."""
    d.close()
    for _ in range(COMMIT_ATTEMPTS):
        moved: Path | None = None
        try:
            with transaction.atomic():
                _lock_dataset(d.name)
                last = (DatasetLoad.objects.filter(dataset=d.name).order_by("-version")
                        .values_list("version", flat=True).first())
                version = (last or 0) + 1
                final = dataset_dir(d.name) / f"v{version}.parquet"
                # Under the lock no other load of this dataset is between here and its commit: a file already
                # at this name was left by a load that died before its row was written, and is replaced.
                os.replace(d.path, final)
                moved = final
                load = DatasetLoad.objects.create(
                    dataset=d.name, version=version, as_of=as_of, hashed=hashed, file_name=file_name[:255],
                    file_sha256=sha256, path=final.relative_to(settings.DATA_DIR).as_posix(), rows=d.rows,
                    invalid_ids=invalid_ids, rejected_rows=rejected_rows, loaded_by=actor, note=note,
                )
        except IntegrityError:
            if moved is not None:
                os.replace(moved, d.path)
            continue  # a backend without the lock: another load took this version first
        except BaseException:
            if moved is not None:
                with contextlib.suppress(OSError):
                    os.replace(moved, d.path)  # the draft is then discarded by its owner
            raise
        write_sidecars(load)
        return load
    raise RuntimeError(f"could not commit a load of {d.name} after {COMMIT_ATTEMPTS} attempts")


def write_sidecars(load: DatasetLoad) -> bool:
    """Beside a new load's file, what makes an incremental comparison cost the change
    (sunshine.engine.comparison.versions): its keys and rows files and its diff against the previous version
    when that one is sealed under the current key (an older file's hashes are computed afresh by every run, so
    a diff of its stored ones would name other keys). Best effort: without them a run diffs the versions
    itself; a failure here never undoes the load. Setting SUNSHINE_DATASET_SIDECARS = False turns it off."""
    if not getattr(settings, "SUNSHINE_DATASET_SIDECARS", True):
        return False
    from sunshine.engine.comparison.versions import Sidecars, prepare

    path = load_path(load)
    previous = (DatasetLoad.objects.filter(dataset=load.dataset, version__lt=load.version)
                .order_by("-version").first())
    before = load_path(previous) if previous is not None else None
    if before is not None and not (before.is_file() and is_current(before, hashed=previous.hashed)):
        before = None
    try:
        prepare(path, stamp=file_sha256(path), previous=before)
    except Exception:  # noqa: BLE001 - the load stands; the run falls back to diffing
        logger.exception("sidecars of %s not written", path)
        Sidecars.of(path).remove()
        return False
    return True


def store_table(name: str, table: pa.Table, *, actor: User | None, as_of: dt.date | None = None,
                hashed: bool = False, file_name: str = "", note: str = "") -> DatasetLoad:
    """Store a table in the stored schema with plain IDs (the demo generator's datasets; derived columns may be
    left out) as the next version, sealed; file_sha256 is then that of the Parquet file written."""
    schema = arrow_schema(name)
    for f in schema:
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    table = table.select(schema.names).cast(schema)
    with draft(name) as d:
        d.write(table)
        d.close()
        return commit(d, actor=actor, as_of=as_of, hashed=hashed, file_name=file_name or f"{name}.parquet",
                      sha256=file_sha256(d.path), invalid_ids=table.column("id_hash" if hashed else "id_number")
                      .null_count, note=note)
