"""The project library's part of 我的待办: projects waiting for the reader's step, and objections to the
announcements waiting for the county. A project whose approval announcement is still running is not actionable
and is left out until the period ends; one approved (or accepted) without its announcement waits for the county
to publish it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.choices import Role
from sunshine.core.todo import SHOWN_PER_GROUP, TodoGroup, TodoItem
from sunshine.funds.choices import CommentKind
from sunshine.funds.choices import ProjectStatus as S
from sunshine.funds.lifecycle import APPROVAL, NEXT, RESULT, STEP_LABELS
from sunshine.funds.models import Announcement, AnnouncementComment, Project
from sunshine.funds.selectors_projects import visible_projects

if TYPE_CHECKING:
    from sunshine.core.models import User

IN_TOWNSHIP = Q(division__level__in=("township", "village"))


def awaiting(reader: User, today: dt.date) -> QuerySet[Project]:
    """Projects whose next step is the reader's (the administrator's to-do is not everyone's)."""
    roles = reader.role_set
    qs = visible_projects(reader)
    approval = Announcement.objects.filter(project=OuterRef("pk"), kind=APPROVAL)
    ran = Exists(approval.filter(end_date__lt=today))
    running = Exists(approval.filter(end_date__gte=today))
    has_result = Exists(Announcement.objects.filter(project=OuterRef("pk"), kind=RESULT))
    wanted = Q(pk__in=[])
    if Role.TOWNSHIP_REVIEWER in roles:
        wanted |= IN_TOWNSHIP & (Q(status=S.PROPOSED) | (Q(status=S.APPROVED) & ran & ~running))
    if Role.COUNTY_MANAGER in roles:
        wanted |= (Q(status=S.PROPOSED) & ~IN_TOWNSHIP) | Q(status__in=(S.VETTED, S.IN_LIBRARY, S.COMPLETED))
        wanted |= Q(status=S.APPROVED) & ~running
        wanted |= Q(status=S.ACCEPTED) & ~has_result
    return qs.filter(wanted).annotate(ran=ran, has_result=has_result)


def _note(project: Project) -> str:
    if project.status == S.APPROVED:
        return _("开始实施") if project.ran else _("发布立项公告")
    if project.status == S.ACCEPTED:
        return _("发布结果公告")
    return str(STEP_LABELS[NEXT[project.status]])


def items(reader: User, today: dt.date) -> list[TodoGroup]:
    groups: list[TodoGroup] = []
    qs = awaiting(reader, today)
    count = qs.count()
    if count:
        shown = [TodoItem(label=f"{p.project_no} · {p.name}", url=reverse("project_detail", args=[p.pk]),
                          note=_note(p)) for p in qs.order_by("updated_at", "pk")[:SHOWN_PER_GROUP]]
        groups.append(TodoGroup(title=_("待我办理的扶贫项目"), count=count, url=reverse("project_list"),
                                items=shown, order=20))
    if reader.role_set & {Role.COUNTY_MANAGER}:
        objections = (AnnouncementComment.objects.filter(kind=CommentKind.OBJECTION, handled_at__isnull=True,
                                                         announcement__project__in=visible_projects(reader))
                      .select_related("announcement__project"))
        n = objections.count()
        if n:
            shown = [TodoItem(label=f"{c.announcement.project.project_no} · {c.announcement.project.name}",
                              url=reverse("project_detail", args=[c.announcement.project_id]) + "#comments",
                              note=_("公告异议待处理"), urgent=True)
                     for c in objections.order_by("created_at", "pk")[:SHOWN_PER_GROUP]]
            groups.append(TodoGroup(title=_("项目公告异议"), count=n, urgent_count=n, url=reverse("project_list"),
                                    items=shown, order=15))
    return groups
