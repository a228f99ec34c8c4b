"""The public 12317 form and progress page (services.md §1, §4): no login, rate-limited (core.ratelimit).

The form first asks for the county (a plain GET form, so it works without JavaScript), then offers that county's
townships and villages. On success the query code is shown once, on the response itself — never in a URL, an
email or a redirect — and only its keyed hash is stored. The progress page takes the code by POST (so it never
lands in a URL or a server log) and shows the public-safe progress: no reporter data, no names, no
investigators' notes. Wrong codes are limited per address and per code."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from sunshine.core import ratelimit
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.grievance import selectors, services
from sunshine.grievance.choices import Channel
from sunshine.grievance.forms import ProgressForm, PublicForm
from sunshine.grievance.services import normalize_code

SUBMIT_PER_HOUR = 5
SUBMIT_PER_DAY = 20
QUERY_PER_HOUR = 10          # wrong query codes per address
QUERY_PER_CODE = 5           # and per code


def _office() -> dict[str, str]:
    return {"office": settings.SUNSHINE_NOTICE_OFFICE or _("县扶贫开发领导小组办公室"),
            "phone": settings.SUNSHINE_NOTICE_PHONE}


def submit_limits(address: str) -> list[ratelimit.Limit]:
    return [ratelimit.Limit("grievance_submit", address, SUBMIT_PER_HOUR, ratelimit.HOUR,
                            _("同一来源一小时内最多提交%(n)s件举报,请稍后再试") % {"n": SUBMIT_PER_HOUR}),
            ratelimit.Limit("grievance_submit_day", address, SUBMIT_PER_DAY, ratelimit.DAY,
                            _("同一来源一天内最多提交%(n)s件举报,请明天再试") % {"n": SUBMIT_PER_DAY})]


def query_limits(address: str, code: str) -> list[ratelimit.Limit]:
    message = _("查询码错误次数过多,请一小时后再试")
    return [ratelimit.Limit("grievance_query", address, QUERY_PER_HOUR, ratelimit.HOUR, message),
            ratelimit.Limit("grievance_query_code", code, QUERY_PER_CODE, ratelimit.HOUR, message)]


def _limited(request: HttpRequest, message: str, back: str) -> HttpResponse:
    return render(request, "public_limited.html", {"message": message, "back_url": back,
                                                   "back_label": _("返回"), **_office()}, status=429)


@sensitive_post_parameters("reporter_name", "reporter_phone")  # never in an error report
@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    counties = list(Division.objects.filter(level=DivisionLevel.COUNTY).order_by("code").values_list("code", "name"))
    county_code = str(request.POST.get("county") or request.GET.get("county") or "")
    county = Division.objects.filter(code=county_code, level=DivisionLevel.COUNTY).first()
    context = {"counties": counties, "county": county, **_office()}
    address = ratelimit.client_address(request)
    try:
        if request.method == "POST":   # every submission counts, well-formed or not
            ratelimit.check_and_hit(submit_limits(address))
        elif county_code:              # the county picker is a form too
            ratelimit.check_and_hit([ratelimit.Limit(
                "grievance_county", address, settings.SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE,
                dt.timedelta(minutes=1), _("操作过于频繁,请稍后再试"))])
    except ratelimit.RateLimited as exc:
        return _limited(request, exc.message, reverse("public_grievance"))
    if county is None:
        return render(request, "grievance/public/report.html", context)
    form = PublicForm(request.POST if request.method == "POST" else None, county=county)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            grievance, code = services.register(
                actor=None, channel=Channel.WEB, category=d["category"], division_code=d["division"],
                subject=d["subject"], content=d["content"], reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"], anonymous=d["anonymous"], confidential=d["confidential"])
        except ratelimit.RateLimited as exc:
            return _limited(request, exc.message, reverse("public_grievance"))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return render(request, "grievance/public/submitted.html",
                          {"number": grievance.number, "code": code, **_office()})
    return render(request, "grievance/public/report.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def progress(request: HttpRequest) -> HttpResponse:
    form = ProgressForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {"form": form, **_office()}
    if request.method == "POST" and form.is_valid():
        code = normalize_code(form.cleaned_data["code"])
        limits = query_limits(ratelimit.client_address(request), code)
        try:
            ratelimit.check(limits)
        except ratelimit.RateLimited as exc:
            return _limited(request, exc.message, reverse("public_grievance_progress"))
        found = selectors.public_progress(code)
        if found is None:
            ratelimit.hit(limits)
            form.add_error("code", _("查询码不正确"))
            return render(request, "grievance/public/progress.html", context, status=404)
        ratelimit.clear(limits[1:])
        context["p"] = found
    return render(request, "grievance/public/progress.html", context)
