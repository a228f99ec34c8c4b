"""Every read of projects, scoped by division: a reader sees a project when the place it is built (its division:
county, township or village) lies inside the reader's division. Another county's or village's project is 404."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from sunshine.core.models import User
from sunshine.core.scope import in_scope
from sunshine.funds.choices import CATEGORY_CHOICES, ProjectStatus
from sunshine.funds.lifecycle import NOT_FOUND
from sunshine.funds.models import AnnouncementComment, Project, ProjectTransition

SCOPE = "division__code"


@dataclass
class ProjectFilter:
    year: int | None = None
    status: str | None = None
    category: str | None = None
    division: str | None = None   # a township or village code (the region picker)
    q: str | None = None          # project number or name


def visible_projects(reader: User) -> QuerySet[Project]:
    return in_scope(Project.objects.all(), reader, SCOPE).select_related("division__parent", "county")


def projects(reader: User, filters: ProjectFilter | None = None, *, skip_counted: bool = False) -> QuerySet[Project]:
    """The reader's projects matching ``filters``; with ``skip_counted`` the state and category filters are left
    out (the counts above the list are over the other filters, so that each count says what a click shows)."""
    filters = filters or ProjectFilter()
    qs = visible_projects(reader)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.division:
        qs = qs.filter(division__code__startswith=_prefix(filters.division))
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(project_no__startswith=term) | Q(name__contains=term))
    if not skip_counted:
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.category:
            qs = qs.filter(category=filters.category)
    return qs.order_by("-year", "county_id", "project_no")


def _prefix(code: str) -> str:
    """The digits a division's descendants share (a township 320321101000 → 320321101)."""
    from sunshine.core.models import Division

    division = Division.objects.filter(code=code).first()
    return division.prefix if division is not None else code


def counts(qs: QuerySet[Project]) -> dict[str, Any]:
    """Counts and budgets by state and by category (the figures above the list)."""
    statuses = {r["status"]: r for r in qs.order_by().values("status").annotate(n=Count("pk"), b=Sum("budget"))}
    categories = {r["category"]: r for r in qs.order_by().values("category").annotate(n=Count("pk"),
                                                                                      b=Sum("budget"))}
    return {
        "by_status": [{"code": s.value, "label": s.label, "n": statuses.get(s.value, {}).get("n", 0),
                       "budget": statuses.get(s.value, {}).get("b") or Decimal(0)} for s in ProjectStatus],
        "by_category": [{"code": code, "label": label, "n": categories[code]["n"],
                         "budget": categories[code]["b"] or Decimal(0)}
                        for code, label in CATEGORY_CHOICES if code in categories],
        "total": sum(r["n"] for r in statuses.values()),
        "budget": sum((r["b"] or Decimal(0) for r in statuses.values()), Decimal(0)),
    }


def get_project(reader: User, project_id: int) -> Project:
    project = visible_projects(reader).filter(pk=project_id).first()
    if project is None:
        raise Http404(NOT_FOUND)
    return project


def get_transition(reader: User, transition_id: int) -> ProjectTransition:
    step = (ProjectTransition.objects.filter(pk=transition_id, project__in=visible_projects(reader))
            .select_related("project").first())
    if step is None:
        raise Http404("流转记录不存在或不在您的管辖范围内")
    return step


def get_comment(reader: User, comment_id: int) -> AnnouncementComment:
    comment = (AnnouncementComment.objects.filter(pk=comment_id,
                                                  announcement__project__in=visible_projects(reader))
               .select_related("announcement__project__division").first())
    if comment is None:
        raise Http404("意见不存在或不在您的管辖范围内")
    return comment


# --- one project's page (and the API's detail) ----------------------------------------------------------


def timeline(project: Project) -> list[dict[str, Any]]:
    labels = dict(ProjectStatus.choices)
    return [{"id": t.pk, "from_status": t.from_status, "from_label": labels.get(t.from_status, ""),
             "to_status": t.to_status, "to_label": labels.get(t.to_status, t.to_status), "user": t.user,
             "at": t.at, "note": t.note, "has_attachment": bool(t.attachment),
             "attachment_name": t.attachment.name.rsplit("/", 1)[-1] if t.attachment else ""}
            for t in project.transitions.select_related("user").order_by("at", "id")]


def money(project: Project) -> dict[str, Any]:
    """Allocations (fund → project), expenditures and payments to people, with the sums that must reconcile:
    allocated = spent + unspent."""
    from sunshine.funds.choices import ITEM_CHOICES

    allocations = list(project.allocations.select_related("fund").order_by("date", "id"))
    expenditures = list(project.expenditures.order_by("date", "id"))
    items = dict(ITEM_CHOICES)
    payments = [{"item": r["item"], "label": items.get(r["item"], r["item"]), "n": r["n"],
                 "households": r["households"], "amount": r["total"] or Decimal(0)}
                for r in project.payments.order_by().values("item").annotate(
                    n=Count("pk"), households=Count("household", distinct=True), total=Sum("amount"))
                .order_by("item")]
    allocated = sum((a.amount for a in allocations), Decimal(0))
    spent = sum((e.amount for e in expenditures), Decimal(0)) + sum((p["amount"] for p in payments), Decimal(0))
    return {"allocations": allocations, "expenditures": expenditures, "payments": payments,
            "allocated": allocated, "spent": spent, "unspent": allocated - spent}


def beneficiaries(project: Project) -> list[dict[str, Any]]:
    """The beneficiary households, as in the registry in the project's year (or the latest year before)."""
    from sunshine.registry.models import HouseholdYear

    rows = list(project.beneficiaries.select_related("household__village").order_by("household__household_no"))
    years: dict[int, HouseholdYear] = {}
    for hy in (HouseholdYear.objects.filter(household_id__in=[r.household_id for r in rows])
               .order_by("household_id", "year")):
        if hy.household_id not in years or hy.year <= project.year:
            years[hy.household_id] = hy
    out = []
    for r in rows:
        hy = years.get(r.household_id)
        out.append({"household_no": r.household.household_no, "village": r.household.village.name,
                    "head_name": hy.head_name if hy else "", "year": hy.year if hy else None,
                    "status": hy.get_status_display() if hy else ""})
    return out
