"""Monitored households outside the registry (边缘户): the list with a form to enter one by hand, and one
household with its warnings. Reads go through the selectors (the reader's scope); the entry goes through
sunshine.monitoring.monitored.create_monitored, which checks the data and the actor's scope."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.monitoring import display, selectors, workflow
from sunshine.monitoring.forms import MonitoredFilterForm, MonitoredForm
from sunshine.monitoring.templatetags.monitoring_warnings import with_measures

PAGE_SIZE = 50


def may_create(user: object) -> bool:
    """The roles that take steps on warnings also enter monitored households."""
    return bool(getattr(user, "is_authenticated", False) and user.role_set & workflow.ROLES_THAT_ACT)  # type: ignore[attr-defined]


def _create(request: HttpRequest, form: MonitoredForm) -> HttpResponse | None:
    """Enter the household; a redirect to its page, or None with the errors on the form."""
    from sunshine.monitoring import monitored  # helper M2a's service module

    try:
        created = monitored.create_monitored(actor=request.user, **form.service_fields())
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return None
    except PermissionDenied as exc:  # a division outside the actor's scope: say so on the form
        form.add_error("division_code", str(exc))
        return None
    messages.success(request, _("已登记监测户 %(number)s") % {"number": created.number})
    return redirect("monitoring_monitored", id=created.pk)


@login_required
def monitored_list(request: HttpRequest) -> HttpResponse:
    reader = request.user
    creating = may_create(reader)
    create_form = MonitoredForm(reader=reader) if creating else None
    if request.method == "POST":
        if not creating:
            raise PermissionDenied(_("您的角色只能查看监测户,登记由村、乡镇、县级人员办理"))
        create_form = MonitoredForm(request.POST, reader=reader)
        if create_form.is_valid():
            done = _create(request, create_form)
            if done is not None:
                return done
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    filter_form = MonitoredFilterForm(request.GET or None, reader=reader)
    qs = selectors.monitored_households(reader, filter_form.to_filter())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [display.monitored_item(reader, m) for m in page.object_list]
    if rows and reader.can_see_full_personal_data:
        log_access(user=reader, action=AccessAction.VIEW_FULL, object_type="monitored_list",
                   object_ref=str(page.number), detail=mask_text(request.GET.urlencode()), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "monitoring/monitored_list.html", {
        "filter_form": filter_form, "create_form": create_form, "page": page, "rows": rows,
        "query": query.urlencode(), "open_form": request.method == "POST",
    })


@login_required
def monitored_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    reader = request.user
    household = selectors.get_monitored(reader, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(reader, "monitored", str(household.pk), request)
    on = workflow.today()
    warnings = selectors.warnings(reader, selectors.WarningFilter(monitored=household.pk), today=on)
    return render(request, "monitoring/monitored_detail.html", {
        "household": household, "item": display.monitored_item(reader, household),
        "village_path": [d.name for d in household.division.ancestors() if d.level != "province"] + [
            household.division.name],
        "warnings": with_measures(reader, list(warnings.order_by("-year", "deadline", "id")), on),
    })
