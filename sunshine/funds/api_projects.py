"""The projects API (mounted at /api/projects): the project library list (filters, counts by state and
category) and one project with its signed transitions, announcements, public comments, money and
beneficiaries. Reads go through selectors_projects (the reader's scope: another village's project is 404);
free texts are masked for masked roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from sunshine.core.api import READ_ERRORS, paginate
from sunshine.core.audit import log_full_read
from sunshine.core.scope import show_phone, show_text
from sunshine.core.templatetags.sunshine_tags import person
from sunshine.funds import announcements, lifecycle
from sunshine.funds import selectors_projects as selectors
from sunshine.funds.models import AnnouncementComment, Project
from sunshine.funds.schemas_projects import ProjectDetailOut, ProjectPage, ProjectQuery

router = Router(tags=["projects 项目库"])


def _item(project: Project) -> dict[str, Any]:
    return {"id": project.pk, "project_no": project.project_no, "name": project.name,
            "county_code": project.county_id, "division_code": project.division_id,
            "division_name": project.division.name, "category": project.category,
            "category_label": project.get_category_display(), "year": project.year, "budget": project.budget,
            "status": project.status, "status_label": project.get_status_display(),
            "planned_start": project.planned_start, "planned_end": project.planned_end,
            "actual_end": project.actual_end, "accepted_date": project.accepted_date}


@router.get("", response={200: ProjectPage, **READ_ERRORS}, summary="项目库列表(您的管辖范围;可筛选、分页)")
def list_projects(request: HttpRequest, filters: Query[ProjectQuery]) -> dict[str, Any]:
    wanted = selectors.ProjectFilter(year=filters.year, status=filters.status, category=filters.category,
                                     division=filters.division, q=filters.q)
    count, rows = paginate(selectors.projects(request.auth, wanted), filters.page, filters.page_size)
    counts = selectors.counts(selectors.projects(request.auth, wanted, skip_counted=True))
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "counts_by_status": {s["code"]: s["n"] for s in counts["by_status"]},
            "counts_by_category": {s["code"]: s["n"] for s in counts["by_category"]},
            "items": [_item(p) for p in rows]}


@router.get("/{id}", response={200: ProjectDetailOut, **READ_ERRORS},
            summary="项目详情:流转记录(签署人、时间、意见)、公告、公告意见、资金、受益户")
def get_project(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the route's parameter name
    reader = request.auth
    project = selectors.get_project(reader, id)
    on = lifecycle.today()
    comments = (AnnouncementComment.objects.filter(announcement__project=project)
                .select_related("handled_by").order_by("-created_at", "-id"))
    if comments and reader.can_see_full_personal_data:
        log_full_read(reader, "project_comments", str(project.pk), request)
    money = selectors.money(project)
    return {
        **_item(project), "content": show_text(reader, project.content),
        "performance_target": show_text(reader, project.performance_target),
        "implementer": show_text(reader, project.implementer), "planned_households": project.planned_households,
        "planned_registered_households": project.planned_registered_households,
        "performance_result": project.performance_result,
        "performance_note": show_text(reader, project.performance_note),
        "removal_reason": show_text(reader, project.removal_reason),
        "transitions": [{"id": t["id"], "from_status": t["from_status"], "to_status": t["to_status"],
                         "to_label": str(t["to_label"]), "user": person(t["user"]) if t["user"] else "",
                         "at": t["at"], "note": show_text(reader, t["note"]), "attachment": t["has_attachment"]}
                        for t in selectors.timeline(project)],
        "available": lifecycle.available(reader, project),
        "announcements": [{"id": a.pk, "kind": a.kind, "title": a.title, "start_date": a.start_date,
                           "end_date": a.end_date, "days": a.days, "state": announcements.state(a, on)}
                          for a in project.announcements.order_by("start_date", "id")],
        "comments": [{"id": c.pk, "announcement_id": c.announcement_id, "kind": c.kind,
                      "text": show_text(reader, c.text), "name": show_text(reader, c.name),
                      "phone": show_phone(reader, c.phone), "created_at": c.created_at,
                      "handled_by": person(c.handled_by) if c.handled_by else None, "handled_at": c.handled_at,
                      "reply": show_text(reader, c.reply)} for c in comments],
        "money": {"allocated": money["allocated"], "spent": money["spent"], "unspent": money["unspent"]},
        "beneficiaries": [{"household_no": b["household_no"], "head_name": b["head_name"], "village": b["village"]}
                          for b in selectors.beneficiaries(project)],
    }
