"""Importing monitored households (边缘户) from a file (.xlsx, .csv, .parquet) with the registry's readers and
cell parsers. Columns, in the style of data-dictionary.md (Chinese header, or the English field in any case):

| header | field | kind | required |
|---|---|---|---|
| 监测户编号 | number | text (≤ 30) | yes |
| 年度 | year | year | yes |
| 区划代码 | division_code | 12-digit village code | yes |
| 户主姓名 | head_name | text (≤ 100) | yes |
| 户主身份证号 | head_id_number | ID number | yes |
| 联系电话 | phone | text (≤ 20) | |
| 家庭人口 | members | integer 1–99 | |
| 人均可支配收入 | per_capita_income | money (元) | |
| 备注 | note | text | |

A row is keyed by (监测户编号, 年度): a new key creates a household (source 文件导入), a known one is updated in
place (an identical row changes nothing). Every bad cell or row is reported (file, sheet, row, column, value,
message); with any error nothing is written, unless ``partial``, which writes the good rows only. A missing
required column or a column named twice rejects the file whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from sunshine.core.crypto import keyed_hash
from sunshine.core.models import User
from sunshine.core.scope import division_visible
from sunshine.monitoring.choices import MonitoredSource
from sunshine.monitoring.models import MonitoredHousehold
from sunshine.monitoring.monitored.services import (
    EDITABLE,
    MAX_MEMBERS,
    apply_values,
    check_editor,
    chunks,
    database_errors,
)
from sunshine.registry.transfer import cells
from sunshine.registry.transfer import columns as k
from sunshine.registry.transfer.model import RawTable, RowError
from sunshine.registry.transfer.readers import read_table

SPEC = k.TableSpec(
    name="monitored", title="监测户信息",
    columns=(
        k.Column("number", "监测户编号", k.TEXT, True, max_length=30),
        k.Column("year", "年度", k.INT, True),
        k.Column("division_code", "区划代码", k.DIVISION_CODE, True, note="村级12位统计用区划代码"),
        k.Column("head_name", "户主姓名", k.TEXT, True, max_length=100),
        k.Column("head_id_number", "户主身份证号", k.ID_NUMBER, True),
        k.Column("phone", "联系电话", k.TEXT, max_length=20),
        k.Column("members", "家庭人口", k.INT),
        k.Column("per_capita_income", "人均可支配收入", k.MONEY),
        k.Column("note", "备注", k.TEXT, max_length=2000),
    ),
    key=("number", "year"),
    sheet_names=("监测户信息", "监测户", "monitored"),
)
BATCH = 1000


def _parse_members(text: str) -> int:
    text = text.translate(cells.FULL_WIDTH)
    if not text.isdigit() or not 1 <= int(text) <= MAX_MEMBERS:
        raise cells.CellError(f"应为1至{MAX_MEMBERS}之间的整数")
    return int(text)


PARSERS = {column.field: cells.parser_for(column) for column in SPEC} | {"members": _parse_members}


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0                 # rows with an error, left out (partial)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False            # False when nothing was written (errors and not partial)

    def summary(self) -> str:
        text = f"监测户导入完成:新增 {self.created} 户,更新 {self.updated} 户,未变 {self.unchanged} 户"
        return text + (f",跳过有错误的 {self.skipped} 行" if self.skipped else "")


class _Rows:
    """The file's rows as typed values, with the errors found so far."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.errors: list[RowError] = []
        self.bad: set[int] = set()       # row indexes with an error
        self.values: list[dict[str, Any]] = []

    def header(self, name: str) -> str:
        return self.raw.headers.get(name) or SPEC.column(name).header

    def error(self, index: int, name: str, value: str | None, message: str) -> None:
        self.errors.append(RowError(self.raw.file, self.raw.sheet, self.raw.row_numbers[index], self.header(name),
                                    value or "", message))
        self.bad.add(index)


def _header_errors(raw: RawTable) -> list[RowError]:
    errors = [RowError(raw.file, raw.sheet, raw.header_row, column.header, "",
                       f"缺少必填列“{column.header}”(也可写作 {column.field})")
              for column in SPEC if column.required and column.field not in raw.headers]
    errors += [RowError(raw.file, raw.sheet, raw.header_row, text, text, "列重复:与前面的一列表示同一项,请删除其中一列")
               for text in raw.duplicate_headers]
    return errors


def _parse(rows: _Rows) -> None:
    for index, cells_of_row in enumerate(rows.raw.rows):
        typed: dict[str, Any] = {}
        for column in SPEC:
            text = cells_of_row.get(column.field)
            if text is None:
                typed[column.field] = None
                if column.required:
                    rows.error(index, column.field, None, "必填")
                continue
            try:
                typed[column.field] = PARSERS[column.field](text)
            except cells.CellError as exc:
                rows.error(index, column.field, text, str(exc))
        for name in ("phone", "note"):
            typed[name] = typed.get(name) or ""
        rows.values.append(typed)


def _cross_rows(rows: _Rows) -> None:
    """A key or a head named twice in the file (per year): the later row is reported."""
    keys: dict[tuple[str, int], int] = {}
    heads: dict[tuple[str, int], int] = {}
    for index, row in enumerate(rows.values):
        if row.get("number") is not None and row.get("year") is not None:
            key = (row["number"], row["year"])
            if key in keys:
                rows.error(index, "number", row["number"],
                           f"监测户编号与第{rows.raw.row_numbers[keys[key]]}行重复(同一年度)")
            keys.setdefault(key, index)
        if row.get("head_id_number") and row.get("year") is not None:
            person = (row["head_id_number"], row["year"])
            if person in heads:
                rows.error(index, "head_id_number", row["head_id_number"],
                           f"户主身份证号与第{rows.raw.row_numbers[heads[person]]}行重复(同一人一年只能登记一户)")
            heads.setdefault(person, index)


def _existing(rows: _Rows, indexes: list[int]) -> dict[tuple[str, int], MonitoredHousehold]:
    wanted = sorted({(rows.values[i]["number"], rows.values[i]["year"]) for i in indexes})
    found: dict[tuple[str, int], MonitoredHousehold] = {}
    numbers = sorted({number for number, _ in wanted})
    years = sorted({year for _, year in wanted})
    for chunk in chunks(numbers):
        for household in MonitoredHousehold.objects.filter(number__in=chunk, year__in=years):
            found[(household.number, household.year)] = household
    return {key: found[key] for key in wanted if key in found}


def _check_database(rows: _Rows, actor: User) -> dict[tuple[str, int], MonitoredHousehold]:
    ready = [i for i in range(len(rows.values)) if i not in rows.bad]
    existing = _existing(rows, ready)
    own = [getattr(existing.get((rows.values[i]["number"], rows.values[i]["year"])), "pk", None) for i in ready]
    problems = database_errors(actor, [rows.values[i] for i in ready], own=own)
    raw_cells = rows.raw.rows
    for i, found in zip(ready, problems, strict=True):
        household = existing.get((rows.values[i]["number"], rows.values[i]["year"]))
        if household is not None and not division_visible(actor, household.division_id):
            rows.error(i, "number", raw_cells[i].get("number"), "该监测户属于您管辖范围以外的区划,不能修改")
            continue
        for name, message in found.items():
            rows.error(i, name, raw_cells[i].get(name), message)
    return existing


def _write(rows: _Rows, actor: User, existing: dict[tuple[str, int], MonitoredHousehold],
           outcome: ImportOutcome) -> None:
    now = timezone.now()
    created: list[MonitoredHousehold] = []
    changed: list[MonitoredHousehold] = []
    for index, values in enumerate(rows.values):
        if index in rows.bad:
            continue
        household = existing.get((values["number"], values["year"]))
        if household is None:
            created.append(MonitoredHousehold(
                number=values["number"], year=values["year"], division_id=values["division_code"],
                **{name: values[name] for name in EDITABLE if name != "division_code"},
                source=MonitoredSource.IMPORT, created_by=actor))
        elif apply_values(household, values):
            household.updated_at = now  # bulk_update does not touch auto_now fields
            changed.append(household)
        else:
            outcome.unchanged += 1
    with transaction.atomic():
        if created:
            bulk_create_with_history(created, MonitoredHousehold, batch_size=BATCH, default_user=actor)
        if changed:
            fields = ["division", *(name for name in EDITABLE if name != "division_code"), "updated_at",
                      "head_id_number_hash"]  # bulk_update does not run pre_save: the hash is set here
            for household in changed:
                household.head_id_number_hash = keyed_hash(household.head_id_number)
            bulk_update_with_history(changed, MonitoredHousehold, fields, batch_size=BATCH, default_user=actor)
    outcome.created, outcome.updated, outcome.written = len(created), len(changed), True


def import_monitored(path: str | Path, *, actor: User, partial: bool = False,
                     display_name: str | None = None) -> ImportOutcome:
    """Import the monitored households of the file at ``path``. Raises PermissionDenied for a role that does not
    edit the registry and TransferFileError for a file that cannot be read at all; every other problem is in
    ``errors``."""
    check_editor(actor)
    raw = read_table(path, SPEC, display_name=display_name)
    outcome = ImportOutcome(warnings=[f"未识别的列已忽略:{text}" for text in raw.unknown_headers])
    header_errors = _header_errors(raw)
    if header_errors:
        outcome.errors = header_errors
        return outcome
    rows = _Rows(raw)
    _parse(rows)
    _cross_rows(rows)
    existing = _check_database(rows, actor)
    outcome.errors = sorted(rows.errors, key=lambda e: e.row)
    if outcome.errors and not partial:
        return outcome
    outcome.skipped = len(rows.bad)
    _write(rows, actor, existing, outcome)
    return outcome
