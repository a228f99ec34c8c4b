"""The annual dynamic adjustment (年度动态调整) of a county: open it (cases in bulk from assessment results and
warnings), follow its cases by township, close the year.

An adjustment is visible to readers whose division contains its county (the selectors); the progress table
counts only the cases the reader may see."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.core.choices import Role
from sunshine.core.models import Division, User
from sunshine.workflow import selectors, services
from sunshine.workflow.choices import CaseStatus, CaseType
from sunshine.workflow.forms import AdjustmentForm
from sunshine.workflow.models import AnnualAdjustment

ROLES_THAT_ADJUST = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})


def _may_adjust(reader: User) -> bool:
    return bool(reader.role_set & ROLES_THAT_ADJUST)


@login_required
def adjustment_list(request: HttpRequest) -> HttpResponse:
    reader = request.user
    form = AdjustmentForm(request.POST or None, initial={"county_code": (reader.scope_prefix or "")[:6].ljust(12, "0")
                                                         if len(reader.scope_prefix or "") >= 6 else ""})
    if request.method == "POST":
        if not _may_adjust(reader):
            raise PermissionDenied(_("只有县级管理人员可以发起年度动态调整"))
        if form.is_valid():
            try:
                adjustment = services.open_adjustment(actor=reader, county_code=form.cleaned_data["county_code"],
                                                      year=form.cleaned_data["year"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("已发起 %(a)s") % {"a": str(adjustment)})
                return redirect("workflow_adjustment", id=adjustment.pk)
    rows = selectors.visible_adjustments(reader).annotate(n=Count("cases")).order_by("-year", "county__code")
    return render(request, "workflow/adjustment_list.html", {
        "adjustments": rows, "form": form if _may_adjust(reader) else None})


def progress(reader: User, adjustment: AnnualAdjustment) -> dict[str, Any]:
    """Cases of the adjustment the reader may see, by township: type × status counts."""
    qs = (selectors.visible_cases(reader).filter(adjustment=adjustment)
          .annotate(township=Substr("division__code", 1, 9))
          .values("township", "case_type", "status").annotate(n=Count("pk")).order_by())
    table: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for row in qs:
        table[row["township"]][(row["case_type"], row["status"])] = row["n"]
        totals[(row["case_type"], row["status"])] += row["n"]
    names = dict(Division.objects.filter(code__in=[t.ljust(12, "0") for t in table]).values_list("code", "name"))
    columns = [(t, s) for t, _l in CaseType.choices for s, _m in CaseStatus.choices
               if any((t, s) in counts for counts in table.values())]
    return {
        "columns": [{"type": t, "status": s, "label": f"{CaseType(t).label}·{CaseStatus(s).label}"}
                    for t, s in columns],
        "rows": [{"code": code.ljust(12, "0"), "name": names.get(code.ljust(12, "0"), code),
                  "counts": [table[code].get(col, 0) for col in columns],
                  "open": sum(n for (t, s), n in table[code].items() if s in (CaseStatus.IN_PROGRESS,
                                                                             CaseStatus.ON_HOLD)),
                  "total": sum(table[code].values())} for code in sorted(table)],
        "totals": [totals.get(col, 0) for col in columns], "total": sum(totals.values()),
    }


@login_required
def adjustment_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    reader = request.user
    adjustment = selectors.get_adjustment(reader, id)
    if request.method == "POST":
        if not _may_adjust(reader) or not adjustment.county.code.startswith(reader.scope_prefix or "-"):
            raise PermissionDenied(_("只有本县县级管理人员可以结束年度动态调整"))
        try:
            services.close_adjustment(actor=reader, adjustment=adjustment,
                                      withdraw_open=request.POST.get("withdraw_open") == "on")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已结束 %(a)s") % {"a": str(adjustment)})
        return redirect("workflow_adjustment", id=adjustment.pk)
    return render(request, "workflow/adjustment_detail.html", {
        "adjustment": adjustment, "progress": progress(reader, adjustment),
        "can_close": _may_adjust(reader) and adjustment.closed_at is None
        and adjustment.county.code.startswith(reader.scope_prefix or "-"),
    })
