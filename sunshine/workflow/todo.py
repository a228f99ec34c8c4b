"""The procedure's part of 我的待办: cases whose current step is mine, and objections to handle. A case still in
its public-notice period is not actionable and is left out until the period ends."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.todo import SHOWN_PER_GROUP, TodoGroup, TodoItem
from sunshine.workflow.choices import CaseStatus, Step
from sunshine.workflow.services import cases as case_services

if TYPE_CHECKING:
    from sunshine.core.models import User


def actionable(reader: User, today: dt.date):  # -> QuerySet[Case]
    """Cases awaiting the reader's step now (not those whose notice period is still running)."""
    in_notice = Q(status=CaseStatus.IN_PROGRESS, awaiting_step=Step.VILLAGE_NOTICE, notice_end__gte=today)
    return case_services.awaiting(reader).exclude(in_notice)


def items(reader: User, today: dt.date) -> list[TodoGroup]:
    qs = actionable(reader, today)
    count = qs.count()
    if not count:
        return []
    held = qs.filter(status=CaseStatus.ON_HOLD).count()
    first = (qs.select_related("household", "monitored")
             .order_by("-status", "opened_at", "id")[:SHOWN_PER_GROUP])  # on_hold sorts before in_progress
    shown = []
    for case in first:
        who = (case.household.household_no if case.household_id
               else case.monitored.head_name if case.monitored_id else (case.applicant or {}).get("name", ""))
        step = _("异议待处理") if case.status == CaseStatus.ON_HOLD else Step(case.awaiting_step).label
        shown.append(TodoItem(label=f"{case.get_case_type_display()} · {who}",
                              url=reverse("workflow_case", args=[case.pk]), note=str(step),
                              urgent=case.status == CaseStatus.ON_HOLD))
    return [TodoGroup(title=_("待我办理的识别退出案件"), count=count, urgent_count=held,
                      url=reverse("workflow_inbox"), items=shown, order=5)]
