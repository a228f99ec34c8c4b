"""`sunshine monitor --year Y [--division CODE] [--out FILE] [--user U] [--today YYYY-MM-DD]` and
`sunshine monitor --escalate-only [--division CODE] [--user U] [--today YYYY-MM-DD]`

Runs the monitoring and early warning of policy-rules.md §5 for a year, stores the new warnings (a warning is
never raised twice on the same data), then escalates overdue warnings. With --escalate-only it only escalates:
run it daily (cron) so that warnings still 待核实 after their deadline go to the township and then the county
on time. --out writes the warnings of the run: .json with the keys of data-dictionary.md (household_no, year,
codes, score, explanation), or .csv / .xlsx with Chinese headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.monitoring.escalation import escalate_overdue
from sunshine.monitoring.runs import export
from sunshine.monitoring.runs.services import check_actor, monitor, scope_division
from sunshine.registry.management.commands._common import acting_user, date_argument

_date = date_argument("--today")


class Command(BaseCommand):
    help = ("监测预警:按年度计算脱贫不稳定户、边缘易致贫户、突发严重困难户和三保障反弹预警,保存新预警,"
            "并将逾期未核实的预警升级督办(乡镇、县级)。--escalate-only 只做逾期升级,宜每日定时执行(cron)。"
            "Monitor a year (policy-rules.md §5), store new warnings and escalate overdue ones.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, help="监测年度(与上一年度比较);--escalate-only 时不需要")
        parser.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        parser.add_argument("--out", type=Path, help="输出本次预警 .json / .csv / .xlsx")
        parser.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")
        parser.add_argument("--escalate-only", action="store_true",
                            help="只将逾期未核实的预警升级督办(每日定时执行),不计算新预警")
        parser.add_argument("--today", type=_date,
                            help="以该日期为今天(YYYY-MM-DD):新预警的核实期限和逾期升级都按它计算;默认为当天")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path | None = options["out"]
        today: dt.date | None = options["today"]
        if out is not None and out.suffix.lower() not in export.FORMATS:
            raise CommandError(f"输出文件应为 {'、'.join(export.FORMATS)} 之一: {out}")
        if options["escalate_only"] and (options["year"] is not None or out is not None):
            raise CommandError("--escalate-only 只做逾期升级,不能与 --year 或 --out 同用")
        if not options["escalate_only"] and options["year"] is None:
            raise CommandError("请用 --year 指定监测年度(或用 --escalate-only 只做逾期升级)")
        actor = acting_user(options["user"])
        try:
            if options["escalate_only"]:
                check_actor(actor)
                division = scope_division(actor, options["division"])
                moved = escalate_overdue(today=today, division_prefix=division.prefix)
                self.stdout.write(self.style.SUCCESS(f"逾期升级: {division.name} 升级督办 {moved} 条预警"))
                return
            outcome = monitor(actor=actor, year=options["year"], division_code=options["division"], today=today)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        run = outcome.run
        moved = escalate_overdue(today=today, division_prefix=run.division.prefix)
        written = ""
        if out is not None:
            count = export.write(outcome.records(), out, sheet=f"{run.year}年度监测预警")
            log_access(user=actor, action=AccessAction.EXPORT, object_type="monitoring_run", object_ref=str(run.pk),
                       detail=f"命令行导出 {out.name} ({count} 行)")
            written = f";已写入 {out}"
        c = run.counts
        codes = ",".join(f"{code} {n}" for code, n in c["by_code"].items()) or "无"
        self.stdout.write(self.style.SUCCESS(
            f"监测预警 #{run.pk}: {run.year}年度 {run.division.name},预警 {c['total']} 户({codes});"
            f"新预警 {c['new']},已有预警 {c['repeated']};新登记档外监测户 {c['outside_households']};"
            f"逾期升级 {moved} 条;政策标准 {run.standard_version};用时 {run.seconds:.1f} 秒{written}"
        ))
