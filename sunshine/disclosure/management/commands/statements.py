"""`sunshine statements print --village CODE --year Y --out F.pdf [--household HOUSEHOLD_NO] [--workers N]
[--user U]`: the benefits statements (明白册) of a village's households as one A4 PDF (services.md §2, §6), one
household per page (two at most), with their query codes (made on first print, stable afterwards). The file is
an export: written to the access log under the acting user."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, DivisionLevel
from sunshine.core.models import Division
from sunshine.core.scope import division_visible
from sunshine.disclosure.statements import pdf
from sunshine.disclosure.views_statements import for_reader, village_statements
from sunshine.registry.management.commands._common import acting_user
from sunshine.registry.models import Household


class Command(BaseCommand):
    help = "政策到户明白册:打印一个村(或一户)的明白册 PDF。Print benefits statements of a village as one PDF."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("print", help="打印全村明白册为一个 PDF(每户一页,最多两页)")
        p.add_argument("--village", help="村的12位区划代码")
        p.add_argument("--household", help="只打印这一户(户编号);可不写 --village")
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--out", type=Path, required=True, help="输出的 .pdf 文件")
        p.add_argument("--workers", type=int, default=2, help="排版进程数(默认2)")
        p.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])  # a str when called through call_command
        if out.suffix.lower() != ".pdf":
            raise CommandError(f"输出文件应为 .pdf: {out}")
        actor = acting_user(options["user"])
        village, household = self._target(options)
        if not division_visible(actor, village.code):
            raise CommandError(f"用户 {actor.username} 无权打印该村: {village.code}")
        started = time.perf_counter()
        statements = village_statements(village, options["year"], actor=actor,
                                        household_ids=None if household is None else [household.pk])
        if household is not None:
            if not statements:
                raise CommandError(f"户 {household.household_no} 没有 {options['year']} 年度的建档立卡记录")
        elif not statements:
            raise CommandError(f"{village.name}({village.code}){options['year']} 年度没有建档立卡户")
        rendered = pdf.render(for_reader(actor, statements), workers=max(1, options["workers"]))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(rendered.pdf)
        ref = household.household_no if household is not None else village.code
        log_access(user=actor, action=AccessAction.EXPORT, object_type="statement_pdf",
                   object_ref=f"{ref}/{options['year']}",
                   detail=f"命令行打印明白册 {out.name}({len(statements)} 户 {rendered.total_pages} 页)")
        two = sum(1 for n in rendered.pages if n > 1)
        self.stdout.write(self.style.SUCCESS(
            f"{village.name} {options['year']}年度明白册: {len(statements)} 户, {rendered.total_pages} 页"
            f"(其中 {two} 户两页), 已写入 {out}({len(rendered.pdf) / 1e6:.1f} MB, "
            f"{time.perf_counter() - started:.1f} 秒)"))

    def _target(self, options: dict[str, Any]) -> tuple[Division, Household | None]:
        household = None
        if options["household"]:
            household = Household.objects.select_related("village").filter(
                household_no=options["household"].strip()).first()
            if household is None:
                raise CommandError(f"户编号不存在: {options['household']}")
        code = (options["village"] or "").strip()
        if not code:
            if household is None:
                raise CommandError("请用 --village 指定村(12位区划代码),或用 --household 指定一户")
            return household.village, household
        village = Division.objects.filter(code=code).first()
        if village is None:
            raise CommandError(f"村不存在: {code}")
        if village.level != DivisionLevel.VILLAGE:
            raise CommandError(f"{village.name}({code})不是村,请给出村的12位区划代码")
        if household is not None and household.village_id != village.code:
            raise CommandError(f"户 {household.household_no} 不在 {village.name}")
        return village, household
