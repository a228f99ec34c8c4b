"""`sunshine funds check --year Y [--today D] [--division C] [--unmasked] [--out F.json|.csv|.xlsx] [--user U]`
and `sunshine funds import KIND FILE [--partial] [--errors F] [--user U]` (funds.md §1, §7).

The check runs the F-* and P-* rules, stores the run and its findings in the verification workflow and
writes them to --out with the keys of funds.md §7; ID numbers are masked unless --unmasked, which only a role
that may see full personal data can ask for; every file written goes to the access log."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.comparison.choices import Engine, JobStatus
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.funds.check import export
from sunshine.funds.check.services import payee_numbers, run_check
from sunshine.registry.management.commands._common import date_argument, output_request

_date = date_argument()


class Command(BaseCommand):
    help = ("资金项目:导入资金、项目、发放等文件(import),运行资金和项目核查规则(check)。"
            "Import funds and project files, and check funds use and project implementation.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="运行 F-*、P-* 核查规则,保存核查发现并可输出 .json / .csv / .xlsx")
        check.add_argument("--year", type=int, required=True)
        check.add_argument("--today", help="核查日期 YYYY-MM-DD,默认为当年12月31日或今天(取较早者)")
        check.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        check.add_argument("--rules", help="逗号分隔的规则代码,例如 F-DUP,F-OVER;默认为全部规则")
        check.add_argument("--engine", choices=Engine.values, default=Engine.DUCKDB)
        check.add_argument("--out", type=Path, help="输出文件 .json / .csv / .xlsx")
        check.add_argument("--unmasked", action="store_true", help="输出完整身份证号(仅限可查看完整个人信息的角色)")
        check.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")
        imp = sub.add_parser("import", help="导入 funds.md §1 的文件")
        from sunshine.funds.transfer.cli import add_file_actions, add_import_arguments

        add_import_arguments(imp)
        add_file_actions(sub)  # export, template

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            from sunshine.funds.transfer.cli import handle_import

            handle_import(self, options)
            return
        if options["action"] in ("export", "template"):
            from sunshine.funds.transfer.cli import handle_file_action

            handle_file_action(self, options)
            return
        self._check(options)

    def _check(self, options: dict[str, Any]) -> None:
        out: Path | None = options["out"]
        actor, unmasked = output_request(options, export.FORMATS)
        rules = [c.strip().upper() for c in (options["rules"] or "").split(",") if c.strip()] or None
        check_date = _date(options["today"]) if options["today"] else None
        try:
            run, table = run_check(actor=actor, year=options["year"], division_code=options["division"],
                                   check_date=check_date, rules=rules, engine=options["engine"],
                                   today=check_date)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        if run.status != JobStatus.DONE:
            raise CommandError(f"核查失败: {run.message}")
        written = ""
        if out is not None:
            count = export.write(table, payee_numbers(table), out, unmasked=unmasked,
                                 sheet=f"{run.year}年度资金项目核查")
            detail = f"命令行导出 {out.name} ({count} 行){',含完整身份证号' if unmasked else ''}"
            log_access(user=actor, action=AccessAction.EXPORT, object_type="funds_check", object_ref=str(run.pk),
                       detail=detail)
            written = f";已写入 {out}"
        by_rule = Counter(table.column("rule").to_pylist()) if table.num_rows else Counter()
        listed = ",".join(f"{code} {n}" for code, n in sorted(by_rule.items())) or "无"
        c = run.counts
        self.stdout.write(self.style.SUCCESS(
            f"资金项目核查 #{run.pk}: {run.year}年度 {run.division.name},核查发现 {c['total']} 条({listed});"
            f"新发现 {c['new']},再次发现 {c['recurring']};核查日期 {run.parameters['check_date']};"
            f"用时 {run.seconds:.1f} 秒{written}"))
