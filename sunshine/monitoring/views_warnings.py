"""Warning pages: the filtered list with counts by type and status, the overdue list by escalation level, one
warning with its score, measures and history, and its steps (verify, measure, clear, hand over).

Every warning is fetched through the selectors (the reader's scope: 404 outside it); the steps go through
sunshine.monitoring.workflow."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.drill import drill_down
from sunshine.core.ids import mask_text
from sunshine.monitoring import display, selectors, workflow
from sunshine.monitoring.forms import ClearForm, HandOverForm, MeasureForm, VerifyForm, WarningFilterForm
from sunshine.monitoring.models import EarlyWarning

PAGE_SIZE = 50
STEP_FORMS: dict[str, type[VerifyForm | MeasureForm | ClearForm | HandOverForm]] = {
    workflow.VERIFY: VerifyForm, workflow.MEASURE: MeasureForm, workflow.CLEAR: ClearForm,
    workflow.HAND_OVER: HandOverForm,
}
ACTING_ROLES_ONLY = "您的角色只能查看监测预警,核实、帮扶和消除风险由村、乡镇、县级人员办理"


def _list(request: HttpRequest, *, overdue_only: bool) -> HttpResponse:
    reader = request.user
    form = WarningFilterForm(request.GET or None, reader=reader)
    filters = form.to_filter()
    on = workflow.today()
    filters.overdue = filters.overdue or overdue_only
    pick = selectors.overdue if overdue_only else selectors.warnings
    qs = pick(reader, filters, today=on)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [display.warning_item(reader, w, on) for w in display.with_head_names(list(page.object_list))]
    if rows and reader.can_see_full_personal_data:
        log_access(user=reader, action=AccessAction.VIEW_FULL, object_type="warning_list",
                   object_ref=str(page.number), detail=mask_text(request.GET.urlencode()), request=request)
    drill = drill_down(reader, selectors.warnings(reader, filters, today=on, skip_division=True),
                       filters.division)
    query = request.GET.copy()
    query.pop("page", None)
    division_query = query.copy()
    division_query.pop("division", None)
    return render(request, "monitoring/warning_list.html", {
        "form": form, "filters": filters, "page": page, "rows": rows, "drill": drill,
        "overdue_only": overdue_only, "query": query.urlencode(), "division_query": division_query.urlencode(),
        "by_code": selectors.counts_by_code(qs), "by_status": selectors.counts_by_status(qs),
        "by_escalation": selectors.counts_by_escalation(qs) if overdue_only else [],
        "deadline_days": workflow.DEFAULT_DEADLINE_DAYS,
    })


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    return _list(request, overdue_only=False)


@login_required
def warning_overdue(request: HttpRequest) -> HttpResponse:
    return _list(request, overdue_only=True)


def _subject(reader: Any, warning: EarlyWarning) -> dict[str, Any]:
    """The household the warning is about, as the page shows it."""
    from sunshine.registry.models import HouseholdYear

    out = display.subject(reader, warning)
    if warning.household_id:
        record = (HouseholdYear.objects.filter(household_id=warning.household_id, year__lte=warning.year)
                  .order_by("-year").first())
        if record is not None:
            out.update(name=record.head_name, household_status=record.get_status_display(),
                       record_year=record.year, members=record.members.count())
    elif warning.monitored_id:
        m = warning.monitored
        out.update(members=m.members, per_capita_income=m.per_capita_income)
    out["village_path"] = [d.name for d in warning.division.ancestors() if d.level != "province"] + [
        warning.division.name]
    return out


def _detail_context(request: HttpRequest, warning: EarlyWarning, **forms: Any) -> dict[str, Any]:
    reader = request.user
    on = workflow.today()
    steps = workflow.next_steps(reader, warning)
    parts = display.contributions(warning)
    top = max((p["points"] for p in parts), default=0)
    context: dict[str, Any] = {
        "warning": warning, "item": display.warning_item(reader, warning, on), "subject": _subject(reader, warning),
        "codes": [{"code": c, "label": display.code_label(c)} for c in warning.codes or []],
        "contributions": parts, "bar_max": max(top, 1),
        "measures": [display.measure_item(reader, m) for m in selectors.measures_of(warning)],
        "events": [display.event_item(reader, e) for e in selectors.events_of(warning)],
        "steps": steps, "can_act": workflow.may_act(reader, warning),
        "days_left": (warning.deadline - on).days, "today": on,
    }
    for step, form_class in STEP_FORMS.items():
        name = f"{step}_form"
        context[name] = forms.get(name) or (form_class(initial={"date": on}) if step in steps else None)
    context["measure_total"] = sum((m["amount"] for m in context["measures"] if m["amount"] is not None), 0)
    return context


@login_required
def warning_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    warning = selectors.get_warning(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(request.user, "warning", str(warning.pk), request)
    return render(request, "monitoring/warning_detail.html", _detail_context(request, warning))


def _apply_errors(form: Any, exc: ValidationError) -> None:
    """A service error on a field the form has goes under that field; the rest (the status) above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _run_step(request: HttpRequest, warning: EarlyWarning, step: str, data: dict[str, Any]) -> None:
    actor = request.user
    if step == workflow.VERIFY:
        workflow.verify(actor=actor, warning=warning, confirmed=data["result"], note=data["note"])
    elif step == workflow.MEASURE:
        workflow.add_measure(actor=actor, warning=warning, kind=data["kind"], amount=data.get("amount"),
                             date=data["date"], note=data.get("note") or "")
    elif step == workflow.CLEAR:
        workflow.clear(actor=actor, warning=warning, reason=data["reason"], date=data["date"])
    else:
        workflow.hand_over(actor=actor, warning=warning, note=data["note"])


def _step(request: HttpRequest, id: int, step: str) -> HttpResponse:  # noqa: A002
    warning = selectors.get_warning(request.user, id)
    if request.method != "POST":
        return redirect("monitoring_warning", id=warning.pk)
    if not workflow.may_act(request.user, warning):
        raise PermissionDenied(_(ACTING_ROLES_ONLY))
    form = STEP_FORMS[step](request.POST)
    if form.is_valid():
        try:
            _run_step(request, warning, step, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            done = _("已记录帮扶措施") if step == workflow.MEASURE else _("已记录:%(status)s") % {
                "status": warning.get_status_display()}
            messages.success(request, done)
            return redirect("monitoring_warning", id=warning.pk)
    warning.refresh_from_db(fields=["status"])
    log_full_read(request.user, "warning", str(warning.pk), request)
    forms = {f"{step}_form": form}
    if form.errors.get(NON_FIELD_ERRORS) and step not in workflow.next_steps(request.user, warning):
        forms = {}  # the warning moved on meanwhile: show the message, and the forms of its new status
        messages.error(request, " ".join(form.errors[NON_FIELD_ERRORS]))
    return render(request, "monitoring/warning_detail.html", _detail_context(request, warning, **forms))


@login_required
def warning_verify(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.VERIFY)


@login_required
def warning_measure(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.MEASURE)


@login_required
def warning_clear(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.CLEAR)


@login_required
def warning_hand_over(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _step(request, id, workflow.HAND_OVER)
