"""Finding pages: the filtered list (and its overdue preset), one finding with the registry side and the
department's evidence side by side, its verification and rectification, and its attachments.

Every finding is fetched through the selectors (the reader's scope: 404 outside it); the steps go through
sunshine.comparison.workflow. Attachments are never served from a public /media/ URL: only by
``finding_attachment``, after the scope check, with an access-log row."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.comparison import display, selectors, workflow
from sunshine.comparison.forms import FindingFilterForm, RectifyForm, VerifyForm
from sunshine.comparison.models import Finding
from sunshine.comparison.runs.services import ROLES_THAT_RUN_COMPARISON
from sunshine.core.attachments import attachment_response
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.drill import drill_down
from sunshine.core.ids import mask_text
from sunshine.core.scope import show_id_number
from sunshine.engine.comparison.catalogue import MATCH_LABELS

PAGE_SIZE = 50


def _list(request: HttpRequest, *, overdue_only: bool) -> HttpResponse:
    form = FindingFilterForm(request.GET or None, reader=request.user)
    filters = form.to_filter()
    if overdue_only:
        filters.overdue = True
    on = workflow.today()
    qs = selectors.findings(request.user, filters, today=on)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [display.finding_item(request.user, f, on) for f in page.object_list]
    if rows and request.user.can_see_full_personal_data:
        log_access(user=request.user, action=AccessAction.VIEW_FULL, object_type="finding_list",
                   object_ref=str(page.number), detail=mask_text(request.GET.urlencode()), request=request)
    drill = drill_down(request.user, selectors.findings(request.user, filters, today=on,
                                                                  skip_division=True), filters.division)
    query = request.GET.copy()
    query.pop("page", None)
    division_query = query.copy()
    division_query.pop("division", None)
    return render(request, "comparison/finding_list.html", {
        "form": form, "filters": filters, "page": page, "rows": rows, "drill": drill,
        "overdue_only": overdue_only, "query": query.urlencode(), "division_query": division_query.urlencode(),
        "run": selectors.visible_runs(request.user, kind=None).filter(pk=filters.run).first() if filters.run else None,
        "can_check_funds": bool(request.user.role_set & ROLES_THAT_RUN_COMPARISON),
    })


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    return _list(request, overdue_only=False)


@login_required
def finding_overdue(request: HttpRequest) -> HttpResponse:
    return _list(request, overdue_only=True)


def _registry_side(reader: Any, finding: Finding) -> dict[str, Any]:
    """What the registry says about the person or household the finding is about."""
    from sunshine.registry.models import HouseholdYear, MemberYear

    side: dict[str, Any] = {"in_registry": finding.household_id is not None, "household": finding.household}
    number = finding.id_number or (finding.person.id_number if finding.person_id else "")
    side["name"] = finding.person.name if finding.person_id else finding.name
    side["id_number"] = show_id_number(reader, number)
    if finding.person_id:
        side["gender"] = finding.person.get_gender_display()
        member = (MemberYear.objects.filter(person_id=finding.person_id, year=finding.year)
                  .select_related("household_year").first())
        if member is not None:
            side["relation"] = member.get_relation_display()
            side["member_status"] = member.get_member_status_display()
    if finding.household_id:
        record = HouseholdYear.objects.filter(household_id=finding.household_id, year=finding.year).first()
        if record is not None:
            side["head_name"] = record.head_name
            side["household_status"] = record.get_status_display()
    side["village_path"] = [d.name for d in finding.division.ancestors() if d.level != "province"] + [
        finding.division.name]
    return side


def _detail_context(request: HttpRequest, finding: Finding, verify_form: VerifyForm | None = None,
                    rectify_form: RectifyForm | None = None) -> dict[str, Any]:
    reader = request.user
    on = workflow.today()
    columns, evidence = display.evidence_table(display.evidence_for(reader, finding.evidence))
    earlier, later = selectors.linked_findings(reader, finding)
    step = workflow.next_step(reader, finding)
    return {
        "finding": finding, "item": display.finding_item(reader, finding, on),
        "registry": _registry_side(reader, finding),
        "columns": columns, "evidence": evidence,
        "match_label": MATCH_LABELS.get(finding.match, ""),
        "earlier": [display.finding_item(reader, f, on) for f in earlier],
        "later": [display.finding_item(reader, f, on) for f in later],
        "occurrences": selectors.occurrences_of(reader, finding),
        "events": [display.event_item(reader, e) for e in selectors.events_of(finding)],
        "step": step, "can_act": workflow.may_act(reader, finding),
        "verify_form": verify_form or (VerifyForm() if step == workflow.VERIFY else None),
        "rectify_form": rectify_form or (RectifyForm() if step == workflow.RECTIFY else None),
        "days_left": (finding.deadline - on).days, "days_over": (on - finding.deadline).days,
        "funds_links": _funds_links(reader, finding),
    }


def _funds_links(reader: Any, finding: Finding) -> list[Any]:
    """A funds finding's fund, project or payments, linked to their pages (empty for comparison findings)."""
    if not finding.subject:
        return []
    from sunshine.funds.selectors import finding_links

    return finding_links(reader, finding)


@login_required
def finding_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    finding = selectors.get_finding(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(request.user, "finding", str(finding.pk), request)
    return render(request, "comparison/finding_detail.html", _detail_context(request, finding))


def _apply_errors(form: VerifyForm | RectifyForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _step(request: HttpRequest, id: int, step: str) -> HttpResponse:  # noqa: A002
    finding = selectors.get_finding(request.user, id)
    if request.method != "POST":
        return redirect("comparison_finding", id=finding.pk)
    if not workflow.may_act(request.user, finding):
        raise PermissionDenied(_("您的角色只能查看比对发现,核实和整改由村、乡镇、县级人员办理"))
    form_class = VerifyForm if step == workflow.VERIFY else RectifyForm
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == workflow.VERIFY:
                workflow.verify(actor=request.user, finding=finding, confirmed=data["result"], note=data["note"],
                                attachment=data.get("attachment"))
            else:
                workflow.rectify(actor=request.user, finding=finding, note=data["note"],
                                 attachment=data.get("attachment"))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已记录:%(status)s") % {"status": finding.get_status_display()})
            return redirect("comparison_finding", id=finding.pk)
    finding.refresh_from_db(fields=["status"])
    log_full_read(request.user, "finding", str(finding.pk), request)
    forms = {"verify_form": form} if step == workflow.VERIFY else {"rectify_form": form}
    if form.errors.get(NON_FIELD_ERRORS) and workflow.next_step(request.user, finding) != step:
        forms = {}  # the finding moved on meanwhile: show the message, and the form of its new status
        messages.error(request, " ".join(form.errors[NON_FIELD_ERRORS]))
    return render(request, "comparison/finding_detail.html", _detail_context(request, finding, **forms))


@login_required
def finding_verify(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.VERIFY)


@login_required
def finding_rectify(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.RECTIFY)


@login_required
def finding_attachment(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """An event's attachment, for readers who may see its finding."""
    event = selectors.get_event(request.user, id)
    return attachment_response(request, event.attachment, object_type="finding_attachment",
                               object_ref=f"{event.finding_id}/{event.pk}")

