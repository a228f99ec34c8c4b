"""Project library pages: the list (one county and year at a time, filters, counts by state and category), the
project page (timeline of signed steps, money, beneficiaries, announcements and the public's comments, the
buttons of the steps the reader may sign), the proposing clerk's form, publishing an announcement, handling a
comment, and a step's scanned page.

Every project is fetched through selectors_projects (404 outside the reader's scope); every change goes through
sunshine.funds.lifecycle / announcements, which check role and state again: a tampered POST is refused there."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sunshine.core.attachments import attachment_response
from sunshine.core.scope import show_phone
from sunshine.funds import announcements, lifecycle
from sunshine.funds import selectors_projects as selectors
from sunshine.funds.choices import CommentKind, ProjectStatus
from sunshine.funds.forms_projects import (
    AnnouncementForm,
    HandleCommentForm,
    ProjectFilterForm,
    ProjectForm,
    TransitionForm,
)
from sunshine.funds.models import AnnouncementComment, Project

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def project_list(request: HttpRequest) -> HttpResponse:
    # One year at a time unless asked otherwise: the library is kept per county and year.
    form = ProjectFilterForm(request.GET or {"year": settings.SUNSHINE_DEFAULT_YEAR}, reader=request.user)
    filters = form.to_filter()
    qs = selectors.projects(request.user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    base = query.copy()
    for key in ("status", "category"):
        base.pop(key, None)
    objections = announcements.open_objections(Project.objects.filter(pk__in=[p.pk for p in page.object_list]))
    for p in page.object_list:
        p.open_objections = objections.get(p.pk, 0)
    return render(request, "funds/project_list.html", {
        "form": form, "filters": filters, "page": page, "query": query.urlencode(), "base_query": base.urlencode(),
        "counts": selectors.counts(selectors.projects(request.user, filters, skip_counted=True)),
        "show_county": request.user.division is None or request.user.division.level in ("province", "city"),
        "may_propose": bool(request.user.role_set & lifecycle.ROLES_THAT_PROPOSE),
    })


def _transition_forms(request: HttpRequest, project: Project, failed: tuple[str, TransitionForm] | None = None
                      ) -> list[dict[str, Any]]:
    out = []
    for target in lifecycle.available(request.user, project):
        if failed is not None and failed[0] == target:
            form = failed[1]
        else:
            form = TransitionForm(initial={"to_status": target, "expected_status": project.status},
                                  auto_id=f"id_{target}_%s")
        refusal = (lifecycle.implementation_refusal(project, lifecycle.today())
                   if target == ProjectStatus.IMPLEMENTING else None)
        names = ["note"]
        if target == ProjectStatus.REMOVED:
            names = ["reason", "note"]
        elif target == ProjectStatus.ACCEPTED:
            names = ["accepted_date", "performance_result", "performance_note", "note"]
        out.append({"target": target, "label": lifecycle.STEP_LABELS[target], "form": form, "refusal": refusal,
                    "fields": [form[n] for n in [*names, "attachment"]]})
    return out


def _context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    on = lifecycle.today()
    reader = request.user
    notices = list(project.announcements.select_related("created_by").order_by("start_date", "id"))
    comments = list(AnnouncementComment.objects.filter(announcement__project=project)
                    .select_related("announcement", "handled_by").order_by("-created_at", "-id"))
    may_handle = bool(reader.role_set & lifecycle.ROLES_THAT_HANDLE_COMMENTS)
    announce = None
    if reader.role_set & lifecycle.ROLES_THAT_ANNOUNCE:
        kind = next((k for k, s in announcements.KIND_STATUS.items() if s == project.status), None)
        if kind is not None:
            announce = {"kind": kind, "label": announcements.KIND_TITLES[kind]}
    return {
        "project": project, "timeline": selectors.timeline(project), "money": selectors.money(project),
        "beneficiaries": selectors.beneficiaries(project), "today": on,
        "announcements": [{"a": a, "state": announcements.state(a, on)} for a in notices],
        "comments": [{"c": c, "phone": show_phone(reader, c.phone)} for c in comments],
        "may_handle": may_handle, "handle_form": HandleCommentForm(),
        "open_objections": sum(1 for c in comments if c.kind == CommentKind.OBJECTION and c.handled_at is None),
        "steps": extra.pop("steps", None) or _transition_forms(request, project),
        "may_edit": lifecycle.may_edit(reader, project),
        "may_edit_beneficiaries": lifecycle.may_edit_beneficiaries(reader, project), "announce": announce,
        "announcement_days": lifecycle.announcement_days(project), **extra,
    }


@login_required
def project_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL parameter's name
    project = selectors.get_project(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, "funds/project_detail.html", _context(request, project))


@login_required
def project_transition(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    project = selectors.get_project(request.user, id)
    if request.method != "POST":
        return redirect("project_detail", id=project.pk)
    form = TransitionForm(request.POST, request.FILES)
    target = request.POST.get("to_status", "")
    if target and target in lifecycle.STEP_ROLES and not lifecycle.may_sign(request.user, project, target):
        raise PermissionDenied(_("您的角色不能办理该步骤"))
    if form.is_valid():
        d = form.cleaned_data
        try:
            lifecycle.transition(
                actor=request.user, project=project, to_status=d["to_status"], note=d["note"],
                attachment=d.get("attachment"), expected_status=d["expected_status"], reason=d["reason"],
                acceptance=lifecycle.Acceptance(d.get("accepted_date"), d.get("performance_result") or "",
                                                d.get("performance_note") or ""))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已办理:%(step)s") % {"step": lifecycle.STEP_LABELS[d["to_status"]]})
            return redirect("project_detail", id=project.pk)
    project.refresh_from_db()
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors)
                   or _("页面已过期,请重新办理"))
    failed = (target, form) if target in lifecycle.targets_from(project.status) else None
    return render(request, "funds/project_detail.html",
                  _context(request, project, steps=_transition_forms(request, project, failed)), status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    if not request.user.role_set & lifecycle.ROLES_THAT_PROPOSE:
        raise PermissionDenied(_("项目由村级录入人员申报,您的角色不能申报项目"))
    form = ProjectForm(request.POST or None, reader=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = lifecycle.propose(actor=request.user, division_code=form.cleaned_data["division"],
                                        values=form.values(), note=form.cleaned_data.get("note") or "")
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("项目已申报"))
            return redirect("project_detail", id=project.pk)
    return render(request, "funds/project_form.html", {"form": form, "project": None},
                  status=400 if request.method == "POST" else 200)


@login_required
def project_edit(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    project = selectors.get_project(request.user, id)
    if not lifecycle.may_edit(request.user, project):
        raise PermissionDenied(_("项目只能在申报状态下由申报单位修改"))
    initial = {k: getattr(project, k) for k in lifecycle.EDITABLE}
    form = ProjectForm(request.POST or None, reader=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.edit(actor=request.user, project=project, values=form.values())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("项目已保存"))
            return redirect("project_detail", id=project.pk)
    return render(request, "funds/project_form.html", {"form": form, "project": project},
                  status=400 if request.method == "POST" else 200)


@login_required
def project_announce(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    project = selectors.get_project(request.user, id)
    if not request.user.role_set & lifecycle.ROLES_THAT_ANNOUNCE:
        raise PermissionDenied(_("项目公告由县级管理人员发布"))
    kind = next((k for k, s in announcements.KIND_STATUS.items() if s == project.status), None)
    least = lifecycle.announcement_days(project)
    if kind is None:
        messages.error(request, _("立项公告在批复后发布,结果公告在验收后发布"))
        return redirect("project_detail", id=project.pk)
    form = AnnouncementForm(request.POST or None, initial={
        "kind": kind, "start_date": lifecycle.today(), "days": least,
        "title": announcements.default_title(project, kind)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            announcements.publish(actor=request.user, project=project, kind=d["kind"], start_date=d["start_date"],
                                  days=d["days"], title=d["title"], body=d["body"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("公告已发布"))
            return redirect("project_detail", id=project.pk)
    return render(request, "funds/project_announce.html", {
        "project": project, "form": form, "kind_label": announcements.KIND_TITLES[kind], "least": least},
        status=400 if request.method == "POST" else 200)


@login_required
def comment_handle(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the comment's id
    comment = selectors.get_comment(request.user, id)
    project = comment.announcement.project
    if request.method != "POST":
        return redirect(reverse("project_detail", kwargs={"id": project.pk}) + "#comments")
    form = HandleCommentForm(request.POST)
    if form.is_valid():
        try:
            announcements.handle_comment(actor=request.user, comment=comment, reply=form.cleaned_data["reply"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已处理"))
    else:
        messages.error(request, _("请填写处理情况"))
    return redirect(reverse("project_detail", kwargs={"id": project.pk}) + "#comments")


@login_required
def project_beneficiaries(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """Add (action=add) or remove (action=remove) a beneficiary household by its 户编号."""
    project = selectors.get_project(request.user, id)
    target = reverse("project_detail", kwargs={"id": project.pk}) + "#beneficiaries"
    if request.method != "POST":
        return redirect(target)
    number = request.POST.get("household_no", "")[:30]
    action = lifecycle.remove_beneficiary if request.POST.get("action") == "remove" else lifecycle.add_beneficiary
    try:
        action(actor=request.user, project=project, household_no=number)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("受益户已更新"))
    return redirect(target)


@login_required
def transition_attachment(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    step = selectors.get_transition(request.user, id)
    return attachment_response(request, step.attachment, object_type="project_transition", object_ref=str(step.pk))

