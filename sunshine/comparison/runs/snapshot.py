"""The frozen snapshot of a comparison run: the registry members of the year (``people``), the
probabilistic links of department rows without a valid ID (``links``) and a manifest naming the dataset
loads with the sha256 of their Parquet files.

Everything lives in DATA_DIR/comparison/runs/<run id>/. A re-run points at the same directory and reads the
same files, so it gives the same findings; the manifest is written last, so a directory without one is an
unfinished extraction and is built again."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from django.conf import settings

from sunshine.assessment.snapshot import fetch_arrow
from sunshine.comparison.models import DatasetLoad
from sunshine.engine.comparison.snapshot import LINKS, PEOPLE
from sunshine.registry.models import MemberYear

RUNS_DIR = Path("comparison") / "runs"
MANIFEST, PEOPLE_FILE, LINKS_FILE = "manifest.json", "people.parquet", "links.parquet"
FORMAT = 1
Progress = Callable[[int, str], None]

# PEOPLE columns in order, as ORM paths from MemberYear; id_hash is computed here, not stored in the registry.
_PEOPLE_PATHS = {
    "member_key": "pk", "person_key": "person_id", "household_key": "household_year__household_id",
    "household_no": "household_year__household__household_no", "year": "year",
    "village_code": "household_year__household__village_id", "household_status": "household_year__status",
    "housing_grade": "household_year__housing_grade", "renovation_status": "household_year__renovation_status",
    "name": "person__name", "id_number": "person__id_number", "gender": "person__gender",
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


def extract_people(year: int, prefix: str = "", *, hash_key: str | None = None) -> pa.Table:
    """Every member of ``year`` in households under ``prefix`` (default: the whole registry), whatever their
    status (the rules decide who is active). One query; ``hash_key`` fills id_hash for runs that use a
    hashed load."""
    fields = [f for f in PEOPLE if f.name != "id_hash"]
    qs = MemberYear.objects.filter(year=year)
    if prefix:
        qs = qs.filter(household_year__household__village__code__startswith=prefix)
    qs = (qs.order_by("pk").values_list(*(_PEOPLE_PATHS[f.name] for f in fields)))
    table = fetch_arrow(qs, pa.schema(fields))
    ids = table.column("id_number").combine_chunks()
    if hash_key is None:
        hashes = pa.nulls(table.num_rows, pa.string())
    else:
        from sunshine.engine.comparison.idhash import hash_ids, key_bytes

        hashes = hash_ids(ids, key_bytes(hash_key))
    return table.add_column(PEOPLE.get_field_index("id_hash"), PEOPLE.field("id_hash"), hashes).cast(PEOPLE)


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
    hashed = any(load.hashed for load in loads)
    # The whole registry of the year, not only the run's division: a person registered in another county is
    # not "missing from the registry" (C-DIBAO-MISSING), a duplicate may cross the boundary (C-DUP), and a row
    # without an ID must be able to link to whoever it really is. The engine reports on the division only.
    people = extract_people(year, hash_key=settings.SUNSHINE_ID_HASH_KEY if hashed else None)
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
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise SnapshotChanged(f"部门数据文件已变更或缺失: {entry['dataset']} 第{entry['version']}版")
    for part in ("people", "links"):
        path = directory / manifest[part]["file"]
        if not path.is_file() or sha256_file(path) != manifest[part]["sha256"]:
            raise SnapshotChanged("比对快照文件已变更或缺失,无法按原快照重新比对")
    return Snapshot(directory, manifest)
