"""Monitoring's part of 我的待办: warnings to verify, highest risk and escalated first."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.todo import SHOWN_PER_GROUP, TodoGroup, TodoItem, days_left
from sunshine.monitoring import selectors
from sunshine.monitoring.choices import EscalationLevel, WarningStatus
from sunshine.monitoring.display import code_label
from sunshine.monitoring.workflow import ROLES_THAT_ACT

if TYPE_CHECKING:
    from sunshine.core.models import User

ESCALATED = (EscalationLevel.TOWNSHIP, EscalationLevel.COUNTY)


def items(reader: User, today: dt.date) -> list[TodoGroup]:
    if not reader.role_set & ROLES_THAT_ACT:
        return []
    qs = selectors.visible_warnings(reader).filter(status=WarningStatus.PENDING)
    urgent = Q(deadline__lt=today) | Q(escalation__in=ESCALATED)
    totals = qs.order_by().aggregate(n=Count("id"), urgent=Count("id", filter=urgent),
                                     escalated=Count("id", filter=Q(escalation__in=ESCALATED)))
    first = (qs.select_related(None).select_related("household", "monitored")  # only what an item shows
             .order_by("-score", "deadline", "id")[:SHOWN_PER_GROUP])
    shown = []
    for w in first:
        left = days_left(w.deadline, today)
        who = w.household.household_no if w.household_id else (w.monitored.head_name if w.monitored_id else "")
        kinds = "、".join(code_label(code) for code in w.codes)
        note = _("风险评分 %(score)s") % {"score": w.score}
        if w.escalation in ESCALATED:
            note += " · " + _("已升级至%(level)s督办") % {"level": w.get_escalation_display()}
        shown.append(TodoItem(label=f"{kinds} · {who}", url=reverse("monitoring_warning", args=[w.pk]),
                              due=w.deadline, days_left=left, note=note,
                              urgent=(left is not None and left < 0) or w.escalation in ESCALATED))
    groups = [TodoGroup(title=_("监测预警待核实"), count=totals["n"] or 0, urgent_count=totals["urgent"] or 0,
                        url=reverse("monitoring_warnings") + f"?status={WarningStatus.PENDING}", items=shown,
                        order=10)]
    if totals["escalated"]:
        groups.append(TodoGroup(title=_("逾期升级督办的预警"), count=totals["escalated"],
                                urgent_count=totals["escalated"], url=reverse("monitoring_overdue"), order=11))
    return groups
