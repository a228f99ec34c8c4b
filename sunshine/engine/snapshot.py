"""The registry snapshot the engine reads: Arrow schemas of its tables, and helpers to build them.

A snapshot is a set of Arrow tables (or Parquet files with these schemas) holding one or more years.
Codes are the English slugs of data-dictionary.md; an unknown value (an empty cell) is NULL, never "" or 0.
Money is decimal128(14, 2) in yuan, so sums and comparisons with the lines are exact. ``household_key``
is an integer standing for household_no, the same in households and members (the database id of the
household; any unique integer will do): the engine joins and groups on it.

households  one row per household and year (households.csv)
members     one row per member and year (members.csv); all members, whatever their 成员状态
villages    one row per village and year (villages.csv)
counties    the counties a county assessment covers (12-digit codes); optional
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MONEY = pa.decimal128(14, 2)

HOUSEHOLDS = pa.schema([
    pa.field("household_key", pa.int64(), nullable=False),
    pa.field("household_no", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("village_code", pa.string(), nullable=False),
    pa.field("status", pa.string()),
    pa.field("wage_income", MONEY),
    pa.field("business_income", MONEY),
    pa.field("business_expense", MONEY),
    pa.field("property_income", MONEY),
    pa.field("transfer_income", MONEY),
    pa.field("transfer_expense", MONEY),
    pa.field("food_clothing_secure", pa.bool_()),
    pa.field("water_safe", pa.bool_()),
    pa.field("housing_grade", pa.string()),
    pa.field("renovation_status", pa.string()),
])

MEMBERS = pa.schema([
    pa.field("household_key", pa.int64(), nullable=False),
    pa.field("household_no", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("id_number", pa.string()),
    pa.field("birth_date", pa.date32()),
    pa.field("relation", pa.string()),
    pa.field("education_level", pa.string()),
    pa.field("school_status", pa.string()),
    pa.field("medical_insured", pa.bool_()),
    pa.field("member_status", pa.string()),
    # Optional (monitoring, policy-rules.md §5 M-SUDDEN): a table without them reads them as empty.
    pa.field("health", pa.string()),
    pa.field("disability_level", pa.string()),
    pa.field("labour_ability", pa.string()),
    pa.field("change_date", pa.date32()),
])
# Columns ``conform`` fills with NULL when a table lacks them (added after the first snapshots were written).
OPTIONAL_COLUMNS = frozenset({"health", "disability_level", "labour_ability", "change_date"})

VILLAGES = pa.schema([
    pa.field("division_code", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("weak_village", pa.bool_()),
    pa.field("collective_income", MONEY),
    pa.field("two_lane_road", pa.bool_()),
    pa.field("clinic_ok", pa.bool_()),
])

COUNTIES = pa.schema([pa.field("division_code", pa.string(), nullable=False)])

SCHEMAS: Mapping[str, pa.Schema] = {
    "households": HOUSEHOLDS, "members": MEMBERS, "villages": VILLAGES, "counties": COUNTIES,
}


class SnapshotError(ValueError):
    """A table does not have the columns (or types) of its schema."""


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table's columns of the schema, in schema order and cast to its types; other columns dropped.
    A missing column of OPTIONAL_COLUMNS (nullable) is read as all NULL."""
    for f in schema:
        if f.name in OPTIONAL_COLUMNS and f.nullable and f.name not in table.column_names:
            table = table.append_column(f.name, pa.nulls(table.num_rows, f.type))
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise SnapshotError(f"snapshot table lacks columns {missing}")
    columns = []
    for f in schema:
        column = table.column(f.name)
        if column.type != f.type:
            try:
                column = column.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SnapshotError(f"column {f.name}: cannot read {column.type} as {f.type}: {exc}") from exc
        if not f.nullable and column.null_count:
            raise SnapshotError(f"column {f.name} has {column.null_count} empty values")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def decimal_from_cents(cents: np.ndarray, valid: np.ndarray | None = None, type_: pa.DataType = MONEY) -> pa.Array:
    """A decimal array from integer cents (fen), exactly and without a Python object per value."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)  # little-endian 128-bit two's complement
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    mask_buffer = None
    null_count = 0
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        null_count = int(len(valid) - valid.sum())
        if null_count:
            mask_buffer = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(type_, len(cents), [mask_buffer, pa.py_buffer(words)], null_count=null_count)


def write_parquet(tables: Mapping[str, pa.Table], directory: Path) -> dict[str, Path]:
    """Write the snapshot tables as ``<name>.parquet`` files; returns their paths by name."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in tables.items():
        paths[name] = directory / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths
