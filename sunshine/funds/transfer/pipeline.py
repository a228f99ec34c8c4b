"""A funds file → read → typed → checked against the database → written: the one import procedure the CLI
and the upload page share.

All or nothing: with any row error nothing is written, unless ``partial``, which writes the rows without
errors. An error in the file's columns (a required column missing, a column twice) refuses the file whole,
even with ``partial``. Reading 0–20, checking 20–60, writing 60–100."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import User
from sunshine.core.signals import announce_change
from sunshine.funds.transfer.columns import KIND_LABELS, SPECS
from sunshine.funds.transfer.kinds import IMPORTERS, Counts
from sunshine.funds.transfer.resolve import Context
from sunshine.funds.transfer.sheet import Sheet
from sunshine.registry.transfer.model import RowError
from sunshine.registry.transfer.readers import read_table

Percent = Callable[[int, str], None]


@dataclass
class ImportOutcome:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0                   # rows with an error (not written)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected}

    def summary(self) -> str:
        if not self.written:
            return f"{self.label}:发现 {len(self.errors)} 处错误,未导入任何数据"
        return (f"{self.label}:新增 {self.created} 条,更新 {self.updated} 条,未变 {self.unchanged} 条,"
                f"错误 {self.rejected} 条")


def _noop(percent: int, stage: str) -> None:
    return None


def _header_errors(sheet: Sheet) -> list[RowError]:
    errors = sheet.header_errors()
    raw = sheet.raw
    if sheet.kind == "payments" and "id_number" not in raw.headers and "id_hash" not in raw.headers:
        errors.append(RowError(raw.file, raw.sheet, raw.header_row, "身份证号", "",
                               "缺少“身份证号”列(约定提供哈希值的部门用“身份证号哈希”列)"))
    if not errors and not raw.rows:
        errors.append(RowError(raw.file, raw.sheet, raw.header_row, "", "", "文件中没有数据行"))
    return errors


def import_file(kind: str, path: str | Path, *, actor: User, partial: bool = False, county: str | None = None,
                display_name: str | None = None, progress: Percent | None = None) -> ImportOutcome:
    """Import one file of ``kind`` (funds.md §1). Raises PermissionDenied for a role that may not import or
    a --county outside the actor's scope, TransferFileError for a file that cannot be read at all."""
    report = progress or _noop
    ctx = Context.of(actor, county)
    spec = SPECS[kind]
    report(0, "读取文件")
    raw = read_table(path, spec, display_name=display_name)
    outcome = ImportOutcome(kind, warnings=[f"{raw.file}: 未知列“{h}”已忽略" for h in raw.unknown_headers])
    sheet = Sheet(raw, spec)
    header_errors = _header_errors(sheet)
    if header_errors:
        outcome.errors = header_errors
        report(100, "完成")
        return outcome
    report(20, "校验数据")
    sheet.convert_cells()
    importer = IMPORTERS[kind](sheet, ctx)
    importer.check()
    outcome.errors = sheet.sorted_errors()
    outcome.rejected = len(sheet.bad)
    if outcome.errors and not partial:
        report(100, "完成")
        return outcome
    report(60, "写入数据库")
    good = {row["_index"] for row in sheet.typed} - sheet.bad
    with transaction.atomic():
        counts: Counts = importer.apply(good)
    outcome.created, outcome.updated, outcome.unchanged = counts.created, counts.updated, counts.unchanged
    outcome.written = True
    for year in sorted({r["year"] for r in sheet.typed if r["_index"] in good and r.get("year")}) or [None]:
        announce_change(sender=import_file, year=year, source="funds")  # payments, loans: the default year
    log_access(user=actor, action=AccessAction.IMPORT, object_type=f"funds_{kind}", object_ref=raw.file[:80],
               detail=outcome.summary()[:200])
    report(100, "完成")
    return outcome
