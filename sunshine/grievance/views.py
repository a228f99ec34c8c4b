"""Staff pages of the 12317 grievances: list (scoped, filters), export (no reporter columns), fast intake,
detail with events and the actions of the reader's role, the reporter page (supervisors of the county or above
only, logged) and statistics. URL parameters are named id (tests/test_scope.py)."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.scope import show_text
from sunshine.grievance import selectors, services
from sunshine.grievance.forms import ActionForm, GrievanceFilterForm, IntakeForm
from sunshine.grievance.models import GrievanceEvent

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[GrievanceFilterForm, dict]:
    form = GrievanceFilterForm(request.GET or None, reader=request.user)
    return form, (form._data() if request.GET else {})


@login_required
def grievance_list(request: HttpRequest) -> HttpResponse:
    on = services.today()
    form, data = _filters(request)
    qs = selectors.filtered(request.user, data, on)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [selectors.row(g, request.user, on) for g in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "grievance/list.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "may_register": services.is_operator(request.user, request.user.division_id or "")})


@login_required
def grievance_export(request: HttpRequest) -> HttpResponse:
    """CSV of the filtered list: the columns of selectors.EXPORT_COLUMNS, never a reporter column."""
    on = services.today()
    _form, data = _filters(request)
    qs = selectors.filtered(request.user, data, on)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in selectors.EXPORT_COLUMNS])
    count = 0
    for g in qs.iterator(chunk_size=1000):
        r = selectors.row(g, request.user, on)
        writer.writerow(["" if r[key] is None else r[key] for key, _ in selectors.EXPORT_COLUMNS])
        count += 1
    log_access(user=request.user, action=AccessAction.EXPORT, object_type="grievance", object_ref="list",
               detail=f"{count} 条", request=request)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="grievances.csv"'
    return response


@login_required
@sensitive_post_parameters("reporter_name", "reporter_phone")  # never in an error report
@require_http_methods(["GET", "HEAD", "POST"])
def grievance_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.is_operator(user, user.division_id or ""):
        raise PermissionDenied(_("登记12317举报由县级受理部门(县级管理、监督)办理"))
    form = IntakeForm(request.POST or None, reader=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            grievance, code = services.register(
                actor=user, channel=d["channel"], category=d["category"], division_code=d["division"],
                subject=d["subject"], content=d["content"], reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"], anonymous=d["anonymous"], confidential=d["confidential"],
                links={k: d.get(k) for k in services.LINK_FIELDS})
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            # The query code is shown once, on this response only, for the operator to read to the caller.
            return render(request, "grievance/registered.html", {"g": grievance, "code": code})
    return render(request, "grievance/new.html", {"form": form}, status=400 if form.errors else 200)


def _cadre_of(grievance) -> object | None:  # noqa: ANN001
    if not grievance.household_id:
        return None
    from sunshine.monitoring.runs import cadre_for

    return cadre_for(grievance.household)


@login_required
def grievance_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    user = request.user
    g = selectors.grievance_for(user, id)
    on = services.today()
    events = GrievanceEvent.objects.filter(grievance=g).select_related("actor").order_by("at", "id")
    return render(request, "grievance/detail.html", {
        "g": g, "content": show_text(user, g.content), "subject": show_text(user, g.subject),
        "findings": show_text(user, g.findings), "measures": show_text(user, g.measures),
        "events": [{"e": e, "note": show_text(user, e.note), "label": selectors.EVENT_LABELS.get(e.action, e.action),
                    "old": selectors.state_label(e.from_state), "new": selectors.state_label(e.to_state)}
                   for e in events],
        "overdue": selectors.is_overdue(g, on), "actions": services.available_actions(user, g),
        "form": ActionForm(reader=user), "may_see_reporter": selectors.may_see_reporter(user, g),
        "cadre": _cadre_of(g)})


@login_required
def grievance_reporter(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """The reporter of one grievance: supervisors of its county or above only; every read is logged."""
    g = selectors.grievance_for(request.user, id)
    reporter = selectors.reporter_for(request.user, g, request)
    if reporter is None:
        raise PermissionDenied(_("反映人信息仅县级及以上纪检监督人员可查看"))
    return render(request, "grievance/reporter.html", {"g": g, "reporter": reporter})


@login_required
def grievance_act(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    user = request.user
    g = selectors.grievance_for(user, id)  # scope first: another village gets 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ActionForm(request.POST, reader=user)
    form.is_valid()
    d = {k: v for k, v in form.cleaned_data.items()}
    action = str(request.POST.get("action", ""))
    try:
        if action == "accept":
            services.accept(actor=user, grievance=g, note=d.get("note", ""))
        elif action == "reject":
            services.reject(actor=user, grievance=g, reason=d.get("reason", ""))
        elif action == "assign":
            services.assign(actor=user, grievance=g, division_code=str(request.POST.get("division", "")),
                            note=d.get("note", ""))
        elif action == "investigate":
            services.investigate(actor=user, grievance=g, note=d.get("note", ""))
        elif action == "note":
            services.note(actor=user, grievance=g, text=d.get("note", ""))
        elif action == "conclude":
            services.conclude(actor=user, grievance=g, outcome=d.get("outcome", ""), findings=d.get("findings", ""),
                              measures=d.get("measures", ""))
        elif action == "follow_up":
            services.follow_up(actor=user, grievance=g, satisfaction=d.get("satisfaction", ""),
                               note=d.get("note", ""))
        elif action == "archive":
            services.archive(actor=user, grievance=g, note=d.get("note", ""))
        else:
            messages.error(request, _("未知的操作"))
            return redirect("grievance_detail", id=g.pk)
    except services.GrievanceConflict as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("grievance_detail", id=g.pk)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("grievance_detail", id=g.pk)
    messages.success(request, _("已办理"))
    return redirect("grievance_detail", id=g.pk)


@login_required
def grievance_stats(request: HttpRequest) -> HttpResponse:
    on = services.today()
    form, data = _filters(request)
    qs = selectors.filtered(request.user, data, on)
    return render(request, "grievance/stats.html", {"form": form, "s": selectors.stats(qs),
                                                    "overdue": qs.filter(selectors.overdue_q(on)).count()})
