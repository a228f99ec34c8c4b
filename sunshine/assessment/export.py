"""Writing a run's results: JSON with the English keys of data-dictionary.md "Machine-readable outputs",
CSV (UTF-8 with BOM, for Excel) and XLSX with Chinese headers and Chinese enumeration words."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sunshine.assessment.choices import (
    COUNTY_CRITERIA,
    HOUSEHOLD_CRITERIA,
    VILLAGE_CRITERIA,
    CriterionState,
    Kind,
    Result,
)
from sunshine.assessment.models import AssessmentRun
from sunshine.core.spreadsheet import write_records

FORMATS = (".json", ".csv", ".xlsx")
# English key → Chinese header, per kind; "criteria" expands to one column per criterion.
HEADERS: dict[Kind, dict[str, str]] = {
    Kind.HOUSEHOLDS: {"household_no": "户编号", "year": "年度", "result": "结果", "criteria": "",
                      "per_capita_income": "人均可支配收入", "standard": "政策标准版本", "explanation": "说明"},
    Kind.VILLAGES: {"division_code": "区划代码", "year": "年度", "result": "结果", "criteria": "",
                    "collective_income": "村集体经济收入", "explanation": "说明"},
    Kind.COUNTIES: {"division_code": "区划代码", "year": "年度", "result": "结果", "household_share": "达标户占比",
                    "village_share": "达标薄弱村占比", "explanation": "说明"},
}
CRITERIA = {Kind.HOUSEHOLDS: HOUSEHOLD_CRITERIA, Kind.VILLAGES: VILLAGE_CRITERIA, Kind.COUNTIES: COUNTY_CRITERIA}
_RESULT_WORDS = dict(Result.choices)
_STATE_WORDS = dict(CriterionState.choices)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def records(run: AssessmentRun) -> Iterator[dict[str, Any]]:
    """The run's results as the JSON objects of data-dictionary.md, in key order."""
    kind = Kind(run.kind)
    if kind == Kind.HOUSEHOLDS:
        qs = (run.household_results.order_by("household__household_no")
              .values_list("household__household_no", "result", "criteria", "per_capita_income", "explanation"))
        for no, result, criteria, income, explanation in qs.iterator(chunk_size=5000):
            yield {"household_no": no, "year": run.year, "result": result, "criteria": criteria,
                   "per_capita_income": _number(income), "standard": run.standard_version,
                   "explanation": explanation}
    elif kind == Kind.VILLAGES:
        qs = run.village_results.order_by("village_id").values_list(
            "village_id", "result", "criteria", "collective_income", "explanation")
        for code, result, criteria, income, explanation in qs.iterator(chunk_size=5000):
            yield {"division_code": code, "year": run.year, "result": result, "criteria": criteria,
                   "collective_income": _number(income), "explanation": explanation}
    else:
        qs = run.county_results.order_by("county_id").values_list(
            "county_id", "result", "household_share", "village_share", "explanation")
        for code, result, hh_share, vil_share, explanation in qs.iterator(chunk_size=5000):
            yield {"division_code": code, "year": run.year, "result": result, "household_share": hh_share,
                   "village_share": vil_share, "explanation": explanation}


def table_header(kind: Kind) -> list[str]:
    header: list[str] = []
    for key, title in HEADERS[kind].items():
        if key == "criteria":
            header += [f"{name}({code})" for code, name in CRITERIA[kind].items()]
        else:
            header.append(title)
    return header


def table_row(kind: Kind, record: dict[str, Any]) -> list[Any]:
    row: list[Any] = []
    for key in HEADERS[kind]:
        if key == "criteria":
            row += [_STATE_WORDS.get(record["criteria"].get(code), "") for code in CRITERIA[kind]]
        elif key == "result":
            row.append(_RESULT_WORDS[record["result"]])
        else:
            value = record[key]
            row.append("" if value is None else value)
    return row


def write(run: AssessmentRun, path: Path) -> int:
    """Write the run's results to ``path`` (.json, .csv or .xlsx); returns the number of rows."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    kind = Kind(run.kind)
    return write_records(path, records(run), table_header(kind), lambda record: table_row(kind, record),
                         sheet=f"{run.year}年度评估", streamed_json=True)
