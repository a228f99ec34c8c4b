"""`sunshine registry correct HOUSEHOLD_NO YEAR --set status=exited --set exit_year=2020 --reason "…" --user ADMIN`
and, for a member, `… --member ID --set member_status=deceased --set change_date=2020-05-01 …`.

The administrator's correction path (更正路径, docs/operations.md): status, identification year, exit year and
member status otherwise change only through an approved case. A correction needs the administrator role and a
reason; both the administrator and the reason (``更正:<reason>``) are written into the history of every row
it changes, which the household page shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from sunshine.registry import choices as c
from sunshine.registry import services
from sunshine.registry.management.commands._common import acting_user
from sunshine.registry.models import HouseholdYear, MemberYear

HOUSEHOLD_FIELDS = {"status": c.HouseholdStatus, "identified_year": int, "exit_year": int}
MEMBER_FIELDS = {"member_status": c.MemberStatus, "change_date": dt.date}


def _value(name: str, raw: str, kind: Any) -> Any:
    """A slug or its Chinese label for choices (exited / 已脱贫), a year, an ISO date; empty clears."""
    raw = raw.strip()
    if raw == "":
        return None
    if kind is int:
        if not raw.isdigit():
            raise CommandError(f"{name} 应为年份(4位数字): {raw}")
        return int(raw)
    if kind is dt.date:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise CommandError(f"{name} 应为日期 YYYY-MM-DD: {raw}") from exc
    for value, label in kind.choices:
        if raw in (value, str(label)):
            return value
    allowed = "、".join(f"{v}({label})" for v, label in kind.choices)
    raise CommandError(f"{name} 的取值不允许: {raw};允许 {allowed}")


def _parse(pairs: list[str], allowed: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or name not in allowed:
            raise CommandError(f"--set {pair}: 可更正的字段为 {', '.join(allowed)}(写作 字段=值)")
        fields[name] = _value(name, raw, allowed[name])
    return fields


class Command(BaseCommand):
    help = "建档立卡数据维护。correct: 管理员更正状态、识别/脱贫年度或成员状态(须写明理由,记入变更历史)。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        correct = sub.add_parser("correct", help="更正一户某年度的状态、识别年度、脱贫年度,或一名成员的成员状态")
        correct.add_argument("household_no", help="户编号")
        correct.add_argument("year", type=int, help="年度")
        correct.add_argument("--member", help="成员:身份证号或成员记录编号;不给则更正户信息")
        correct.add_argument("--set", action="append", dest="sets", required=True, metavar="字段=值",
                             help="户: status、identified_year、exit_year;成员: member_status、change_date")
        correct.add_argument("--reason", required=True, help="更正理由(必填,记入变更历史)")
        correct.add_argument("--user", required=True, help="执行更正的系统管理员用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        record = (HouseholdYear.objects.select_related("household")
                  .filter(household__household_no=options["household_no"], year=options["year"]).first())
        if record is None:
            raise CommandError(f"户 {options['household_no']} 没有{options['year']}年度的记录")
        try:
            if options["member"]:
                self._member(actor, record, options)
            else:
                fields = _parse(options["sets"], HOUSEHOLD_FIELDS)
                services.correct_household_year(actor=actor, household_year=record, reason=options["reason"],
                                                **fields)
                self.stdout.write(f"已更正户 {record.household.household_no} {record.year}年度: "
                                  + ",".join(f"{k}={v}" for k, v in fields.items()))
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(";".join(f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms)) from exc

    def _member(self, actor: Any, record: HouseholdYear, options: dict[str, Any]) -> None:
        ref = options["member"].strip()
        match = Q(person__id_number=ref.upper())
        if ref.isdigit() and len(ref) < 15:
            match |= Q(pk=int(ref))
        member = MemberYear.objects.select_related("person", "household_year__household").filter(
            match, household_year=record).first()
        if member is None:
            raise CommandError(f"户 {record.household.household_no} {record.year}年度没有该成员: {ref}")
        fields = _parse(options["sets"], MEMBER_FIELDS)
        services.correct_member(actor=actor, member=member, reason=options["reason"], **fields)
        self.stdout.write(f"已更正成员 {member.person.name}(户 {record.household.household_no} {record.year}年度): "
                          + ",".join(f"{k}={v}" for k, v in fields.items()))
