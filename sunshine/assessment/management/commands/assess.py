from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.assessment import export
from sunshine.assessment.choices import Kind
from sunshine.assessment.services import run_assessment
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import User


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise CommandError(f"--set 应写作 参数=值,例如 income_line=6500: {text!r}")
    return name.strip(), value.strip()


class Command(BaseCommand):
    help = ("脱贫认定评估:农户、村或重点帮扶县。Assess households, villages or key counties of a year against the "
            "policy standard and write the results (.json, .csv or .xlsx). --set makes it a what-if run.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=[k.value for k in Kind])
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--division", help="12位区划代码,默认全省(或 --user 的所属区划)")
        parser.add_argument("--standard", help="政策标准版本,默认按年度和区划自动选择")
        parser.add_argument("--set", dest="changes", action="extend", nargs="+", default=[], metavar="NAME=VALUE",
                            help="模拟测算:调整参数,例如 --set income_line=6500")
        parser.add_argument("--what-if", action="store_true", help="不调整参数的模拟测算(非正式)")
        parser.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为命令行操作员")
        parser.add_argument("--out", required=True, type=Path, help="输出文件 .json / .csv / .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.suffix.lower() not in export.FORMATS:
            raise CommandError(f"输出文件应为 {'、'.join(export.FORMATS)} 之一: {out}")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用: {options['user']}")
        overrides = dict(_setting(s) for s in options["changes"])
        official = not (overrides or options["what_if"])
        try:
            run = run_assessment(
                actor=actor, kind=options["kind"], year=options["year"], division_code=options["division"],
                standard_version=options["standard"], overrides=overrides, official=official,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages)) from exc
        count = export.write(run, out)
        detail = f"{run.kind} {run.year} {run.division_id} → {out.name} ({count} 行)"
        log_access(user=actor, action=AccessAction.EXPORT, object_type="assessment_run", object_ref=str(run.pk),
                   detail=detail if actor is not None else f"命令行 {detail}")
        c = run.counts
        mode = "正式评估" if run.official else "模拟测算"
        self.stdout.write(self.style.SUCCESS(
            f"{mode} #{run.pk}: {run.year}年度 {run.division.name} {Kind(run.kind).label} {c['total']} 个,"
            f"达标 {c['meets']},未达标 {c['fails']},缺数据 {c['incomplete']};政策标准 {run.standard_version}"
            f"{' 调整 ' + str(run.overrides) if run.overrides else ''};用时 {run.seconds:.1f} 秒;已写入 {out}"
        ))
