"""One registry snapshot per year, extracted once and reused by that year's runs (assessment, comparison,
monitoring) until the year's registry data changes.

A year's snapshot is three Arrow tables read straight out of the database (sunshine.core.arrow_extract):
``households`` (the engine's HOUSEHOLDS), ``villages`` (VILLAGES) and ``members``, a superset of what the runs
read of a member (MEMBERS_BASE: the assessment's members, the monitoring's id_hash, the comparison's people but for
the division mask of the ID facts). No plain or encrypted ID number is in them: the members carry the code of
their ID's facts (Person.id_facts), from which the comparison reads what C-ID checks.

The cache is DATA_DIR/snapshots/registry/<year>/<stamp>/<scope>/ (scope: the division prefix, ``all`` for the
whole registry) with a manifest written last. ``stamp`` is the registry change stamp of the year
(``change_stamp``): row counts, highest keys and latest ``updated_at`` of the year's HouseholdYear, MemberYear and
VillageYear and of all Household and Person rows (a person's name or a household's village belongs to every year),
and the keyed-hash key. Every write path sets ``updated_at`` (ORM saves: auto_now; the importer and the demo
generator: their own ``now``), a delete lowers a count, and an insert raises a highest key, so any edit, import or
delete gives a new stamp, and the old snapshot is never read again (and is removed when the new one is stored).

A snapshot is taken from and stored in the cache only in autocommit (not inside ``transaction.atomic``): data read
inside a transaction may be rolled back, and would then be cached under a stamp that can come round again. A
cached snapshot of a wider scope serves a narrower one (filtered by village code in memory)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Count, F, Max, QuerySet
from django.db.models.functions import Cast, Round

from sunshine.core.arrow_extract import fetch_arrow_many
from sunshine.engine import snapshot as s
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear

FORMAT = 2   # 2: members carry id_facts
CACHE_ENV = "SUNSHINE_SNAPSHOT_CACHE"   # "0" switches the cache off (every run extracts)
MEMORY_ENV = "SUNSHINE_SNAPSHOT_MEMORY_MB"   # tables kept in the process after reading; "0": none
MEMORY_MB = 1024   # a province's year (2.3 M members) is about 740 MB in memory
ROOT = Path("snapshots") / "registry"
MANIFEST = "manifest.json"
TABLES = ("households", "members", "villages")

# Every member column any run reads, but the ID number (MEMBERS' id_number is left empty by the runs that read
# from here). Ordered by member_key, so that the comparison's people are in a stable order.
MEMBERS_BASE = pa.schema([
    pa.field("member_key", pa.int64(), nullable=False),
    pa.field("person_key", pa.int64(), nullable=False),
    pa.field("household_key", pa.int64(), nullable=False),
    pa.field("household_no", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("village_code", pa.string(), nullable=False),
    pa.field("household_status", pa.string()),
    pa.field("housing_grade", pa.string()),
    pa.field("renovation_status", pa.string()),
    pa.field("name", pa.string()),
    pa.field("id_hash", pa.string()),
    pa.field("id_facts", pa.string()),   # NULL: never derived (sunshine.engine.comparison.prepare.id_fact_codes)
    pa.field("gender", pa.string()),
    pa.field("birth_date", pa.date32()),
    pa.field("relation", pa.string()),
    pa.field("education_level", pa.string()),
    pa.field("school_status", pa.string()),
    pa.field("medical_insured", pa.bool_()),
    pa.field("receives_dibao", pa.bool_()),
    pa.field("member_status", pa.string()),
    pa.field("health", pa.string()),
    pa.field("disability_level", pa.string()),
    pa.field("labour_ability", pa.string()),
    pa.field("change_date", pa.date32()),
])
# A member's columns by the table they are read from (name in MEMBERS_BASE → path on that table): the member-year
# itself, its person, and its household-year with the household's number and village. Three queries, joined here
# by key (_joined_members): the one query joining the four tables took 15 s of server work and transfer for a
# province's year, the three in parallel 7 s.
_PERSON_COLUMNS = {"name": "name", "id_hash": "id_number_hash", "id_facts": "id_facts", "gender": "gender",
                   "birth_date": "birth_date"}
_HOUSEHOLD_YEAR_COLUMNS = {"household_key": "household_id", "household_no": "household__household_no",
                           "village_code": "household__village_id", "household_status": "status",
                           "housing_grade": "housing_grade", "renovation_status": "renovation_status"}
_MEMBER_YEAR_COLUMNS = {"member_key": "pk", "person_key": "person_id"} | {
    f.name: f.name for f in MEMBERS_BASE
    if f.name not in ("member_key", "person_key", *_PERSON_COLUMNS, *_HOUSEHOLD_YEAR_COLUMNS)}
_HOUSEHOLD_YEAR_KEY = pa.field("household_year_key", pa.int64(), nullable=False)
MEMBER_YEARS = pa.schema([*(MEMBERS_BASE.field(n) for n in _MEMBER_YEAR_COLUMNS), _HOUSEHOLD_YEAR_KEY])
PEOPLE = pa.schema([MEMBERS_BASE.field("person_key"), *(MEMBERS_BASE.field(n) for n in _PERSON_COLUMNS)])
HOUSEHOLD_YEARS = pa.schema([_HOUSEHOLD_YEAR_KEY, *(MEMBERS_BASE.field(n) for n in _HOUSEHOLD_YEAR_COLUMNS)])
ATTEMPTS = 3   # reads of a year whose tables did not fit together (written between the queries) before giving up


@dataclass(frozen=True)
class YearTables:
    year: int
    prefix: str
    households: pa.Table   # sunshine.engine.snapshot.HOUSEHOLDS
    members: pa.Table      # MEMBERS_BASE
    villages: pa.Table     # sunshine.engine.snapshot.VILLAGES
    stamp: str = ""        # "" when not cached (read inside a transaction, or the cache is off)
    from_cache: bool = False


# The change stamp ----------------------------------------------------------------------------------------------

def change_stamp(year: int) -> str:
    """A short digest that changes whenever the registry data of ``year`` changes (see the module docstring).
    Eight aggregate queries on indexed or primary-key columns; no row is read into Python."""
    parts: list[object] = [FORMAT, hashlib.sha256(str(settings.SUNSHINE_ID_HASH_KEY).encode()).hexdigest()[:12]]
    stats = {"n": Count("pk"), "k": Max("pk"), "u": Max("updated_at")}
    for model in (HouseholdYear, MemberYear, VillageYear):
        parts.append(sorted(model.objects.filter(year=year).order_by().aggregate(**stats).items()))
    for model in (Household, Person):
        parts.append(sorted(model.objects.order_by().aggregate(**stats).items()))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


# Extraction ----------------------------------------------------------------------------------------------------

def _cents(field_name: str) -> Cast:
    return Cast(Round(F(field_name) * 100), BigIntegerField())


Query = tuple[QuerySet, pa.Schema]


def households_query(year: int, prefix: str) -> Query:
    money = [f.name for f in s.HOUSEHOLDS if f.type == s.MONEY]
    qs = HouseholdYear.objects.filter(year=year)
    if prefix:  # a filter on "" would still join the divisions
        qs = qs.filter(household__village__code__startswith=prefix)
    qs = (qs.order_by("household_id")
          .annotate(**{f"{m}_fen": _cents(m) for m in money})
          .values_list("household_id", "household__household_no", "year", "household__village_id", "status",
                       *(f"{m}_fen" for m in money), "food_clothing_secure", "water_safe", "housing_grade",
                       "renovation_status"))
    return qs, s.HOUSEHOLDS


def villages_query(year: int, prefix: str) -> Query:
    qs = VillageYear.objects.filter(year=year)
    if prefix:
        qs = qs.filter(village__code__startswith=prefix)
    qs = (qs.order_by("village_id")
          .annotate(income_fen=_cents("collective_income"))
          .values_list("village_id", "year", "weak_village", "income_fen", "two_lane_road", "clinic_ok"))
    return qs, s.VILLAGES


def member_queries(year: int, prefix: str) -> list[Query]:
    """The member-years (by key), their people and their household-years, joined by ``_joined_members``."""
    member_years = MemberYear.objects.filter(year=year)
    household_years = HouseholdYear.objects.filter(year=year)
    people = Person.objects.all()
    if prefix:
        member_years = member_years.filter(household_year__household__village__code__startswith=prefix)
        household_years = household_years.filter(household__village__code__startswith=prefix)
        people = people.filter(pk__in=member_years.order_by().values("person_id"))
    # The whole registry: every person, rather than a semi-join with the year's member-years that cost the server
    # more (6.1 s against 2.2 s a province) than the few people outside the year cost the reader.
    return [
        (member_years.order_by("pk").values_list(*_MEMBER_YEAR_COLUMNS.values(), "household_year_id"), MEMBER_YEARS),
        (people.order_by().values_list("pk", *_PERSON_COLUMNS.values()), PEOPLE),
        (household_years.order_by().values_list("pk", *_HOUSEHOLD_YEAR_COLUMNS.values()), HOUSEHOLD_YEARS),
    ]


def _joined_members(member_years: pa.Table, people: pa.Table, household_years: pa.Table) -> pa.Table | None:
    """MEMBERS_BASE in member-year order; None when a member-year's person or household-year is not among those
    read (written between the queries)."""
    person_at = positions(member_years.column("person_key"), people.column("person_key"))
    household_year_at = positions(member_years.column("household_year_key"),
                                  household_years.column("household_year_key"))
    if (person_at < 0).any() or (household_year_at < 0).any():
        return None

    def column(name: str) -> pa.ChunkedArray:
        if name in _PERSON_COLUMNS:
            return people.column(name).take(person_at)
        if name in _HOUSEHOLD_YEAR_COLUMNS:
            return household_years.column(name).take(household_year_at)
        return member_years.column(name)

    return pa.Table.from_arrays([column(f.name) for f in MEMBERS_BASE], schema=MEMBERS_BASE)


def _extract(year: int, prefix: str) -> dict[str, pa.Table]:
    """The year's three tables, read by five queries at once (sunshine.core.arrow_extract.fetch_arrow_many)."""
    for _attempt in range(ATTEMPTS):
        households, villages, *parts = fetch_arrow_many(
            [households_query(year, prefix), villages_query(year, prefix), *member_queries(year, prefix)])
        members = _joined_members(*parts)
        if members is not None:
            return {"households": households, "members": members, "villages": villages}
    raise RuntimeError(f"the registry of {year} was written during each of {ATTEMPTS} reads; try again")


# The cache -----------------------------------------------------------------------------------------------------

def cache_enabled() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip() not in ("0", "false", "no", "off")


def cacheable() -> bool:
    """Whether this connection may read from and write to the cache now (autocommit, cache on)."""
    return cache_enabled() and not connection.in_atomic_block


def year_directory(year: int) -> Path:
    return Path(settings.DATA_DIR) / ROOT / str(int(year))


def _scope_name(prefix: str) -> str:
    return prefix or "all"


def _find(year: int, stamp: str, prefix: str) -> tuple[Path, str] | None:
    """The finished entry of ``stamp`` whose scope covers ``prefix`` most narrowly, and its prefix."""
    directory = year_directory(year) / stamp
    best: tuple[Path, str] | None = None
    if not directory.is_dir():
        return None
    for entry in directory.iterdir():
        scope = "" if entry.name == "all" else entry.name
        if prefix.startswith(scope) and (entry / MANIFEST).is_file() and (best is None or len(scope) > len(best[1])):
            best = (entry, scope)
    return best


# The process keeps the tables it last read or stored, by file (whose path names the stamp), so that the runs of a
# year in one process (assessment, comparison, monitoring) read the Parquet files once: 1.5 s a province's year.
# Arrow tables are immutable, so sharing them is safe; the oldest go first when over SUNSHINE_SNAPSHOT_MEMORY_MB.
_memory: OrderedDict[str, pa.Table] = OrderedDict()
_memory_lock = threading.Lock()


def memory_limit() -> int:
    """Bytes of tables the process may keep (SUNSHINE_SNAPSHOT_MEMORY_MB, default MEMORY_MB)."""
    try:
        return max(int(os.environ.get(MEMORY_ENV, MEMORY_MB)), 0) * 1024 * 1024
    except ValueError:
        return MEMORY_MB * 1024 * 1024


def _remember(path: Path, table: pa.Table) -> None:
    limit = memory_limit()
    with _memory_lock:
        _memory.pop(str(path), None)
        if not limit or table.nbytes > limit:
            return
        _memory[str(path)] = table
        while sum(t.nbytes for t in _memory.values()) > limit:
            _memory.popitem(last=False)


def _read_table(path: Path) -> pa.Table:
    """A cached file's table, from the process's memory when it was read or stored here before."""
    with _memory_lock:
        table = _memory.get(str(path))
        if table is not None:
            _memory.move_to_end(str(path))
            return table
    table = pq.read_table(path)
    _remember(path, table)
    return table


def forget_memory() -> None:
    with _memory_lock:
        _memory.clear()


def _read(entry: Path) -> dict[str, pa.Table] | None:
    try:
        return {name: _read_table(entry / f"{name}.parquet") for name in TABLES}
    except (FileNotFoundError, OSError):   # removed by a newer snapshot meanwhile: extract again
        return None


def _store(year: int, stamp: str, prefix: str, tables: dict[str, pa.Table]) -> None:
    """Write the entry beside its final place and move it there (readers never see half an entry), then remove the
    year's entries of other stamps: their data has changed since."""
    final = year_directory(year) / stamp / _scope_name(prefix)
    if (final / MANIFEST).is_file():
        return
    work = final.parent / f".{final.name}.{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    for name, table in tables.items():
        pq.write_table(table, work / f"{name}.parquet")
    (work / MANIFEST).write_text(json.dumps({"format": FORMAT, "year": year, "prefix": prefix, "stamp": stamp,
                                             "rows": {n: t.num_rows for n, t in tables.items()}}), encoding="utf-8")
    try:
        work.rename(final)
    except OSError:   # another process stored the same entry first
        shutil.rmtree(work, ignore_errors=True)
    for name, table in tables.items():
        _remember(final / f"{name}.parquet", table)
    for other in year_directory(year).iterdir():
        if other.name != stamp:
            shutil.rmtree(other, ignore_errors=True)
            _forget_under(other)


def _forget_under(directory: Path) -> None:
    with _memory_lock:
        for key in [k for k in _memory if Path(k).is_relative_to(directory)]:
            del _memory[key]


def _narrow(tables: dict[str, pa.Table], wide: str, prefix: str) -> dict[str, pa.Table]:
    if prefix == wide:
        return tables
    out = {}
    for name, table in tables.items():
        column = "division_code" if name == "villages" else "village_code"
        inside = pc.starts_with(table.column(column), prefix)
        # the province's own prefix covers the whole registry: no copy of 2.3 M rows to keep them all
        out[name] = table if pc.all(inside).as_py() is not False and inside.null_count == 0 else table.filter(inside)
    return out


def year_tables(year: int, prefix: str = "") -> YearTables:
    """The registry of ``year`` under ``prefix`` ("" the whole registry), from the cache when its stamp is current."""
    if not cacheable():
        return YearTables(year, prefix, **_extract(year, prefix))
    stamp = change_stamp(year)
    found = _find(year, stamp, prefix)
    if found is not None and (tables := _read(found[0])) is not None:
        return YearTables(year, prefix, **_narrow(tables, found[1], prefix), stamp=stamp, from_cache=True)
    tables = _extract(year, prefix)
    if change_stamp(year) == stamp:   # nothing changed while we read: the tables are those of the stamp
        _store(year, stamp, prefix, tables)
    return YearTables(year, prefix, **tables, stamp=stamp)


# Helpers for the runs ---------------------------------------------------------------------------------------------

def positions(keys: pa.Array | pa.ChunkedArray, wanted: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """For each of ``keys``, its index in ``wanted`` or -1 (both int64 without nulls, ``wanted`` unique)."""
    wanted_np = np.asarray(wanted.to_numpy(), dtype=np.int64)
    keys_np = np.asarray(keys.to_numpy(), dtype=np.int64)
    if len(wanted_np) == 0:
        return np.full(len(keys_np), -1, np.int64)
    low, high = int(wanted_np.min()), int(wanted_np.max())
    if high - low > 4 * len(wanted_np) + 1024:   # sparse keys: a hash table (a province's people: 1.4 s)
        index = pc.index_in(keys, value_set=wanted)
        return pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    # Database keys are mostly dense: an array indexed by key (0.3 s for the same people).
    lookup = np.full(high - low + 1, -1, np.int64)
    lookup[wanted_np - low] = np.arange(len(wanted_np), dtype=np.int64)
    inside = (keys_np >= low) & (keys_np <= high)
    return np.where(inside, lookup[np.clip(keys_np - low, 0, high - low)], -1)
