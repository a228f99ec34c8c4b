"""Grievances' part of 我的待办: to accept (county office), to conclude (the handling division), overdue."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.todo import SHOWN_PER_GROUP, TodoGroup, TodoItem, days_left
from sunshine.grievance import selectors, services
from sunshine.grievance.choices import AWAITING_CONCLUSION, State

if TYPE_CHECKING:
    from sunshine.core.models import User


def items(reader: User, today: dt.date) -> list[TodoGroup]:
    if not reader.role_set & services.HANDLER_ROLES:
        return []
    qs = selectors.visible_grievances(reader)
    operator = services.is_operator(reader, reader.division_id or "")
    url = reverse("grievance_list")
    waiting_q = Q(state=State.REGISTERED)
    # A handling division sees what was assigned to it; the county office everything awaiting conclusion.
    open_q = Q(state__in=AWAITING_CONCLUSION) if operator else Q(state__in=(State.ASSIGNED, State.INVESTIGATING))
    # One query for every count; the items only for the groups that have any.
    n = qs.order_by().aggregate(
        waiting=Count("id", filter=waiting_q), waiting_late=Count("id", filter=waiting_q & Q(accept_by__lt=today)),
        open=Count("id", filter=open_q), open_late=Count("id", filter=open_q & Q(conclude_by__lt=today)),
        late=Count("id", filter=selectors.overdue_q(today)))
    groups: list[TodoGroup] = []
    if operator:
        shown = [TodoItem(label=f"{g.number} · {g.get_category_display()}",
                          url=reverse("grievance_detail", args=[g.pk]), due=g.accept_by,
                          days_left=days_left(g.accept_by, today), urgent=g.accept_by < today)
                 for g in qs.filter(waiting_q).order_by("accept_by", "id")[:SHOWN_PER_GROUP]] if n["waiting"] else []
        groups.append(TodoGroup(title=_("12317举报待受理"), count=n["waiting"] or 0,
                                urgent_count=n["waiting_late"] or 0, url=f"{url}?state={State.REGISTERED}",
                                items=shown, order=15))
    shown = [TodoItem(label=f"{g.number} · {g.get_category_display()}", url=reverse("grievance_detail", args=[g.pk]),
                      due=g.conclude_by, days_left=days_left(g.conclude_by, today),
                      note=g.get_state_display(), urgent=bool(g.conclude_by and g.conclude_by < today))
             for g in qs.filter(open_q).order_by("conclude_by", "id")[:SHOWN_PER_GROUP]] if n["open"] else []
    groups.append(TodoGroup(title=_("12317举报待办结"), count=n["open"] or 0, urgent_count=n["open_late"] or 0,
                            url=url, items=shown, order=16))
    if n["late"]:
        groups.append(TodoGroup(title=_("逾期的12317举报"), count=n["late"], urgent_count=n["late"],
                                url=f"{url}?overdue=on", order=14))
    return groups
