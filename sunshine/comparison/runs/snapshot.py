"""The frozen snapshot of a comparison run: the registry members of the year (``people``), the
probabilistic links of department rows without a valid ID (``links``) and a manifest naming the dataset
loads with the sha256 of their Parquet files.

Everything lives in DATA_DIR/comparison/runs/<run id>/. A re-run points at the same directory and reads the
same files, so it gives the same findings; the manifest is written last, so a directory without one is an
unfinished extraction and is built again.

No file holds a plain ID number (issue 12): people carry the database's keyed hash (Person.id_number_hash,
read as it is, nothing decrypted for matching) and the facts C-ID needs, for the run's division only, read
from the codes stored beside each ID (Person.id_facts). Snapshots of format 1 (written before) held plain IDs;
they are still read, converted in memory (``people_source``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast

from sunshine.assessment.snapshot import fetch_arrow
from sunshine.comparison.datasets.sealing import readable
from sunshine.comparison.models import DatasetLoad
from sunshine.core.bulk import any_of
from sunshine.core.crypto import decrypt_many
from sunshine.engine.comparison.prepare import facts_from_codes, id_fact_codes, people_table
from sunshine.engine.comparison.snapshot import ID_FACTS, LINKS, PEOPLE
from sunshine.engine.comparison.versions import read_unlinked
from sunshine.registry import year_snapshot
from sunshine.registry.models import MemberYear

RUNS_DIR = Path("comparison") / "runs"
MANIFEST, PEOPLE_FILE, LINKS_FILE = "manifest.json", "people.parquet", "links.parquet"
FORMAT = 2   # 1: people.parquet with plain id_number (read through people_source)
Progress = Callable[[int, str], None]

# PEOPLE columns in order (but the ID facts), as ORM paths from MemberYear.
_PEOPLE_PATHS = {
    "member_key": "pk", "person_key": "person_id", "household_key": "household_year__household_id",
    "household_no": "household_year__household__household_no", "year": "year",
    "village_code": "household_year__household__village_id", "household_status": "household_year__status",
    "housing_grade": "household_year__housing_grade", "renovation_status": "household_year__renovation_status",
    "name": "person__name", "id_hash": "person__id_number_hash", "gender": "person__gender",
    "birth_date": "person__birth_date", "relation": "relation", "education_level": "education_level",
    "school_status": "school_status", "health": "health", "disability_level": "disability_level",
    "receives_dibao": "receives_dibao", "member_status": "member_status", "change_date": "change_date",
}


class SnapshotChanged(Exception):
    """A frozen snapshot no longer matches its files or loads; the message is Chinese and names no ID."""


def data_path(relative: str | Path) -> Path:
    return Path(settings.DATA_DIR) / relative


def run_directory(run_id: int) -> Path:
    return data_path(RUNS_DIR / str(run_id))


def relative_directory(run_id: int) -> str:
    return (RUNS_DIR / str(run_id)).as_posix()


def new_directory(run_id: int) -> str:
    """The directory of a run just created, emptied of anything already there: files under a new run's key
    were left by a run this database no longer has (the database was restored or created again beside the
    same data directory), and a re-run would take them for its own frozen snapshot."""
    shutil.rmtree(run_directory(run_id), ignore_errors=True)
    return relative_directory(run_id)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def extract_people(year: int, prefix: str = "", *, division: str | None = "") -> pa.Table:
    """Every member of ``year`` in households under ``prefix`` (default: the whole registry), whatever their
    status (the rules decide who is active), in member order. From the year's snapshot
    (sunshine.registry.year_snapshot, shared with the other runs of the year); no decryption for matching: id_hash
    is the database's keyed hash (NULL for an empty ID). The ID facts are read from the codes stored beside each
    ID (Person.id_facts) for the members under ``division`` only — the rows C-ID reports on — and are false/NULL
    for the others; a person whose code was never derived has their ID decrypted in memory here. With
    ``division=None`` (a run without C-ID) there are no facts."""
    tables = year_snapshot.year_tables(year, prefix)
    base = tables.members
    table = pa.Table.from_arrays([base.column(f.name) for f in PEOPLE if f.name not in ID_FACTS],
                                 schema=pa.schema([f for f in PEOPLE if f.name not in ID_FACTS]))
    n = table.num_rows
    if division is None:
        facts = {name: pa.nulls(n, PEOPLE.field(name).type) for name in ID_FACTS}
        facts["id_well_formed"] = pa.array(np.zeros(n, dtype=bool))
    else:
        codes = base.column("id_facts").combine_chunks()
        inside = pc.starts_with(base.column("village_code").combine_chunks(), division) if division else None
        missing = pc.is_null(codes) if inside is None else pc.and_(pc.is_null(codes), inside)
        if pc.any(missing).as_py():
            keys = base.column("member_key").combine_chunks().filter(missing)
            derived = decrypted_fact_codes(year, keys)
            where = year_snapshot.positions(base.column("member_key").combine_chunks(),
                                            derived.column("member_key").combine_chunks())
            fill = derived.column("id_facts").take(pa.array(where, mask=where < 0))
            codes = pc.coalesce(codes, fill)
        facts = facts_from_codes(codes)
        if inside is not None:
            index = np.arange(n, dtype=np.int64)
            index[~inside.to_numpy(zero_copy_only=False)] = -1
            spread = pa.array(index, mask=index < 0)
            facts = {name: column.take(spread) for name, column in facts.items()}
            facts["id_well_formed"] = pc.fill_null(facts["id_well_formed"], False)
    for name in ID_FACTS:
        table = table.append_column(PEOPLE.field(name), facts[name])
    return table.cast(PEOPLE)


def decrypted_fact_codes(year: int, member_keys: pa.Array | None = None) -> pa.Table:
    """member_key and the ID fact code of the members of ``year`` (those of ``member_keys`` only, when given),
    from their IDs decrypted in memory (the sealed text read as it is, then opened once per value): for persons
    whose stored code was never derived, and as the benchmark's baseline."""
    qs = MemberYear.objects.filter(year=year)
    if member_keys is not None:
        qs = qs.filter(pk__in=any_of(member_keys.to_pylist(), "int"))
    # Cast: the stored (encrypted) text; fetch_arrow would decrypt the field itself, value by value in a list.
    qs = qs.order_by("pk").annotate(_sealed_id=Cast("person__id_number", TextField()))
    read = fetch_arrow(qs.values_list("pk", "_sealed_id"),
                       pa.schema([pa.field("member_key", pa.int64()), pa.field("sealed", pa.string())]))
    plain = pa.array(decrypt_many(read.column("sealed").to_pylist()), pa.string())
    return pa.table({"member_key": read.column("member_key"), "id_facts": id_fact_codes(plain)})


def plain_people(year: int, prefix: str = "") -> pa.Table:
    """The members as extract_people has them but with the plain ``id_number`` instead of the hash and the ID
    facts, decrypted in memory: for the demo generator, which derives department files from the registry.
    Never written to a file."""
    fields = [pa.field("id_number", pa.string()) if f.name == "id_hash" else f.with_nullable(True)
              for f in PEOPLE if f.name not in ID_FACTS]
    paths = _PEOPLE_PATHS | {"id_number": "person__id_number"}
    qs = MemberYear.objects.filter(year=year)
    if prefix:
        qs = qs.filter(household_year__household__village__code__startswith=prefix)
    return fetch_arrow(qs.order_by("pk").values_list(*(paths[f.name] for f in fields)), pa.schema(fields))


def _unlinked_rows(load: DatasetLoad, sha256: str | None = None) -> pa.Table:
    """Rows of a load with neither a valid ID nor a hash: only they need probabilistic matching. From the
    load's unlinked sidecar when it is that of the file's content (``sha256``), else read with a filter."""
    path = data_path(load.path)
    if sha256 is not None and (kept := read_unlinked(path, stamp=sha256)) is not None:
        return kept
    dataset = pads.dataset(path, format="parquet")
    return dataset.to_table(filter=pc.field("id_number").is_null() & pc.field("id_hash").is_null())


def link_loads(loads: Sequence[DatasetLoad], people: pa.Table, *, threshold: float, engine: str,
               spark_session: Any = None, stamps: dict[int, str] | None = None) -> pa.Table:
    """LINKS for the rows of every load that have no ID (sunshine.engine.linkage), one model over them all.
    ``stamps``: the sha256 of each load's file by load id (the snapshot's), to use their sidecars."""
    from sunshine.engine.linkage import link, unmatched_rows

    parts = [unmatched_rows(load.dataset, _unlinked_rows(load, (stamps or {}).get(load.pk))) for load in loads]
    department = pa.concat_tables(parts) if parts else None
    if department is None or department.num_rows == 0 or people.num_rows == 0:
        return LINKS.empty_table()
    links = link(department, people, threshold=threshold, engine=engine, spark_session=spark_session, seed=1)
    return links.select(LINKS.names).cast(LINKS)


@dataclass(frozen=True)
class Snapshot:
    directory: Path
    manifest: dict[str, Any]

    @property
    def people_path(self) -> Path:
        return self.directory / PEOPLE_FILE

    @property
    def links_path(self) -> Path:
        return self.directory / LINKS_FILE

    def dataset_paths(self) -> dict[str, Path]:
        return {entry["dataset"]: data_path(entry["path"]) for entry in self.manifest["loads"]}

    def hashed_datasets(self) -> set[str]:
        return {entry["dataset"] for entry in self.manifest["loads"] if entry["hashed"]}

    def people_source(self) -> Path | pa.Table:
        """What the engine registers as ``people``: the file, or a format-1 file (plain IDs) converted in
        memory — keyed hashes and ID facts from its numbers, the numbers left out."""
        if self.manifest.get("format", 1) >= FORMAT:
            return self.people_path
        return people_table(pq.read_table(self.people_path), settings.SUNSHINE_ID_HASH_KEY)

    def dataset_sources(self) -> dict[str, Path | pa.Table]:
        """What the engine registers as ``ds_<name>``: each load's file, or the load in memory with its
        hashes computed now when it was stored before encryption or under another hash key (sealing)."""
        hashed = self.hashed_datasets()
        return {name: readable(name, path, hashed=name in hashed) for name, path in self.dataset_paths().items()}


def _check_files(loads: Sequence[DatasetLoad]) -> None:
    for load in loads:
        if not data_path(load.path).is_file():
            raise SnapshotChanged(f"{load} 的数据文件不存在,请重新导入该部门数据")


def _load_entry(load: DatasetLoad) -> dict[str, Any]:
    return {"id": load.pk, "dataset": load.dataset, "version": load.version, "path": load.path,
            "sha256": sha256_file(data_path(load.path)), "hashed": load.hashed, "rows": load.rows}


def build(directory: Path, *, year: int, prefix: str, loads: Sequence[DatasetLoad], min_probability: float,
          engine: str, header: dict[str, Any], progress: Progress, spark_session: Any = None) -> Snapshot:
    """Extract and freeze. ``header`` is written into the manifest as it is (rules, parameters, standard)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)
    ordered = sorted(loads, key=lambda x: x.dataset)
    _check_files(ordered)
    progress(5, "提取建档立卡数据")
    # The loads' files (a province's 4.4 GB) are hashed in a thread while the registry is read: hashlib lets go
    # of the interpreter while it hashes, and the linkage below needs the hashes (to trust the unlinked sidecars).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-sha256") as pool:
        hashing = pool.submit(lambda: [_load_entry(load) for load in ordered])
        # The whole registry of the year, not only the run's division: a person registered in another county is
        # not "missing from the registry" (C-DIBAO-MISSING), a duplicate may cross the boundary (C-DUP), and a
        # row without an ID must be able to link to whoever it really is. The engine reports on the division only.
        people = extract_people(year, division=prefix if "C-ID" in header.get("rules", ()) else None)
        pq.write_table(people, directory / PEOPLE_FILE)
        entries = hashing.result()
    progress(20, "概率匹配无身份证号的部门数据")
    links = link_loads(loads, people, threshold=min_probability, engine=engine, spark_session=spark_session,
                       stamps={entry["id"]: entry["sha256"] for entry in entries})
    pq.write_table(links, directory / LINKS_FILE)
    manifest = {
        "format": FORMAT, **header, "year": year, "division_prefix": prefix, "min_probability": min_probability,
        "loads": entries,
        "people": {"file": PEOPLE_FILE, "rows": people.num_rows, "sha256": sha256_file(directory / PEOPLE_FILE)},
        "links": {"file": LINKS_FILE, "rows": links.num_rows, "sha256": sha256_file(directory / LINKS_FILE)},
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(directory / MANIFEST)
    return Snapshot(directory, manifest)


def open_frozen(directory: Path, loads: Sequence[DatasetLoad]) -> Snapshot | None:
    """The finished snapshot in ``directory``, checked against its files and the run's loads; None when none
    was finished there. Raises SnapshotChanged when anything it froze has changed since."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if sorted(entry["id"] for entry in manifest["loads"]) != sorted(load.pk for load in loads):
        raise SnapshotChanged("比对所用的部门数据批次与快照记录不一致")
    for entry in manifest["loads"]:
        path = data_path(entry["path"])
        # earlier_sha256: the same load sealed again under new keys (sunshine.comparison.datasets.upkeep)
        if not path.is_file() or sha256_file(path) not in (entry["sha256"], *entry.get("earlier_sha256", ())):
            raise SnapshotChanged(f"部门数据文件已变更或缺失: {entry['dataset']} 第{entry['version']}版")
    for part in ("people", "links"):
        path = directory / manifest[part]["file"]
        if not path.is_file() or sha256_file(path) != manifest[part]["sha256"]:
            raise SnapshotChanged("比对快照文件已变更或缺失,无法按原快照重新比对")
    return Snapshot(directory, manifest)
