"""`sunshine cases list [--status S] [--type T] [--division CODE] [--year Y] [--awaiting] [--user U]`,
`sunshine cases show ID [--user U]` and
`sunshine cases advance ID --step STEP --decision approve|reject|refuse [--note N] [--attachment FILE]
[--user U] [--today YYYY-MM-DD]`

The identification procedure at the command line, as the acting user (--user, else $SUNSHINE_CLI_USER, else
the first administrator) with that user's roles and division scope: ID numbers are masked for masked roles,
another village's case does not exist, and a step is signed only by its role and only when it is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from sunshine.core.audit import log_full_read
from sunshine.registry.management.commands._common import acting_user, date_argument
from sunshine.workflow import display, selectors, services
from sunshine.workflow.choices import CaseStatus, CaseType, Decision, Step

_date = date_argument("--today")


def _errors(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or "您没有权限执行此操作"


class Command(BaseCommand):
    help = ("识别退出案件:列出(list)、查看(show)、办理当前步骤(advance)。"
            "Cases of the entry, exit and change procedure: list, show, sign the current step.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="案件列表(您的管辖范围)")
        listing.add_argument("--status", choices=CaseStatus.values, help="状态")
        listing.add_argument("--type", dest="case_type", choices=CaseType.values, help="案件类型")
        listing.add_argument("--division", help="12位区划代码:其中的案件")
        listing.add_argument("--year", type=int)
        listing.add_argument("--awaiting", action="store_true", help="只列等待我办理的案件")
        listing.add_argument("--user", help="以该用户的身份和管辖范围执行")
        show = sub.add_parser("show", help="案件详情:步骤、签字记录、异议、评估依据")
        show.add_argument("id", type=int)
        show.add_argument("--user")
        advance = sub.add_parser("advance", help="办理案件的当前步骤")
        advance.add_argument("id", type=int)
        advance.add_argument("--step", required=True, choices=Step.values, help="当前步骤(防止跳步)")
        advance.add_argument("--decision", required=True, choices=Decision.values)
        advance.add_argument("--note", default="", help="意见;退回、不予批准时必填")
        advance.add_argument("--attachment", type=Path, help="扫描件(签字页)")
        advance.add_argument("--user")
        advance.add_argument("--today", type=_date, help="以该日期为今天(YYYY-MM-DD),默认为当天")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except (ValidationError, PermissionDenied, Http404) as exc:
            raise CommandError(_errors(exc)) from exc

    def _list(self, actor: Any, options: dict[str, Any]) -> None:
        wanted = selectors.CaseFilter(status=options["status"], case_type=options["case_type"],
                                      division=options["division"], year=options["year"])
        qs = selectors.cases(actor, wanted)
        if options["awaiting"]:
            qs = qs.filter(pk__in=services.awaiting(actor).values("pk"))
        count = 0
        for case in qs.iterator(chunk_size=500):
            c = display.case_item(actor, case)
            subject = c["household_no"] or (f"监测户#{c['monitored_id']}" if c["monitored_id"] else "新申请")
            self.stdout.write(f"#{c['id']}\t{c['case_type_label']}\t{c['year']}\t{subject}\t{c['name']}\t"
                              f"{c['id_number']}\t{c['division_name']}\t{c['status_label']}\t{c['step_label']}")
            count += 1
        self.stdout.write(self.style.SUCCESS(f"共 {count} 件"))

    def _show(self, actor: Any, options: dict[str, Any]) -> None:
        case = selectors.get_case(actor, options["id"])
        log_full_read(actor, "case", str(case.pk))
        d = display.case_detail(actor, case)
        w = self.stdout.write
        w(f"案件 #{d['id']} {d['case_type_label']} {d['year']}年度 {d['status_label']}")
        w(f"对象: {d['household_no'] or ''} {d['name']} {d['id_number']}  所在村: {d['division_name']}")
        if d["reason"]:
            w(f"理由: {d['reason']}")
        w("步骤:")
        marks = {"done": "✓", "current": "→", "pending": " "}
        for s in d["steps"]:
            w(f"  {marks[s['state']]} {s['index'] + 1}. {s['label']}({s['role']})")
        if d["notice_start"]:
            w(f"公示: {d['notice_start']} 至 {d['notice_end']}")
        if d["actions"]:
            w("签字记录:")
            for a in d["actions"]:
                extra = "(附扫描件)" if a["attachment"] else ""
                run = f" 依据评估批次#{a['assessment_run_id']}" if a["assessment_run_id"] else ""
                w(f"  {a['at']:%Y-%m-%d %H:%M} {a['step_label']} {a['decision_label']} {a['actor']} {a['note']}"
                  f"{extra}{run}")
        for o in d["objections"]:
            w(f"异议 #{o['id']} {o['status_label']}: {o['content']} {o['resolution']}")
        if case.case_type == CaseType.EXIT:
            e = d["eligibility"]
            w(f"退出条件: {'达标' if e['ok'] else '未满足'} {e['message'] or e['explanation']}")
        for x in d["findings"]:
            w(f"比对发现 #{x['id']} {x['rule']} {x['year']}: {x['explanation']}")
        for ch in d["registry_changes"]:
            w(f"变更: {ch['model']}#{ch['pk']} {ch['field']}: {ch['old']} → {ch['new']}")

    def _advance(self, actor: Any, options: dict[str, Any]) -> None:
        case = selectors.get_case(actor, options["id"])
        path: Path | None = options["attachment"]
        if path is not None and not path.is_file():
            raise CommandError(f"附件不存在: {path}")
        handle = path.open("rb") if path is not None else None
        try:
            attachment = File(handle, name=path.name) if handle is not None and path is not None else None
            case = services.advance(actor=actor, case=case, step=options["step"], decision=options["decision"],
                                    note=options["note"], attachment=attachment, today=options["today"])
        finally:
            if handle is not None:
                handle.close()
        c = display.case_item(actor, case)
        where = f"当前步骤: {c['step_label']}" if c["step"] else c["status_label"]
        self.stdout.write(self.style.SUCCESS(f"案件 #{case.pk} 已办理;{where}"))
