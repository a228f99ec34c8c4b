"""Case pages: the inbox (what awaits me, and every case in scope), opening a case, one case with its timeline,
signing its current step, handling objections, and the scanned signature pages.

Every case is fetched through the selectors (the reader's scope: 404 outside it); every change goes through
sunshine.workflow.services, which checks the role, the step and the guards again. Attachments are never served
from a public /media/ URL: only by ``case_attachment``, after the scope check."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.core.attachments import attachment_response
from sunshine.core.audit import log_full_read
from sunshine.core.choices import Role
from sunshine.core.ids import mask_phone, mask_text
from sunshine.monitoring import selectors as monitoring_selectors
from sunshine.registry import selectors as registry_selectors
from sunshine.workflow import selectors, services, steps
from sunshine.workflow.choices import CaseStatus, CaseType, Decision
from sunshine.workflow.forms import CaseFilterForm, HandleObjectionForm, OpenCaseForm, StepForm
from sunshine.workflow.models import Case
from sunshine.workflow.payload_display import payload_rows
from sunshine.workflow.views_common import (
    applicant_item,
    case_item,
    eligibility_item,
    registry_change_items,
    role_label,
    step_label,
    timeline,
    today,
)

PAGE_SIZE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    reader = request.user
    awaiting = selectors.cases_awaiting(reader)
    form = CaseFilterForm(request.GET or None, reader=reader)
    qs = selectors.cases(reader, selectors.CaseFilter(**form.filters()))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("pk"))}
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "workflow/inbox.html", {
        "awaiting": [case_item(c) for c in awaiting[:200]], "awaiting_total": awaiting.count(),
        "form": form, "page": page, "rows": [case_item(c) for c in page.object_list],
        "counts": [(label, counts.get(value, 0)) for value, label in CaseStatus.choices],
        "query": query.urlencode(), "can_open": reader.can_edit_registry,
    })


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    if not request.user.can_edit_registry:
        raise PermissionDenied(_("您的角色不能发起案件"))
    initial = {k: request.GET[k] for k in ("case_type", "household_no", "year") if request.GET.get(k)}
    form = OpenCaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            number = data["household_no"].strip()
            household = registry_selectors.get_household(reader=request.user, household_no=number) \
                if number else None
            monitored = monitoring_selectors.get_monitored(request.user, data["monitored"]) \
                if data["monitored"] else None
            case = services.open_case(
                actor=request.user, case_type=data["case_type"], year=data["year"], household=household,
                monitored=monitored, applicant=form.applicant() or None, change_kind=data["change_kind"],
                payload=form.payload() or None, reason=data["reason"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except Http404:
            form.add_error("monitored" if data["monitored"] else "household_no",
                           _("记录不存在或不在您的管辖范围内"))
        else:
            messages.success(request, _("已发起:%(case)s") % {"case": str(case)})
            return redirect("workflow_case", id=case.pk)
    return render(request, "workflow/case_new.html", {"form": form})


def _decisions(case: Case) -> list[str]:
    # A step the exit guard would refuse offers no approval (the page says why); return or refuse stay.
    allowed = [] if services.approval_refusal(case) else [Decision.APPROVE]
    if case.current_step > 0:
        allowed.append(Decision.REJECT)
    if case.step == steps.REFUSE_STEP:
        allowed.append(Decision.REFUSE)
    return allowed


def _eligibility(case: Case) -> Any:
    if case.case_type != CaseType.EXIT or not case.household_id:
        return None
    return eligibility_item(services.eligibility(case))


def _findings(request: HttpRequest, case: Case) -> list[dict[str, Any]] | None:
    if case.case_type != CaseType.ENTRY:
        return None
    from sunshine.comparison import display
    from sunshine.comparison.workflow import today as comparison_today

    on = comparison_today()
    return [display.finding_item(request.user, f, on) for f in services.findings_for(case)[:50]]


def _contact(reader: Any, contact: str) -> str:
    """An objector's contact as this reader may see it (masked roles see a masked phone number)."""
    if reader.can_see_full_personal_data:
        return contact
    return re.sub(r"\d{7,}", lambda m: mask_phone(m.group(0)), mask_text(contact or ""))


def _context(request: HttpRequest, case: Case, step_form: StepForm | None = None,
             objection_forms: dict[int, HandleObjectionForm] | None = None) -> dict[str, Any]:
    reader = request.user
    can_act = case.status == CaseStatus.IN_PROGRESS and services.may_act(reader, case)
    refusal = services.approval_refusal(case) if case.status == CaseStatus.IN_PROGRESS else ""
    if can_act and step_form is None and _decisions(case):
        step_form = StepForm(initial={"step": case.step}, decisions=_decisions(case))
    objections = list(selectors.objections_of(case))
    forms = objection_forms or {}
    may_handle = services.may_handle_objections(reader, case)
    on = today()
    return {
        "case": case, "item": case_item(case), "timeline": timeline(case), "applicant": applicant_item(reader, case),
        "current_role": role_label(services.next_role(case)) if case.status in ("in_progress", "on_hold") else "",
        "current_label": step_label(case.step),
        "step_form": step_form if can_act else None, "can_act": can_act,
        "objections": [{"objection": o, "contact": _contact(reader, o.contact),
                        "form": forms.get(o.pk) or (HandleObjectionForm(prefix=f"o{o.pk}")
                                                    if may_handle and o.status == "open" else None)}
                       for o in objections],
        "eligibility": _eligibility(case), "findings": _findings(request, case),
        "in_notice": bool(case.notice_start and case.notice_end and case.notice_start <= on <= case.notice_end),
        "today": on, "registry_changes": registry_change_items(reader, case.registry_changes),
        "payload_rows": payload_rows(reader, case), "refusal": refusal,
    }


@login_required
def case_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    case = selectors.get_case(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(request.user, "case", str(case.pk), request)
    return render(request, "workflow/case_detail.html", _context(request, case))


def _signs(reader: Any, case: Case) -> bool:
    """Whether the reader's role signs the case's current step (status and scope aside)."""
    role = services.next_role(case)
    return role is not None and (reader.has_role(Role.ADMIN) or reader.has_role(role))


@login_required
def case_advance(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    case = selectors.get_case(request.user, id)
    if request.method != "POST":
        return redirect("workflow_case", id=case.pk)
    posted = request.POST.get("step", "")
    if posted in ("", case.step) and not _signs(request.user, case):
        raise PermissionDenied(_("当前步骤“%(step)s”不由您的角色签署") % {"step": step_label(case.step)})
    form = StepForm(request.POST, request.FILES, decisions=_decisions(case))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.advance(actor=request.user, case=case, step=data["step"], decision=data["decision"],
                             note=data["note"], attachment=data.get("attachment"))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已签署:%(step)s · %(decision)s") % {
                "step": step_label(data["step"]), "decision": Decision(data["decision"]).label})
            return redirect("workflow_case", id=case.pk)
    case.refresh_from_db()
    if posted != case.step or case.status != CaseStatus.IN_PROGRESS:
        # The case moved on or is held meanwhile: show why (and a fresh form for the step it is at now).
        messages.error(request, " ".join(form.non_field_errors()) or _("页面已过期,请重新办理"))
        return render(request, "workflow/case_detail.html", _context(request, case))
    return render(request, "workflow/case_detail.html", _context(request, case, step_form=form))


@login_required
def objection_handle(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the objection's id
    objection = selectors.get_objection(request.user, id)
    case = selectors.get_case(request.user, objection.case_id)
    if request.method != "POST":
        return redirect("workflow_case", id=case.pk)
    form = HandleObjectionForm(request.POST, prefix=f"o{objection.pk}")
    if form.is_valid():
        try:
            services.handle_objection(actor=request.user, objection=objection, upheld=form.cleaned_data["upheld"],
                                      resolution=form.cleaned_data["resolution"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("异议已处理"))
            return redirect("workflow_case", id=case.pk)
    case.refresh_from_db()
    return render(request, "workflow/case_detail.html", _context(request, case, objection_forms={objection.pk: form}))


@login_required
def case_attachment(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the CaseStep's id
    """A step's scanned signature page, for readers who may see its case."""
    action = selectors.get_action(request.user, id)
    return attachment_response(request, action.attachment, object_type="case_attachment",
                               object_ref=f"{action.case_id}/{action.pk}")
