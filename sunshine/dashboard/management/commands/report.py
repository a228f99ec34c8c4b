"""`sunshine report --year Y --division C --format xlsx|pdf --out F [--user U]`: the standard report pack
of a division (统计报表: by township for a county — households, people, exits, criteria, income bands, weak
villages, findings, warnings, funds) from the pre-aggregated indicator values, as the cockpit shows them.
The division must lie in the acting user's scope (default: the user's own division); the file is an export
written to the access log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.scope import run_division
from sunshine.dashboard import selectors
from sunshine.dashboard.report.export import FORMATS, produce
from sunshine.registry.management.commands._common import acting_user


class Command(BaseCommand):
    help = "统计报表:输出一个区划某年度的标准报表(xlsx 或 PDF)。Write the standard report pack of a division."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        parser.add_argument("--format", choices=FORMATS, help="xlsx 或 pdf;默认取 --out 的扩展名")
        parser.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx / .pdf")
        parser.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])  # a str when called through call_command
        suffix = out.suffix.lower().lstrip(".")
        format_ = options["format"] or suffix
        if format_ not in FORMATS:
            raise CommandError(f"请用 --format 指定 xlsx 或 pdf(输出文件: {out})")
        if suffix != format_:
            raise CommandError(f"输出文件应为 .{format_}: {out}")
        actor = acting_user(options["user"])
        code = (options["division"] or "").strip()
        if code and (len(code) != 12 or not code.isdigit()):
            raise CommandError(f"区划代码应为12位数字: {code}")
        try:
            division = run_division(actor, code or None)
        except PermissionDenied as exc:
            raise CommandError(f"用户 {actor.username} 无权查看该区划的报表: {code or '(未指定)'}({exc})") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        year = options["year"]
        if selectors.last_refresh(year) is None:
            self.stderr.write(f"提示: {year} 年度的指标尚未刷新,报表中的数字均为 0")
        report = produce(reader=actor, division_code=division.code, year=year, format_=format_,
                         detail=f"命令行导出统计报表 {out.name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(report.data)
        self.stdout.write(self.style.SUCCESS(
            f"{division.name} {year}年度统计报表: {len(report.pack.tables)} 张表,已写入 {out}"
            f"({len(report.data) / 1024:.0f} KB)"))
