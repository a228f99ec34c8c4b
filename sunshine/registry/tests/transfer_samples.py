"""Sample registry files for the transfer tests: valid rows as text, RawTables, and files in every format."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES, TableSpec
from sunshine.registry.transfer.model import RawTable
from sunshine.testing import factories as f

Rows = list[dict[str, str | None]]
MEMBERS_PER_HOUSEHOLD = 3


def household_row(no: str, head_name: str, head_id: str, *, village: str = f.VILLAGE_A, year: int = 2020
                  ) -> dict[str, str | None]:
    return {
        "household_no": no, "year": str(year), "division_code": village, "head_name": head_name,
        "head_id_number": head_id, "phone": "13800001234", "household_type": "一般户",
        "support_category": "开发式帮扶", "main_cause": "因病", "status": "已脱贫", "identified_year": "2016",
        "exit_year": "2019", "wage_income": "12000.00", "business_income": "3000.50", "business_expense": "1000.00",
        "property_income": "200.00", "transfer_income": "2400.00", "transfer_expense": "0.00",
        "food_clothing_secure": "是", "housing_grade": "B", "renovation_status": "无需改造", "water_safe": "是",
        "has_electricity": "否",
    }


def member_row(no: str, name: str, id_number: str, relation: str, *, year: int = 2020, **extra: str | None
               ) -> dict[str, str | None]:
    row: dict[str, str | None] = {field: None for field in MEMBERS.by_field}
    row.update({
        "household_no": no, "year": str(year), "name": name, "id_number": id_number, "relation": relation,
        "education_level": "初中", "school_status": "非在校生", "health": "健康", "labour_ability": "普通劳动力",
        "employment": "县内务工", "medical_insured": "是", "critical_illness_insured": "是",
        "pension_insured": "否", "receives_dibao": "否", "member_status": "在册",
    })
    row.update(extra)
    return row


def sample(households: int = 2, *, year: int = 2020, village: str = f.VILLAGE_A, prefix: str = "H"
           ) -> tuple[Rows, Rows]:
    """``households`` valid households of three members each: head (male), spouse (female, gender and birth
    date written), child (disabled, level and type written). Household i is row i + 2 of the households
    file; its members are rows 3i + 2, 3i + 3, 3i + 4 of the members file."""
    hs: Rows = []
    ms: Rows = []
    for i in range(households):
        no = f"{prefix}{i + 1:04d}"
        head = f.new_id(dt.date(1970, 5, 17), male=True)
        spouse = f.new_id(dt.date(1972, 8, 1), male=False)
        child = f.new_id(dt.date(2005, 3, 9), male=True)
        hs.append(household_row(no, f"户主{i}", head, village=village, year=year))
        ms.append(member_row(no, f"户主{i}", head, "户主", year=year))
        ms.append(member_row(no, f"配偶{i}", spouse, "配偶", year=year, gender="女", birth_date="1972-08-01"))
        ms.append(member_row(no, f"子女{i}", child, "子女", year=year, health="残疾", disability_level="二级",
                             disability_type="肢体", school_status="高中", labour_ability="无劳动力",
                             employment="未务工"))
    return hs, ms


def village_row(code: str, name: str, *, year: int = 2020, township: str | None = None) -> dict[str, str | None]:
    return {"division_code": code, "year": str(year), "name": name, "township_name": township,
            "weak_village": "是", "key_area": "丰县湖西地区", "collective_income": "150000.00",
            "two_lane_road": "是", "clinic_ok": "否"}


def raw(spec: TableSpec, rows: Rows, *, file: str | None = None, english: bool = False) -> RawTable:
    """A RawTable as a reader would give for these rows under Chinese (or English) headers."""
    fields = [col.field for col in spec]
    headers = {col.field: (col.field if english else col.header) for col in spec}
    return RawTable(file=file or f"{spec.name}.csv", sheet="", fields=fields, headers=headers,
                    rows=[{k: row.get(k) for k in fields} for row in rows],
                    row_numbers=list(range(2, len(rows) + 2)))


def tables(hs: Rows, ms: Rows, vs: Rows | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"households": raw(HOUSEHOLDS, hs), "members": raw(MEMBERS, ms)}
    if vs is not None:
        out["villages"] = raw(VILLAGES, vs)
    return out


def write_csv(path: Path, spec: TableSpec, rows: Rows, *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([col.header for col in spec])
        for row in rows:
            writer.writerow(["" if row.get(col.field) is None else row[col.field] for col in spec])
    return path


def write_xlsx(path: Path, spec: TableSpec, rows: Rows, *, typed: bool = True, sheet: str | None = None) -> Path:
    """With openpyxl, as a clerk's Excel would: years and money as numbers, dates as date cells (``typed``)."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet or spec.title
    ws.append([col.header for col in spec])
    for row in rows:
        cells: list[Any] = []
        for col in spec:
            value = row.get(col.field)
            if typed and value is not None:
                value = _excel_value(col.kind, value)
            cells.append(value)
        ws.append(cells)
    book.save(path)
    return path


def _excel_value(kind: str, value: str) -> Any:
    try:
        if kind == "int":
            return int(value)
        if kind == "money":
            return float(value)
        if kind == "date":
            return dt.datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        pass
    return value


def write_parquet(path: Path, spec: TableSpec, rows: Rows, *, typed: bool = True) -> Path:
    """With pyarrow; years as int64 when ``typed`` (other systems write typed columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for col in spec:
        values = [row.get(col.field) for row in rows]
        if typed and col.kind == "int" and all(v is None or v.isdigit() for v in values):
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.int64()))
        else:
            arrays.append(pa.array(values, pa.string()))
    pq.write_table(pa.table(arrays, names=[col.header for col in spec]), path)
    return path
