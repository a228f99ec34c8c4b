"""Extract the registry of one year and scope into the engine's Arrow tables (sunshine.engine.snapshot).

Set-based: one query per table, built by the ORM (so it is right on SQLite and PostgreSQL) but executed on
the raw DB-API cursor and fetched in chunks straight into Arrow arrays, without model instances or
Django's per-value converters. Money leaves the database as integer fen (ROUND(x * 100)), so decimals
are exact whatever the backend returns for a DECIMAL column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connections
from django.db.models import BigIntegerField, CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Round

from sunshine.core.choices import DivisionLevel
from sunshine.core.crypto import decrypt_many
from sunshine.core.encrypted_fields import EncryptedCharField
from sunshine.core.models import Division
from sunshine.engine import snapshot as s
from sunshine.registry.models import HouseholdYear, MemberYear, VillageYear

CHUNK_ROWS = 50_000
Converter = Callable[[list], pa.Array]


def _text(values: list) -> pa.Array:
    """Strings, with the empty string of a blank CharField read as unknown (NULL)."""
    arr = pa.array(values, pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _cast(type_: pa.DataType) -> Converter:
    # SQLite hands back 0/1 for booleans and 'YYYY-MM-DD' for dates; PostgreSQL bool and date objects.
    return lambda values: pa.array(values).cast(type_)


def _money(values: list) -> pa.Array:
    cents = pa.array(values, pa.int64())
    return s.decimal_from_cents(pc.fill_null(cents, 0).to_numpy(), cents.is_valid().to_numpy(zero_copy_only=False))


def _cents(field_name: str) -> Cast:
    return Cast(Round(F(field_name) * 100), BigIntegerField())


CONVERTERS: dict[pa.DataType, Converter] = {
    pa.string(): _text, pa.int32(): _cast(pa.int32()), pa.int64(): _cast(pa.int64()), pa.bool_(): _cast(pa.bool_()),
    pa.date32(): _cast(pa.date32()), s.MONEY: _money,
}


def _decrypting(convert: Converter) -> Converter:
    return lambda values: convert(decrypt_many(values))


def fetch_arrow(queryset: QuerySet, schema: pa.Schema) -> pa.Table:
    """Run a ``values_list`` queryset (its columns in ``schema`` order) and return an Arrow table."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    converters = [CONVERTERS[f.type] for f in schema]
    for i, (expression, _sql, _alias) in enumerate(compiler.select):
        if isinstance(getattr(expression, "target", None), EncryptedCharField):
            # Stored encrypted (sunshine.core.crypto): the engine gets the plain value, in memory only.
            converters[i] = _decrypting(converters[i])
    batches = []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            columns = list(zip(*rows, strict=True))
            batches.append(pa.RecordBatch.from_arrays(
                [convert(list(col)) for convert, col in zip(converters, columns, strict=True)], schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def households(year: int, prefix: str) -> tuple[pa.Table, dict[str, int]]:
    """The households table (household_key = Household primary key) and the map household_no → key."""
    money = [f.name for f in s.HOUSEHOLDS if f.type == s.MONEY]
    qs = (HouseholdYear.objects.filter(year=year, household__village__code__startswith=prefix).order_by()
          .annotate(**{f"{m}_fen": _cents(m) for m in money})
          .values_list("household_id", "household__household_no", "year", "household__village_id", "status",
                       *(f"{m}_fen" for m in money), "food_clothing_secure", "water_safe", "housing_grade",
                       "renovation_status"))
    table = fetch_arrow(qs, s.HOUSEHOLDS)
    ids = dict(zip(table.column("household_no").to_pylist(), table.column("household_key").to_pylist(), strict=True))
    return table, ids


def members(year: int, prefix: str, *, id_numbers: bool = True) -> pa.Table:
    """The members table; without ``id_numbers`` its id_number column is empty (NULL): the assessment does not
    read it, and ID numbers are stored encrypted, so leaving them out saves decrypting every one."""
    qs = (MemberYear.objects.filter(year=year, household_year__household__village__code__startswith=prefix).order_by()
          .annotate(_no_id=Value(None, output_field=CharField()))
          .values_list("household_year__household_id", "household_year__household__household_no", "year",
                       "person__name", "person__id_number" if id_numbers else "_no_id",
                       "person__birth_date", "relation", "education_level", "school_status", "medical_insured",
                       "member_status", "health", "disability_level", "labour_ability", "change_date"))
    return fetch_arrow(qs, s.MEMBERS)


def villages(year: int, prefix: str) -> pa.Table:
    qs = (VillageYear.objects.filter(year=year, village__code__startswith=prefix).order_by()
          .annotate(income_fen=_cents("collective_income"))
          .values_list("village_id", "year", "weak_village", "income_fen", "two_lane_road", "clinic_ok"))
    return fetch_arrow(qs, s.VILLAGES)


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
    if kind in ("households", "counties"):
        snap.tables["households"], snap.household_ids = households(year, prefix)
        snap.tables["members"] = members(year, prefix, id_numbers=False)
    if kind in ("villages", "counties"):
        snap.tables["villages"] = villages(year, prefix)
    if kind == "counties":
        snap.tables["counties"] = key_counties(prefix)
    return snap
