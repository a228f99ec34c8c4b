"""The report pack on the web: ``/dashboard/report/?division=&year=&format=``. Without a format, the tables as a
page with the two download buttons; with format=xlsx|pdf, the file (an export, in the access log). Scoped like
every page: a division outside the reader's scope is 404, for every format."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sunshine.dashboard import selectors
from sunshine.dashboard.report.export import CONTENT_TYPES, FORMATS, produce
from sunshine.dashboard.report.tables import build, printable
from sunshine.dashboard.report.xlsx import subtitle


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "").strip()
    if not text:
        years = selectors.years_available()
        return years[-1] if years else settings.SUNSHINE_DEFAULT_YEAR
    if not text.isdigit():
        raise Http404(_("年度无效"))
    return int(text)


def _division_code(request: HttpRequest) -> str:
    code = request.GET.get("division", "").strip() or (request.user.division_id or "")
    if not code:
        raise Http404(_("您的账号未设置所属区划"))
    return code


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    code, year = _division_code(request), _year(request)
    format_ = request.GET.get("format", "").strip().lower()
    if format_ and format_ not in FORMATS:
        selectors.division(request.user, code)  # outside the scope: 404 whatever the format
        raise Http404(_("报表格式应为 xlsx 或 pdf"))
    if format_:
        made = produce(reader=request.user, division_code=code, year=year, format_=format_, request=request)
        response = HttpResponse(made.data, content_type=CONTENT_TYPES[format_])
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        response["Cache-Control"] = "no-store"
        return response
    pack = build(reader=request.user, division_code=code, year=year)
    return render(request, "dashboard/report_page.html", {
        "pack": pack, "subtitle": subtitle(pack), "tables": [printable(t) for t in pack.tables],
        "year": year, "years": selectors.years_available(), "formats": FORMATS,
    })
