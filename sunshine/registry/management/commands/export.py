"""`sunshine export year Y --dir DIR --format xlsx|csv|parquet [--division CODE]` and
`sunshine export template households|members|villages FILE`.

The command line exports in full (ID numbers unmasked): it is run by the operator of the server. Every
export is written to the access log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import Division
from sunshine.registry.transfer.columns import TABLES
from sunshine.registry.transfer.export import export_year, write_template


class Command(BaseCommand):
    help = "导出建档立卡数据或空白模板。Export a year of the registry, or an empty template."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        year = sub.add_parser("year", help="导出一个年度的户、成员和村信息")
        year.add_argument("year", type=int)
        year.add_argument("--dir", required=True, type=Path)
        year.add_argument("--format", required=True, choices=("xlsx", "csv", "parquet"))
        year.add_argument("--division", help="只导出该区划(县、乡镇或村的12位代码)")
        year.add_argument("--user", help="记入访问日志的用户名")
        template = sub.add_parser("template", help="空白模板(.xlsx 带下拉选项和填写说明,或 .csv)")
        template.add_argument("kind", choices=tuple(TABLES))
        template.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "template":
            if options["file"].suffix.lower() not in (".xlsx", ".csv"):
                raise CommandError("模板文件的扩展名应为 .xlsx 或 .csv")
            path = write_template(options["kind"], options["file"])
            self.stdout.write(f"已写入模板 {path}")
            return
        division = options["division"]
        if division and not Division.objects.filter(code=division).exists():
            raise CommandError(f"区划不存在: {division}")
        paths = export_year(options["year"], options["dir"], options["format"], division, unmasked=True)
        user: Any = AnonymousUser()
        if options["user"]:
            from sunshine.registry.management.commands._common import acting_user

            user = acting_user(options["user"])
        log_access(user=user, action=AccessAction.EXPORT, object_type="registry_year",
                   object_ref=f"{options['year']} {division or ''}".strip(), detail=f"命令行导出 {options['format']}")
        for name, path in paths.items():
            self.stdout.write(f"{name}: {path}")
