"""`sunshine import registry HOUSEHOLDS MEMBERS [--villages FILE] [--year Y] [--partial] [--errors FILE]`
and `sunshine import villages FILE [--year Y] [--partial] [--errors FILE]`.

Exit status: 0 when everything was imported; 2 when any error was found (the report goes to --errors, .csv
or .xlsx by its extension, and a summary to stderr) — then nothing was written, or with --partial only the
households without errors. A file that cannot be read at all also exits with 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.ids import mask_text
from sunshine.registry.management.commands._common import acting_user, progress_bar, report_import
from sunshine.registry.transfer.model import TransferFileError
from sunshine.registry.transfer.pipeline import ImportFiles, Outcome, import_registry, import_villages


class Command(BaseCommand):
    help = "导入建档立卡数据(户、成员、村)。Import registry files (.xlsx, .csv, .parquet)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        registry = sub.add_parser("registry", help="户信息和成员信息(可附村信息)")
        registry.add_argument("households", type=Path)
        registry.add_argument("members", type=Path)
        registry.add_argument("--villages", type=Path)
        villages = sub.add_parser("villages", help="村信息")
        villages.add_argument("villages", type=Path)
        for p in (registry, villages):
            p.add_argument("--year", type=int, help="只接受该年度的行")
            p.add_argument("--partial", action="store_true", help="只导入无错误的农户(有错误的户整户跳过)")
            p.add_argument("--errors", type=Path, help="错误报告文件(.csv 或 .xlsx)")
            p.add_argument("--user", help="导入人用户名(默认:第一个管理员)")
            p.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        errors_path: Path | None = options["errors"]
        if errors_path is not None and errors_path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--errors 文件的扩展名应为 .csv 或 .xlsx")
        actor = acting_user(options["user"])
        report, close = progress_bar(not options["no_progress"])
        try:
            if options["what"] == "villages":
                outcome = import_villages(options["villages"], actor=actor, year=options["year"],
                                          partial=options["partial"], progress=report)
            else:
                files = ImportFiles(options["households"], options["members"], options["villages"])
                outcome = import_registry(files, actor=actor, year=options["year"], partial=options["partial"],
                                          progress=report)
        except TransferFileError as exc:
            close()
            self.stderr.write(mask_text(str(exc)))
            raise SystemExit(2) from exc
        except PermissionDenied as exc:
            close()
            raise CommandError(str(exc)) from exc
        close()
        self._report(outcome, errors_path)

    def _report(self, outcome: Outcome, errors_path: Path | None) -> None:
        result = outcome.result
        report_import(self, summary=result.summary() if result.written else None, warnings=outcome.warnings,
                      errors=result.errors, errors_path=errors_path, written_text="已导入无错误的农户")
