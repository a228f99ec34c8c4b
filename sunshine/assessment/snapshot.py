"""Extract the registry of one year and scope into the engine's Arrow tables (sunshine.engine.snapshot).

The households, members (without ID numbers) and villages come from the year's snapshot
(sunshine.registry.year_snapshot), extracted once per year and registry change and reused by every run.
Set-based: one query per table, built by the ORM (so it is right on SQLite and PostgreSQL) and read straight into
Arrow (sunshine.core.arrow_extract: ADBC when the data is committed, else the raw DB-API cursor in chunks), without
model instances or Django's per-value converters. Money leaves the database as integer fen (ROUND(x * 100)), so
decimals are exact whatever the backend returns for a DECIMAL column."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from django.db.models import BigIntegerField, F
from django.db.models.functions import Cast, Round

from sunshine.core.arrow_extract import fetch_arrow
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.engine import snapshot as s
from sunshine.registry import year_snapshot
from sunshine.registry.models import MemberYear
from sunshine.registry.year_snapshot import YearTables


def _cents(field_name: str) -> Cast:
    return Cast(Round(F(field_name) * 100), BigIntegerField())


def _tables(year: int, prefix: str, tables: YearTables | None) -> YearTables:
    return tables if tables is not None else year_snapshot.year_tables(year, prefix)


def households(year: int, prefix: str, *, tables: YearTables | None = None) -> tuple[pa.Table, dict[str, int]]:
    """The households table (household_key = Household primary key) and the map household_no → key; from the
    year's snapshot (sunshine.registry.year_snapshot), or ``tables`` already taken."""
    table = _tables(year, prefix, tables).households
    ids = dict(zip(table.column("household_no").to_pylist(), table.column("household_key").to_pylist(), strict=True))
    return table, ids


def members_of(base: pa.Table) -> pa.Table:
    """The engine's members table (id_number empty) from the year snapshot's members (MEMBERS_BASE)."""
    return pa.Table.from_arrays(
        [pa.nulls(base.num_rows, pa.string()) if f.name == "id_number" else base.column(f.name) for f in s.MEMBERS],
        schema=s.MEMBERS)


def members(year: int, prefix: str, *, id_numbers: bool = True, tables: YearTables | None = None) -> pa.Table:
    """The members table; without ``id_numbers`` its id_number column is empty (NULL) and it comes from the year's
    snapshot: the assessment does not read it, and ID numbers are stored encrypted, so leaving them out saves
    decrypting every one. With them it is read now and never cached (plain IDs, in memory only)."""
    if not id_numbers:
        return members_of(_tables(year, prefix, tables).members)
    qs = (MemberYear.objects.filter(year=year, household_year__household__village__code__startswith=prefix)
          .order_by("pk")
          .values_list("household_year__household_id", "household_year__household__household_no", "year",
                       "person__name", "person__id_number",
                       "person__birth_date", "relation", "education_level", "school_status", "medical_insured",
                       "member_status", "health", "disability_level", "labour_ability", "change_date"))
    return fetch_arrow(qs, s.MEMBERS)


def villages(year: int, prefix: str, *, tables: YearTables | None = None) -> pa.Table:
    return _tables(year, prefix, tables).villages


def key_counties(prefix: str) -> pa.Table:
    """The key counties (重点帮扶县) within the scope, or the county the scope lies in."""
    qs = Division.objects.filter(level=DivisionLevel.COUNTY, is_key_county=True).order_by("code")
    qs = qs.filter(code__startswith=prefix) if len(prefix) <= 6 else qs.filter(code=prefix[:6].ljust(12, "0"))
    return pa.table({"division_code": pa.array(list(qs.values_list("code", flat=True)), pa.string())},
                    schema=s.COUNTIES)


@dataclass
class RegistrySnapshot:
    year: int
    prefix: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    household_ids: dict[str, int] = field(default_factory=dict)


def extract(kind: str, *, year: int, prefix: str) -> RegistrySnapshot:
    """What an assessment of ``kind`` (households, villages, counties) needs, for one year and scope."""
    snap = RegistrySnapshot(year=year, prefix=prefix)
    tables = year_snapshot.year_tables(year, prefix)   # one extraction (or none: cached) for all three
    if kind in ("households", "counties"):
        snap.tables["households"], snap.household_ids = households(year, prefix, tables=tables)
        snap.tables["members"] = members(year, prefix, id_numbers=False, tables=tables)
    if kind in ("villages", "counties"):
        snap.tables["villages"] = villages(year, prefix, tables=tables)
    if kind == "counties":
        snap.tables["counties"] = key_counties(prefix)
    return snap
