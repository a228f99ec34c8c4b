"""`sunshine grievances escalate [--today YYYY-MM-DD] [--division CODE] [--user U]`

Escalates overdue 12317 grievances one level up, exactly like `sunshine monitor --escalate-only` does for
warnings (sunshine.core.escalation): run it daily (cron), next to the monitoring job."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.core.scope import run_division
from sunshine.grievance.escalation import escalate_overdue
from sunshine.grievance.services import OPERATOR_ROLES
from sunshine.registry.management.commands._common import acting_user, date_argument

_date = date_argument("--today")


class Command(BaseCommand):
    help = ("12317举报:escalate 将逾期未受理、逾期未办结的举报升级督办(上一级、再上一级),宜每日定时执行。"
            "Escalate overdue grievances one level up, like overdue warnings.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["escalate"], help="escalate:逾期升级督办")
        parser.add_argument("--today", type=_date, help="以该日期为今天(YYYY-MM-DD);默认为当天")
        parser.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        parser.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        if not actor.role_set & OPERATOR_ROLES:
            raise CommandError("逾期升级由县级管理、监督或系统管理员执行")
        try:
            division = run_division(actor, options["division"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        moved = escalate_overdue(today=options["today"], division_prefix=division.prefix)
        self.stdout.write(self.style.SUCCESS(f"逾期升级: {division.name} 升级督办 {moved} 件举报"))
