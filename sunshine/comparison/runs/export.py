"""Writing a run's findings (`sunshine compare --out`): JSON with the English keys of data-dictionary.md
("Machine-readable outputs", `sunshine compare`), CSV (UTF-8 with BOM, for Excel) and XLSX with the same
columns under Chinese headers and Chinese words for the enumerations.

ID numbers are masked (320321********123X) unless the caller was allowed to ask for them in full."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from sunshine.core.ids import mask_id_number
from sunshine.core.spreadsheet import labelled_row, write_records
from sunshine.engine.comparison.catalogue import MATCH_LABELS, SEVERITY_LABELS
from sunshine.engine.comparison.datasets import DATASETS

FORMATS = (".json", ".csv", ".xlsx")
HEADERS = {"rule": "规则", "severity": "严重程度", "year": "年度", "household_no": "户编号", "id_number": "身份证号",
           "dataset": "部门数据", "match": "匹配方式", "probability": "匹配概率", "explanation": "说明"}
_WORDS: dict[str, dict[str, str]] = {
    "severity": SEVERITY_LABELS, "match": MATCH_LABELS, "dataset": {n: d.label for n, d in DATASETS.items()},
}


def records(table: pa.Table, *, unmasked: bool = False) -> Iterator[dict[str, Any]]:
    """FINDINGS rows as the JSON objects of data-dictionary.md, in the engine's order."""
    for batch in table.to_batches(max_chunksize=5000):
        for row in batch.to_pylist():
            number = row["id_number"]
            yield {
                "rule": row["rule"], "severity": row["severity"], "year": row["year"],
                "household_no": row["household_no"],
                "id_number": (number if unmasked else mask_id_number(number)) if number else None,
                "dataset": row["dataset"], "match": row["match"], "probability": row["probability"],
                "explanation": row["explanation"],
            }


def table_row(record: dict[str, Any]) -> list[Any]:
    return labelled_row(HEADERS, _WORDS)(record)


def write(table: pa.Table, path: Path, *, unmasked: bool = False, sheet: str = "数据比对") -> int:
    """Write the findings to ``path`` (.json, .csv or .xlsx); returns the number of rows written."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    return write_records(path, records(table, unmasked=unmasked), list(HEADERS.values()),
                         labelled_row(HEADERS, _WORDS), sheet=sheet)
