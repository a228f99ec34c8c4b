"""Project announcements (公告公示, funds.md §4, services.md §1): the county manager publishes the approval
announcement (立项公告) once the project is approved (批复) and the result announcement (结果公告) once it is
accepted (验收), each for at least the policy standard's announcement_days, starting today or later (a
backdated start would let a project skip its period). Anyone may comment or object on the public page; the
county sees the comments with the project and marks each handled with a reply.

What the public sees is built here, field by field (``public_facts``): never an ID number, a phone number or a
health detail; beneficiaries only as a count and masked names (张*三)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from sunshine.funds.choices import CommentKind, ProjectStatus
from sunshine.funds.lifecycle import (
    APPROVAL,
    RESULT,
    ROLES_THAT_ANNOUNCE,
    ROLES_THAT_HANDLE_COMMENTS,
    announcement_days,
    require_scope,
    today,
)
from sunshine.funds.models import Allocation, Announcement, AnnouncementComment, Project
from sunshine.workflow.services.objections import RateLimited, client_hash, is_obviously_empty, normalized

if TYPE_CHECKING:
    from sunshine.core.models import User

# The state a project must be in for each kind of announcement.
KIND_STATUS = {APPROVAL: ProjectStatus.APPROVED, RESULT: ProjectStatus.ACCEPTED}
KIND_TITLES = {APPROVAL: "立项公告", RESULT: "结果公告"}
MAX_DAYS = 366
MAX_TEXT = 2000


def default_title(project: Project, kind: str) -> str:
    return f"{project.name}{KIND_TITLES[kind]}"


def publish(*, actor: User, project: Project, kind: str, start_date: dt.date | None, days: int | None,
            title: str = "", body: str = "", on: dt.date | None = None) -> Announcement:
    on = on or today()
    require_scope(actor, project)
    if not actor.role_set & ROLES_THAT_ANNOUNCE:
        raise PermissionDenied("项目公告由县级管理人员发布,您的角色不能发布公告")
    if kind not in KIND_STATUS:
        raise ValidationError({"kind": ["公告类型应为立项公告或结果公告"]})
    least = announcement_days(project)
    errors: dict[str, list[str]] = {}
    if start_date is None:
        errors["start_date"] = ["请填写公示开始日期"]
    elif start_date < on:
        errors["start_date"] = ["公示开始日期不能早于今天"]
    if days is None or days < least:
        errors["days"] = [f"公示期不能少于{least}天(政策标准)"]
    elif days > MAX_DAYS:
        errors["days"] = [f"公示期不能超过{MAX_DAYS}天"]
    if errors:
        raise ValidationError(errors)
    assert start_date is not None and days is not None  # noqa: S101 — checked above
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        wanted = KIND_STATUS[kind]
        if project.status != wanted:
            raise ValidationError({"kind": [
                f"{KIND_TITLES[kind]}须在项目{wanted.label}后发布,项目当前状态为“{project.get_status_display()}”"]})
        return Announcement.objects.create(
            project=project, kind=kind, title=(title or "").strip()[:200] or default_title(project, kind),
            body=(body or "").strip()[:MAX_TEXT], start_date=start_date,
            end_date=start_date + dt.timedelta(days=days - 1), created_by=actor)


# --- the public side ------------------------------------------------------------------------------------


def public_announcements(on: dt.date | None = None) -> QuerySet[Announcement]:
    """Announcements that have started: the ones running and the past ones (they stay public)."""
    on = on or today()
    return (Announcement.objects.filter(start_date__lte=on)
            .select_related("project__division__parent__parent", "project__county"))


def state(announcement: Announcement, on: dt.date) -> str:
    if announcement.start_date > on:
        return "future"
    return "past" if announcement.end_date < on else "current"


def mask_name(name: str) -> str:
    from sunshine.workflow.views_common import mask_name as mask

    return mask(name)


def public_text(text: str) -> str:
    """Text written by an official, fit for the public (ID numbers, phones and full dates removed)."""
    from sunshine.workflow.public import public_text as clean

    return clean(text)


def funds_by_source(project: Project) -> list[dict[str, Any]]:
    from sunshine.funds.choices import FUND_SOURCE_CHOICES

    labels = dict(FUND_SOURCE_CHOICES)
    rows = (Allocation.objects.filter(project=project).values("fund__source").annotate(total=Sum("amount"))
            .order_by("fund__source"))
    return [{"source": r["fund__source"], "label": labels.get(r["fund__source"], r["fund__source"]),
             "amount": r["total"] or Decimal(0)} for r in rows]


def beneficiary_names(project: Project) -> list[str]:
    """The beneficiary households' heads as the public may see them (张*三), in household order."""
    from sunshine.registry.models import HouseholdYear

    households = list(project.beneficiaries.values_list("household_id", flat=True))
    if not households:
        return []
    latest: dict[int, tuple[int, str]] = {}
    for household, year, name in (HouseholdYear.objects.filter(household_id__in=households, year__lte=project.year)
                                  .values_list("household_id", "year", "head_name")):
        if household not in latest or latest[household][0] < year:
            latest[household] = (year, name)
    return [mask_name(latest[h][1]) for h in sorted(latest)]


def public_facts(announcement: Announcement, on: dt.date) -> dict[str, Any]:
    """The fields of services.md §1 for one announcement: name, place, category, budget, funds by source,
    content, performance target, implementer, beneficiaries, period; the result's acceptance facts."""
    project = announcement.project
    place = [d.name for d in (project.division.parent.parent if project.division.parent else None,
                              project.division.parent, project.division) if d is not None]
    names = beneficiary_names(project)
    facts = {
        "id": announcement.pk, "kind": announcement.kind, "kind_label": announcement.get_kind_display(),
        "title": public_text(announcement.title), "body": public_text(announcement.body),
        "start_date": announcement.start_date, "end_date": announcement.end_date, "days": announcement.days,
        "state": state(announcement, on), "days_left": max(0, (announcement.end_date - on).days + 1),
        "project_no": project.project_no, "name": public_text(project.name), "place": " ".join(place),
        "county": project.county.name, "category": project.get_category_display(), "year": project.year,
        "budget": project.budget, "funds": funds_by_source(project), "content": public_text(project.content),
        "performance_target": public_text(project.performance_target),
        "implementer": public_text(project.implementer), "planned_households": project.planned_households,
        "planned_registered_households": project.planned_registered_households,
        "planned_start": project.planned_start, "planned_end": project.planned_end,
        "beneficiary_count": len(names), "beneficiaries": names,
    }
    if announcement.kind == RESULT:
        spent = project.expenditures.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        paid = project.payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        facts.update(accepted_date=project.accepted_date, actual_end=project.actual_end,
                     performance_result=project.get_performance_result_display(),
                     performance_note=public_text(project.performance_note), spent=spent + paid)
    return facts


def grouped(announcements: list[Announcement], on: dt.date) -> list[dict[str, Any]]:
    """County → township → village → its announcements (current first), for the public list."""
    tree: dict[str, dict[str, Any]] = {}
    for a in announcements:
        project = a.project
        division = project.division
        county = project.county
        if division.level == "village":
            label = f"{division.parent.name} · {division.name}" if division.parent else division.name
        elif division.level == "township":
            label = division.name
        else:
            label = "县级项目"
        node = tree.setdefault(county.code, {"code": county.code, "name": county.name, "places": {}})
        place = node["places"].setdefault(division.code, {"code": division.code, "name": label, "rows": []})
        place["rows"].append({"id": a.pk, "title": public_text(a.title), "kind_label": a.get_kind_display(),
                              "start_date": a.start_date, "end_date": a.end_date, "state": state(a, on),
                              "category": project.get_category_display(), "budget": project.budget})
    out = []
    for county in sorted(tree.values(), key=lambda n: n["code"]):
        places = sorted(county["places"].values(), key=lambda p: p["code"])
        for place in places:
            place["rows"].sort(key=lambda r: (r["state"] != "current", -r["start_date"].toordinal()))
        out.append({"code": county["code"], "name": county["name"], "places": places})
    return out


# --- comments and objections ----------------------------------------------------------------------------


def check_rate(announcement: Announcement, hashed: str, now: dt.datetime) -> None:
    """The public objection form's limits (settings SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR and _PER_CASE_DAY),
    counted in the database like the workflow's, so that every server process sees the same numbers."""
    per_address = settings.SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR
    per_item = settings.SUNSHINE_OBJECTIONS_PER_CASE_DAY
    if hashed and AnnouncementComment.objects.filter(
            client_hash=hashed, created_at__gte=now - dt.timedelta(hours=1)).count() >= per_address:
        raise RateLimited(f"同一来源一小时内最多提交{per_address}条意见,请稍后再试")
    if AnnouncementComment.objects.filter(announcement=announcement,
                                          created_at__gte=now - dt.timedelta(days=1)).count() >= per_item:
        raise RateLimited(f"该公告今日收到的意见已达{per_item}条,请明天再提交,或直接联系公示单位")


def submit_comment(*, announcement: Announcement, kind: str, text: str, name: str = "", phone: str = "",
                   address: str = "", on: dt.date | None = None) -> AnnouncementComment:
    """A comment or objection from the public page (no login), on an announcement that has started."""
    on = on or today()
    text = (text or "").strip()
    if kind not in CommentKind.values:
        raise ValidationError({"kind": ["请选择意见类型"]})
    if not text:
        raise ValidationError({"text": ["请填写内容"]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [f"内容不能超过{MAX_TEXT}字"]})
    if announcement.start_date > on:
        raise ValidationError({"text": ["该公告尚未开始公示"]})
    hashed = client_hash(address)
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        check_rate(announcement, hashed, timezone.now())
        return AnnouncementComment.objects.create(
            announcement=announcement, kind=kind, text=text, name=(name or "").strip()[:50],
            phone=(phone or "").strip()[:20], client_hash=hashed)


def needs_attention(comment: AnnouncementComment) -> bool:
    """An objection that says something (not obviously empty) and is not handled yet."""
    return comment.handled_at is None and not is_obviously_empty(comment.text)


def repeated(comments: list[AnnouncementComment]) -> set[int]:
    """Comments repeating an earlier one word for word (shown as repeats, not counted twice)."""
    seen: dict[str, int] = {}
    out: set[int] = set()
    for c in sorted(comments, key=lambda c: (c.created_at, c.pk)):
        key = normalized(c.text)
        if key in seen:
            out.add(c.pk)
        seen.setdefault(key, c.pk)
    return out


def handle_comment(*, actor: User, comment: AnnouncementComment, reply: str) -> AnnouncementComment:
    """The county marks a comment handled, with its reply (处理情况)."""
    project = comment.announcement.project
    require_scope(actor, project)
    if not actor.role_set & ROLES_THAT_HANDLE_COMMENTS:
        raise PermissionDenied("公告意见由县级管理人员处理,您的角色不能处理")
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": ["请填写处理情况"]})
    with transaction.atomic():
        comment = AnnouncementComment.objects.select_for_update().get(pk=comment.pk)
        if comment.handled_at is not None:
            raise ValidationError({"reply": ["该意见已处理"]})
        comment.reply = reply[:MAX_TEXT]
        comment.handled_by = actor
        comment.handled_at = timezone.now()
        comment.save(update_fields=["reply", "handled_by", "handled_at"])
    return comment


def open_objections(projects: QuerySet[Project]) -> dict[int, int]:
    """Unhandled objections per project (the list's and the detail's warning)."""
    counts: dict[int, int] = defaultdict(int)
    rows = AnnouncementComment.objects.filter(announcement__project__in=projects, kind=CommentKind.OBJECTION,
                                              handled_at__isnull=True).values_list("announcement__project_id",
                                                                                    flat=True)
    for project_id in rows:
        counts[project_id] += 1
    return dict(counts)
