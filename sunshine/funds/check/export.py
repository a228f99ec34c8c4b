"""Writing a funds check's findings (`sunshine funds check --out`): JSON with the keys of funds.md §7, CSV and
XLSX with the same columns under Chinese headers. ID numbers are masked unless the caller may see them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from sunshine.core.ids import mask_id_number
from sunshine.core.spreadsheet import labelled_row, write_records
from sunshine.engine.funds.catalogue import SEVERITY_LABELS, SUBJECT_LABELS

FORMATS = (".json", ".csv", ".xlsx")
HEADERS = {"rule": "规则", "severity": "严重程度", "year": "年度", "subject": "核查对象", "key": "编号",
           "household_no": "户编号", "id_number": "身份证号", "amount": "金额(元)", "explanation": "说明"}
WORDS = {"severity": SEVERITY_LABELS, "subject": SUBJECT_LABELS}


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def records(table: pa.Table, numbers: Mapping[str, str], *, unmasked: bool = False) -> Iterator[dict[str, Any]]:
    """FINDINGS rows as the JSON objects of funds.md §7, in the engine's order; ``numbers`` maps a payee's
    id_hash to the plain ID number (unknown for a payee the paying department sent only as a hash)."""
    for row in table.to_pylist():
        number = numbers.get(row["id_hash"] or "")
        yield {
            "rule": row["rule"], "severity": row["severity"], "year": row["year"], "subject": row["subject"],
            "key": row["key"], "household_no": row["household_no"],
            "id_number": (number if unmasked else mask_id_number(number)) if number else None,
            "amount": _amount(row["amount"]), "explanation": row["explanation"],
        }


def write(table: pa.Table, numbers: Mapping[str, str], path: Path, *, unmasked: bool = False,
          sheet: str = "资金项目核查") -> int:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    return write_records(path, records(table, numbers, unmasked=unmasked), list(HEADERS.values()),
                         labelled_row(HEADERS, WORDS), sheet=sheet)
