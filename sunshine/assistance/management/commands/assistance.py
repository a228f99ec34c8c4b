"""`sunshine assistance check --year Y [--today D] [--division C] [--out F.json] [--user U]` and
`sunshine assistance import cadres|pairings|visits|work_teams FILE [--county C] [--good-rows-only]
[--errors F] [--user U]`, `sunshine assistance export KIND --out F.xlsx|.csv [--user U]` and
`sunshine assistance template KIND --out F.xlsx|.csv` (services.md §5–6).

The check runs the R-* rules, stores the run and its findings in the verification workflow and writes them to
--out with the keys of services.md §6 (rule, year, subject, key, explanation); the file goes to the access log.
Import exits with 2 when any row has an error (nothing written unless --good-rows-only)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.assistance.transfer.columns import KINDS
from sunshine.comparison.choices import Engine, JobStatus
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.registry.management.commands._common import acting_user, date_argument, report_import
from sunshine.registry.transfer.model import TransferFileError

REPORT_SUFFIXES = (".csv", ".xlsx")


_date = date_argument()


class Command(BaseCommand):
    help = ("帮扶责任:导入帮扶干部、结对、走访、驻村工作队文件(import),运行 R-* 核查规则(check)。"
            "Import assistance files and check assistance responsibility.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="运行 R-* 核查规则,保存核查发现并可输出 .json")
        check.add_argument("--year", type=int, required=True)
        check.add_argument("--today", help="核查日期 YYYY-MM-DD,默认为当年12月31日或今天(取较早者)")
        check.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        check.add_argument("--engine", choices=Engine.values, default=Engine.DUCKDB)
        check.add_argument("--out", type=Path, help="输出文件 .json")
        check.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")
        imp = sub.add_parser("import", help="导入 services.md §5 的文件")
        imp.add_argument("kind", choices=KINDS, help="文件类型: " + "、".join(KINDS))
        imp.add_argument("file", type=Path, help=".xlsx、.csv(UTF-8/GB18030)或 .parquet 文件")
        imp.add_argument("--good-rows-only", action="store_true",
                         help="只导入无错误的行(默认有任何错误则全部不导入)")
        imp.add_argument("--errors", type=Path, help="错误报告文件(.csv 或 .xlsx)")
        imp.add_argument("--county", help="行所属的县(12位区划代码);默认为 --user 的所属县")
        imp.add_argument("--user", help="导入人用户名(县级管理员或系统管理员;默认:第一个系统管理员)")
        exp = sub.add_parser("export", help="导出管辖范围内的文件(身份证号和电话按导出人的权限脱敏)")
        exp.add_argument("kind", choices=KINDS)
        exp.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx 或 .csv")
        exp.add_argument("--user", help="导出人用户名(决定范围和是否脱敏;默认:第一个系统管理员)")
        tpl = sub.add_parser("template", help="空白导入模板(.xlsx 含下拉选项和填写说明;或 .csv 表头)")
        tpl.add_argument("kind", choices=KINDS)
        tpl.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx 或 .csv")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)
        elif options["action"] in ("export", "template"):
            self._file(options)
        else:
            self._check(options)

    def _file(self, options: dict[str, Any]) -> None:
        from sunshine.assistance.transfer.export import FORMATS, export_kind, template

        out: Path = options["out"]
        if out.suffix.lower() not in FORMATS:
            raise CommandError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {out}")
        if options["action"] == "template":
            template(options["kind"], out)
            self.stdout.write(f"模板已写入 {out}")
            return
        count = export_kind(options["kind"], out, reader=acting_user(options.get("user")))
        self.stdout.write(f"已导出 {count} 行到 {out}")

    def _import(self, options: dict[str, Any]) -> None:
        from sunshine.assistance.transfer.pipeline import import_file

        errors_path: Path | None = options.get("errors")
        if errors_path is not None and errors_path.suffix.lower() not in REPORT_SUFFIXES:
            raise CommandError("--errors 文件的扩展名应为 .csv 或 .xlsx")
        actor = acting_user(options.get("user"))
        try:
            outcome = import_file(options["kind"], options["file"], actor=actor,
                                  good_rows_only=options["good_rows_only"], county=options.get("county"))
        except TransferFileError as exc:
            self.stderr.write(mask_text(str(exc)))
            raise SystemExit(2) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        report_import(self, summary=outcome.summary() if outcome.written else None, warnings=outcome.warnings,
                      errors=outcome.errors, errors_path=errors_path, label=outcome.label)

    def _check(self, options: dict[str, Any]) -> None:
        from sunshine.assistance.check.services import output_rows, run_check

        out: Path | None = options["out"]
        if out is not None and out.suffix.lower() != ".json":
            raise CommandError(f"输出文件应为 .json: {out}")
        actor = acting_user(options.get("user"))
        check_date = _date(options["today"]) if options["today"] else None
        try:
            run, table = run_check(actor=actor, year=options["year"], division_code=options["division"],
                                   check_date=check_date, engine=options["engine"], today=check_date)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        if run.status != JobStatus.DONE:
            raise CommandError(f"核查失败: {run.message}")
        written = ""
        if out is not None:
            rows = output_rows(table)
            out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
            log_access(user=actor, action=AccessAction.EXPORT, object_type="assistance_check",
                       object_ref=str(run.pk), detail=f"命令行导出 {out.name} ({len(rows)} 行)")
            written = f";已写入 {out}"
        by_rule = Counter(table.column("rule").to_pylist()) if table.num_rows else Counter()
        listed = ",".join(f"{code} {n}" for code, n in sorted(by_rule.items())) or "无"
        c = run.counts
        self.stdout.write(self.style.SUCCESS(
            f"帮扶责任核查 #{run.pk}: {run.year}年度 {run.division.name},核查发现 {c['total']} 条({listed});"
            f"新发现 {c['new']},再次发现 {c['recurring']};核查日期 {run.parameters['check_date']};"
            f"用时 {run.seconds:.1f} 秒{written}"))
