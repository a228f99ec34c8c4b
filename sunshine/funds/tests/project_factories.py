"""Projects for tests: one in a given state (its transitions signed as the lifecycle would), an announcement, a
comment; and ``at_ids`` for tests/test_scope.py (a project, a transition and a comment with a given id)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.funds.choices import ProjectStatus
from sunshine.funds.lifecycle import ORDER
from sunshine.funds.models import Announcement, AnnouncementComment, Project, ProjectTransition

_counter = iter(range(1, 1_000_000))


def make_project(*, actor: Any, division: str, status: str = ProjectStatus.PROPOSED, year: int = 2020,
                 pk: int | None = None, steps: bool = True, **fields: Any) -> Project:
    """A project at ``division`` in ``status``, with one signed transition per step it went through."""
    values: dict[str, Any] = {"project_no": f"XM{year}{next(_counter):04d}", "name": "村道硬化工程",
                              "category": "infrastructure", "budget": Decimal("500000.00"),
                              "content": "硬化村道2公里", "performance_target": "方便群众出行",
                              "implementer": "县交通局", "planned_households": 80,
                              "planned_registered_households": 20, "planned_start": dt.date(year, 3, 1),
                              "planned_end": dt.date(year, 11, 30)}
    values.update(fields)
    project = Project.objects.create(pk=pk, county_id=division[:6] + "000000", division_id=division, year=year,
                                     status=status, **values)
    if not steps:
        return project
    path = [ProjectStatus.PROPOSED] if status == ProjectStatus.REMOVED else list(ORDER[:ORDER.index(status) + 1])
    if status == ProjectStatus.REMOVED:
        path.append(ProjectStatus.REMOVED)
    previous = ""
    for step in path:
        ProjectTransition.objects.create(project=project, from_status=previous, to_status=step, user=actor,
                                         note="测试")
        previous = step
    return project


def announce(project: Project, *, kind: str = "approval", start: dt.date, days: int = 10, actor: Any = None,
             pk: int | None = None) -> Announcement:
    return Announcement.objects.create(pk=pk, project=project, kind=kind, title=f"{project.name}公告",
                                       start_date=start, end_date=start + dt.timedelta(days=days - 1),
                                       created_by=actor)


def at_ids(*, actor: Any, division: str, id: int) -> dict[str, Any]:  # noqa: A002 - the URL parameter's name
    """A project, one of its transitions, an announcement and a comment, each with primary key ``id``, built at
    ``division`` (pages take them as <id>)."""
    project = make_project(actor=actor, division=division, status=ProjectStatus.APPROVED, pk=id,
                           project_no=f"SCOPE{id}", steps=False)
    ProjectTransition.objects.create(pk=id, project=project, from_status=ProjectStatus.APPROVED,
                                     to_status=ProjectStatus.APPROVED, user=actor, note="范围测试")
    announcement = announce(project, start=dt.date(2020, 1, 1), actor=actor, pk=id)
    comment = AnnouncementComment.objects.create(pk=id, announcement=announcement, kind="objection",
                                                 text="范围测试异议", name="张三", phone="13912345678")
    return {"project": project, "announcement": announcement, "comment": comment}
