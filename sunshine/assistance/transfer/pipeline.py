"""An assistance file → read → typed → checked against the database → written (the CLI's one procedure).

All or nothing: with any row error nothing is written, unless ``good_rows_only``, which writes the rows without
errors. An error in the file's columns refuses the file whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction

from sunshine.assistance.transfer.columns import KIND_LABELS, SPECS
from sunshine.assistance.transfer.importers import IMPORTERS
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import User
from sunshine.core.signals import announce_change
from sunshine.funds.transfer.resolve import Context, can_import
from sunshine.funds.transfer.sheet import Sheet
from sunshine.registry.transfer.model import RowError
from sunshine.registry.transfer.readers import read_table


@dataclass
class ImportOutcome:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def summary(self) -> str:
        if not self.written:
            return f"{self.label}:发现 {len(self.errors)} 处错误,未导入任何数据"
        return (f"{self.label}:新增 {self.created} 条,更新 {self.updated} 条,未变 {self.unchanged} 条,"
                f"错误 {self.rejected} 条")


def import_file(kind: str, path: str | Path, *, actor: User, good_rows_only: bool = False,
                county: str | None = None, display_name: str | None = None) -> ImportOutcome:
    """Import one assistance file of ``kind``. Raises PermissionDenied for a role that may not import or a
    --county outside the actor's scope, TransferFileError for a file that cannot be read at all."""
    if not can_import(actor):
        raise PermissionDenied("只有县级管理员和系统管理员可以导入帮扶责任文件")
    ctx = Context.of(actor, county)
    spec = SPECS[kind]
    raw = read_table(path, spec, display_name=display_name)
    outcome = ImportOutcome(kind, warnings=[f"{raw.file}: 未知列“{h}”已忽略" for h in raw.unknown_headers])
    sheet = Sheet(raw, spec)
    header_errors = sheet.header_errors()
    if not header_errors and not raw.rows:
        header_errors.append(RowError(raw.file, raw.sheet, raw.header_row, "", "", "文件中没有数据行"))
    if header_errors:
        outcome.errors = header_errors
        return outcome
    sheet.convert_cells()
    importer = IMPORTERS[kind](sheet, ctx)
    importer.check()
    outcome.errors = sheet.sorted_errors()
    outcome.rejected = len(sheet.bad)
    if outcome.errors and not good_rows_only:
        return outcome
    good = {row["_index"] for row in sheet.typed} - sheet.bad
    with transaction.atomic():
        counts = importer.apply(good)
    outcome.created, outcome.updated, outcome.unchanged = counts.created, counts.updated, counts.unchanged
    outcome.written = True
    announce_change(sender=import_file, year=None, source="assistance")  # pairings hold dates, not a year
    log_access(user=actor, action=AccessAction.IMPORT, object_type=f"assistance_{kind}", object_ref=raw.file[:80],
               detail=outcome.summary()[:200])
    return outcome
