"""Comparison's part of 我的待办: findings to verify (overdue first) and confirmed findings to rectify."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.comparison import selectors
from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.display import rule_title
from sunshine.comparison.workflow import ROLES_THAT_VERIFY
from sunshine.core.todo import SHOWN_PER_GROUP, TodoGroup, TodoItem, days_left

if TYPE_CHECKING:
    from sunshine.core.models import User


def _group(reader: User, today: dt.date, status: str, title: str, order: int) -> TodoGroup:
    qs = selectors.visible_findings(reader).filter(status=status)
    totals = qs.order_by().aggregate(n=Count("id"), late=Count("id", filter=Q(deadline__lt=today)))
    # Only what an item shows: the list's joins (person, division, run) would be made for every pending row.
    first = qs.select_related(None).select_related("household").order_by("deadline", "id")[:SHOWN_PER_GROUP]
    items = []
    for f in first:
        left = days_left(f.deadline, today)
        who = f.household.household_no if f.household_id else f.name
        items.append(TodoItem(label=f"{rule_title(f.rule)} · {who}", url=reverse("comparison_finding", args=[f.pk]),
                              due=f.deadline, days_left=left, urgent=left is not None and left < 0))
    return TodoGroup(title=title, count=totals["n"] or 0, urgent_count=totals["late"] or 0, order=order,
                     url=reverse("comparison_findings") + f"?status={status}", items=items)


def items(reader: User, today: dt.date) -> list[TodoGroup]:
    if not reader.role_set & ROLES_THAT_VERIFY:
        return []
    return [_group(reader, today, FindingStatus.PENDING, _("比对发现待核实"), 20),
            _group(reader, today, FindingStatus.CONFIRMED, _("核实属实待整改"), 30)]
