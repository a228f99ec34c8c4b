"""`sunshine monitored import FILE [--partial] [--errors F] [--user U]` and `sunshine monitored template FILE`.

Imports monitored households outside the registry (边缘户) from .xlsx, .csv or .parquet (columns: see
sunshine.monitoring.monitored.imports). Exit status 0 when everything was imported; 2 when any error was found
(the report goes to --errors, .csv or .xlsx, and a summary to stderr) — then nothing was written, or with
--partial only the rows without errors. A file that cannot be read at all also exits with 2."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.ids import mask_text
from sunshine.monitoring.monitored.imports import SPEC, ImportOutcome, import_monitored
from sunshine.registry.management.commands._common import acting_user, report_import
from sunshine.registry.transfer.model import TransferFileError


def write_template(path: Path) -> None:
    headers = [column.header for column in SPEC]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(headers)
        return
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(SPEC.title)
    text = book.add_format({"num_format": "@"})  # IDs and codes stay text in Excel
    sheet.set_column(0, len(headers) - 1, 18, text)
    sheet.write_row(0, 0, headers)
    notes = book.add_worksheet("填写说明")
    notes.write_row(0, 0, ["列", "字段", "必填", "填写要求"])
    for row, column in enumerate(SPEC, start=1):
        allowed = "1至99之间的整数" if column.field == "members" else column.note or column.allowed_text()
        notes.write_row(row, 0, [column.header, column.field, "是" if column.required else "", allowed])
    book.close()


class Command(BaseCommand):
    help = "档外监测户(边缘户):从文件导入(.xlsx、.csv、.parquet),或生成导入模板。Import monitored households."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        load = sub.add_parser("import", help="导入监测户文件")
        load.add_argument("file", type=Path)
        load.add_argument("--partial", action="store_true", help="只导入无错误的行")
        load.add_argument("--errors", type=Path, help="错误报告文件(.csv 或 .xlsx)")
        load.add_argument("--user", help="导入人用户名(默认:第一个管理员)")
        template = sub.add_parser("template", help="生成导入模板(.xlsx 或 .csv)")
        template.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["what"] == "template":
            if path.suffix.lower() not in (".csv", ".xlsx"):
                raise CommandError("模板文件的扩展名应为 .csv 或 .xlsx")
            write_template(path)
            self.stdout.write(f"已写入模板 {path}")
            return
        errors_path: Path | None = options["errors"]
        if errors_path is not None and errors_path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--errors 文件的扩展名应为 .csv 或 .xlsx")
        actor = acting_user(options["user"])
        try:
            outcome = import_monitored(path, actor=actor, partial=options["partial"])
        except TransferFileError as exc:
            self.stderr.write(mask_text(str(exc)))
            raise SystemExit(2) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self._report(outcome, errors_path)

    def _report(self, outcome: ImportOutcome, errors_path: Path | None) -> None:
        report_import(self, summary=outcome.summary() if outcome.written else None, warnings=outcome.warnings,
                      errors=outcome.errors, errors_path=errors_path)
