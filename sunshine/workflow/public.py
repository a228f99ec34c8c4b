"""The public notice site (村级公示): no login, no scope. It shows only cases whose notice period includes today,
with the name masked (张*三), the village, the period and the reason: never an ID number, a phone number or a
birth date. Anyone may file an objection (rate-limited per address and per case, post/redirect/get); the service holds
the case until an official handles it, unless the objection is obviously empty or repeated."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sunshine.core.http import client_ip
from sunshine.core.ids import mask_text
from sunshine.core.models import Division
from sunshine.disclosure.portal.cache import public_page
from sunshine.workflow import services
from sunshine.workflow.choices import OPEN_CASE_STATUSES, Step
from sunshine.workflow.forms import ObjectionForm
from sunshine.workflow.models import Case
from sunshine.workflow.services.objections import RateLimited
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


def _row(case: Case, on: dt.date) -> dict[str, Any]:
    return {"id": case.pk, "type_label": case.get_case_type_display(), "name": mask_name(subject_name(case)),
            "village": case.division.name, "notice_start": case.notice_start, "notice_end": case.notice_end,
            "days_left": (case.notice_end - on).days + 1 if case.notice_end else 0,
            "reason": public_text(case.reason), "on_hold": case.status == "on_hold"}


def issuer(village: Division) -> dict[str, str]:
    """Who issues a village's notice: its township and county, the county's office and the phone to call."""
    township = village.parent
    county = township.parent if township is not None else None
    county_name = county.name if county is not None else ""
    office = settings.SUNSHINE_NOTICE_OFFICE or (f"{county_name}扶贫开发领导小组办公室" if county_name else "")
    return {"township": township.name if township is not None else "", "county": county_name,
            "office": office, "phone": settings.SUNSHINE_NOTICE_PHONE}


@require_http_methods(["GET", "HEAD"])
@public_page  # anonymous reads: a short cache (no form on the page)
def notices(request: HttpRequest) -> HttpResponse:
    villages = (in_notice().values("division_id").annotate(n=Count("pk")).order_by("division_id"))
    by_code = Division.objects.select_related("parent__parent").in_bulk([v["division_id"] for v in villages])
    rows = [{"code": v["division_id"], "name": by_code[v["division_id"]].name, "n": v["n"],
             **issuer(by_code[v["division_id"]])} for v in villages if v["division_id"] in by_code]
    return render(request, "workflow/public_notices.html", {
        "villages": rows, "today": today(), "phone": settings.SUNSHINE_NOTICE_PHONE})


def _village(code: str) -> tuple[Division, list[Case]]:
    cases = list(in_notice().filter(division_id=code).select_related("division__parent__parent", "household",
                                                                      "monitored")
                 .order_by("notice_start", "pk"))
    if not cases:
        raise Http404(_("该村目前没有正在公示的名单"))
    return cases[0].division, cases


@require_http_methods(["GET", "HEAD"])
@public_page  # anonymous reads: a short cache (no form on the page)
def notice(request: HttpRequest, code: str) -> HttpResponse:
    village, cases = _village(code)
    on = today()
    return render(request, "workflow/public_notice.html", {
        "village": village, "rows": [_row(c, on) for c in cases], "today": on, **issuer(village)})


def _case_in_notice(code: str, case_id: int) -> tuple[Division, Case]:
    village, cases = _village(code)
    found = next((c for c in cases if c.pk == case_id), None)
    if found is None:
        raise Http404(_("该案件不在公示期内"))
    return village, found


def _submit(request: HttpRequest, code: str, case: Case, form: ObjectionForm) -> HttpResponse | None:
    """File the objection; after success a redirect (post/redirect/get: a refresh does not send it again)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        services.submit_objection(case=case, name=data["name"], contact=data["contact"], content=data["content"],
                                  today=today(), address=client_ip(request))
    except RateLimited as exc:
        return render(request, "public_limited.html", {
            "message": exc.message, "back_url": reverse("public_notice", args=[code]),
            "back_label": _("返回公示名单"), **issuer(case.division)}, status=429)
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return None
    messages.success(request, _("感谢您的反映,异议已登记。工作人员将在核实后处理,您的联系方式仅供核实,予以保密。"))
    return redirect("public_notice", code=code)


@require_http_methods(["GET", "HEAD", "POST"])
def objection(request: HttpRequest, code: str, id: int) -> HttpResponse:  # noqa: A002 — the URL parameter's name
    """One case's objection form (the 提出异议 button of its row)."""
    village, case = _case_in_notice(code, id)
    form = ObjectionForm(request.POST if request.method == "POST" else None, initial={"case": case.pk})
    if request.method == "POST":
        done = _submit(request, code, case, form)
        if done is not None:
            return done
    return render(request, "workflow/public_objection.html", {
        "village": village, "row": _row(case, today()), "form": form, **issuer(village)},
        status=400 if request.method == "POST" else 200)


@require_http_methods(["POST"])
def notice_object(request: HttpRequest, code: str) -> HttpResponse:
    """One objection with the case id in the body (kept for forms posted to the village's address)."""
    raw = request.POST.get("case", "")
    village, case = _case_in_notice(code, int(raw) if raw.isdigit() else 0)
    form = ObjectionForm(request.POST)
    done = _submit(request, code, case, form)
    if done is not None:
        return done
    return render(request, "workflow/public_objection.html", {
        "village": village, "row": _row(case, today()), "form": form, **issuer(village)}, status=400)
