"""Writing a run's warnings (`sunshine monitor --out`): JSON with exactly the keys of data-dictionary.md
("Machine-readable outputs", `sunshine monitor`: household_no, year, codes, score, explanation), CSV (UTF-8 with
BOM, for Excel) and XLSX with the same columns under Chinese headers and the warnings' Chinese names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sunshine.core.spreadsheet import write_records
from sunshine.monitoring.choices import WarningCode

FORMATS = (".json", ".csv", ".xlsx")
HEADERS = {"household_no": "户编号(监测户编号)", "year": "年度", "codes": "预警类型", "score": "风险评分",
           "explanation": "说明"}
_CODE_WORDS = {str(code): str(label) for code, label in WarningCode.choices}


def table_row(record: dict[str, Any]) -> list[Any]:
    row: list[Any] = []
    for key in HEADERS:
        value = record[key]
        if key == "codes":
            value = "、".join(_CODE_WORDS.get(code, code) for code in value)
        row.append("" if value is None else value)
    return row


def write(records: Iterable[dict[str, Any]], path: Path, *, sheet: str = "监测预警") -> int:
    """Write the records to ``path`` (.json, .csv or .xlsx); returns the number of rows written."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    return write_records(path, records, list(HEADERS.values()), table_row, sheet=sheet)
