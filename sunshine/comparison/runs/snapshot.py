"""The frozen snapshot of a comparison run: the registry members of the year (``people``), the
probabilistic links of department rows without a valid ID (``links``) and a manifest naming the dataset
loads with the sha256 of their Parquet files.

Everything lives in DATA_DIR/comparison/runs/<run id>/. A re-run points at the same directory and reads the
same files, so it gives the same findings; the manifest is written last, so a directory without one is an
unfinished extraction and is built again.

No file holds a plain ID number (issue 12): people carry the database's keyed hash (Person.id_number_hash,
read as it is, nothing decrypted for matching) and the facts C-ID needs, derived in memory from the decrypted
IDs of the run's division only. Snapshots of format 1 (written before) held plain IDs; they are still read,
converted in memory (``people_source``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import Func, IntegerField, TextField
from django.db.models.functions import Cast

from sunshine.assessment.snapshot import fetch_arrow
from sunshine.comparison.datasets.sealing import readable
from sunshine.comparison.models import DatasetLoad
from sunshine.core.crypto import decrypt_many
from sunshine.engine.comparison.prepare import id_facts, people_table
from sunshine.engine.comparison.snapshot import ID_FACTS, LINKS, PEOPLE
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _EpochDays(Func):
    """A date as days since 1970-01-01: read as integers, without a Python date object per value."""

    output_field = IntegerField()
    template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"   # SQLite stores ISO text

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)


def extract_people(year: int, prefix: str = "", *, division: str | None = "") -> pa.Table:
    """Every member of ``year`` in households under ``prefix`` (default: the whole registry), whatever their
    status (the rules decide who is active). One query, no decryption for matching: id_hash is the database's
    keyed hash (NULL for an empty ID). The ID facts are derived from the IDs decrypted in memory for the
    members under ``division`` only — the rows C-ID reports on — and are false/NULL for the others; with
    ``division=None`` (a run without C-ID) nothing is decrypted."""
    fields = [f for f in PEOPLE if f.name not in ID_FACTS]
    qs = MemberYear.objects.filter(year=year)
    if prefix:
        qs = qs.filter(household_year__household__village__code__startswith=prefix)
    dates = [f.name for f in fields if f.type == pa.date32()]
    qs = qs.order_by("pk").annotate(**{f"_days_{d}": _EpochDays(_PEOPLE_PATHS[d]) for d in dates})
    paths = [f"_days_{f.name}" if f.name in dates else _PEOPLE_PATHS[f.name] for f in fields]
    loose = [pa.field(f.name, pa.int32()) if f.name in dates else f.with_nullable(True) for f in fields]
    if division is not None:
        # Cast: the stored (encrypted) text as it is; fetch_arrow would decrypt the field for every row.
        qs = qs.annotate(_sealed_id=Cast("person__id_number", TextField()))
        paths.append("_sealed_id")
        loose.append(pa.field("_sealed_id", pa.string()))
    table = fetch_arrow(qs.values_list(*paths), pa.schema(loose))
    for name in dates:
        table = table.set_column(table.schema.get_field_index(name), name, table.column(name).cast(pa.date32()))
    hashes = table.column("id_hash")
    table = table.set_column(table.schema.get_field_index("id_hash"), "id_hash",
                             pc.if_else(pc.equal(hashes, ""), pa.scalar(None, pa.string()), hashes))
    if division is None:
        facts = {name: pa.nulls(table.num_rows, PEOPLE.field(name).type) for name in ID_FACTS}
        facts["id_well_formed"] = pa.array(np.zeros(table.num_rows, dtype=bool))
    else:
        facts = _facts(table.column("_sealed_id").combine_chunks(), table.column("village_code").combine_chunks(),
                       division)
        table = table.drop_columns(["_sealed_id"])
    for name in ID_FACTS:
        table = table.append_column(PEOPLE.field(name), facts[name])
    return table.cast(PEOPLE)


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


def _facts(sealed: pa.Array, villages: pa.Array, division: str) -> dict[str, pa.Array]:
    """ID_FACTS of the members in ``division`` (all when empty), from their decrypted IDs."""
    n = len(sealed)
    inside = (np.ones(n, dtype=bool) if not division else
              pc.fill_null(pc.starts_with(villages, division), False).to_numpy(zero_copy_only=False))
    where = np.flatnonzero(inside)
    chosen = sealed if len(where) == n else sealed.take(pa.array(where, pa.int64()))
    plain = pa.array(decrypt_many(chosen.to_pylist()), pa.string())
    found = id_facts(plain)
    del plain
    if len(where) == n:
        return found
    index = np.full(n, -1, dtype=np.int64)
    index[where] = np.arange(len(where), dtype=np.int64)
    spread = pa.array(index, mask=index < 0)
    facts = {name: values.take(spread) for name, values in found.items()}
    facts["id_well_formed"] = pc.fill_null(facts["id_well_formed"], False)
    return facts


def _unlinked_rows(load: DatasetLoad) -> pa.Table:
    """Rows of a load with neither a valid ID nor a hash: only they need probabilistic matching. Read with a
    filter so a large load is not read whole."""
    dataset = pads.dataset(data_path(load.path), format="parquet")
    return dataset.to_table(filter=pc.field("id_number").is_null() & pc.field("id_hash").is_null())


def link_loads(loads: Sequence[DatasetLoad], people: pa.Table, *, threshold: float, engine: str,
               spark_session: Any = None) -> pa.Table:
    """LINKS for the rows of every load that have no ID (sunshine.engine.linkage), one model over them all."""
    from sunshine.engine.linkage import link, unmatched_rows

    parts = [unmatched_rows(load.dataset, _unlinked_rows(load)) for load in loads]
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


def _load_entry(load: DatasetLoad) -> dict[str, Any]:
    path = data_path(load.path)
    if not path.is_file():
        raise SnapshotChanged(f"{load} 的数据文件不存在,请重新导入该部门数据")
    return {"id": load.pk, "dataset": load.dataset, "version": load.version, "path": load.path,
            "sha256": sha256_file(path), "hashed": load.hashed, "rows": load.rows}


def build(directory: Path, *, year: int, prefix: str, loads: Sequence[DatasetLoad], min_probability: float,
          engine: str, header: dict[str, Any], progress: Progress, spark_session: Any = None) -> Snapshot:
    """Extract and freeze. ``header`` is written into the manifest as it is (rules, parameters, standard)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)
    entries = [_load_entry(load) for load in sorted(loads, key=lambda x: x.dataset)]
    progress(5, "提取建档立卡数据")
    # The whole registry of the year, not only the run's division: a person registered in another county is
    # not "missing from the registry" (C-DIBAO-MISSING), a duplicate may cross the boundary (C-DUP), and a row
    # without an ID must be able to link to whoever it really is. The engine reports on the division only.
    people = extract_people(year, division=prefix if "C-ID" in header.get("rules", ()) else None)
    pq.write_table(people, directory / PEOPLE_FILE)
    progress(20, "概率匹配无身份证号的部门数据")
    links = link_loads(loads, people, threshold=min_probability, engine=engine, spark_session=spark_session)
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
