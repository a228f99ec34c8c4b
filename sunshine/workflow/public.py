"""The public notice site (村级公示): no login, no scope. It shows only cases whose notice period includes today,
with the name masked (张*三), the village, the period and the reason: never an ID number, a phone number or a
birth date. Anyone may file an objection; the service holds the case until an official handles it."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sunshine.core.ids import mask_text
from sunshine.core.models import Division
from sunshine.workflow import services
from sunshine.workflow.choices import OPEN_CASE_STATUSES, Step
from sunshine.workflow.forms import ObjectionForm
from sunshine.workflow.models import Case
from sunshine.workflow.views_common import mask_name, subject_name, today

# Digits long enough to be a phone number or a date written without separators; and dates with them.
_LONG_DIGITS = re.compile(r"\d{7,}")
_DATE = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?")


def in_notice() -> QuerySet[Case]:
    on = today()
    return Case.objects.filter(notice_start__lte=on, notice_end__gte=on, status__in=OPEN_CASE_STATUSES,
                               awaiting_step=Step.VILLAGE_NOTICE)


def public_text(text: str) -> str:
    """A reason written by a clerk, fit for the public: ID numbers, phone numbers and dates removed."""
    text = mask_text(text or "")
    text = _LONG_DIGITS.sub(lambda m: "*" * len(m.group(0)), text)
    return _DATE.sub("****", text)


def _row(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "type_label": case.get_case_type_display(), "name": mask_name(subject_name(case)),
            "village": case.division.name, "notice_start": case.notice_start, "notice_end": case.notice_end,
            "reason": public_text(case.reason), "on_hold": case.status == "on_hold"}


@require_http_methods(["GET", "HEAD"])
def notices(request: HttpRequest) -> HttpResponse:
    villages = (in_notice().values("division_id").annotate(n=Count("pk")).order_by("division_id"))
    names = dict(Division.objects.filter(code__in=[v["division_id"] for v in villages]).values_list("code", "name"))
    rows = [{"code": v["division_id"], "name": names.get(v["division_id"], ""), "n": v["n"]} for v in villages]
    return render(request, "workflow/public_notices.html", {"villages": rows, "today": today()})


def _village(code: str) -> tuple[Division, list[Case]]:
    cases = list(in_notice().filter(division_id=code).select_related("division", "household", "monitored")
                 .order_by("notice_start", "pk"))
    if not cases:
        raise Http404(_("该村目前没有正在公示的名单"))
    return cases[0].division, cases


def _render(request: HttpRequest, code: str, forms: dict[int, ObjectionForm] | None = None,
            thanks: bool = False, status: int = 200) -> HttpResponse:
    village, cases = _village(code)
    forms = forms or {}
    rows = [{**_row(c), "form": forms.get(c.pk) or ObjectionForm(initial={"case": c.pk}, auto_id=f"c{c.pk}_%s")}
            for c in cases]
    return render(request, "workflow/public_notice.html", {"village": village, "rows": rows, "thanks": thanks,
                                                           "today": today()}, status=status)


@require_http_methods(["GET", "HEAD"])
def notice(request: HttpRequest, code: str) -> HttpResponse:
    return _render(request, code)


@require_http_methods(["POST"])
def notice_object(request: HttpRequest, code: str) -> HttpResponse:
    """One objection; the case id is in the body (the village's page has one form per case)."""
    cases = _village(code)[1]
    by_id = {c.pk: c for c in cases}
    raw = request.POST.get("case", "")
    case_id = int(raw) if raw.isdigit() else 0
    if case_id not in by_id:
        raise Http404(_("该案件不在公示期内"))
    form = ObjectionForm(request.POST, auto_id=f"c{case_id}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_objection(case=by_id[case_id], name=data["name"], contact=data["contact"],
                                      content=data["content"], today=today())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _render(request, code, thanks=True)
    return _render(request, code, forms={case_id: form}, status=400)
