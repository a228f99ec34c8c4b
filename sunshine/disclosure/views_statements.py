"""Benefits statements (明白册): the staff page of a household's year (scoped through the registry's selectors),
its PDF and a village's PDF (every download an export in the access log), the re-issue of a query code, and the
public self-query (no login, rate-limited, never the code or ID digits in a URL, not cached)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.ratelimit import RateLimited, client_address
from sunshine.core.scope import get_visible_division, in_scope
from sunshine.disclosure.forms_statements import SelfQueryForm
from sunshine.disclosure.statements import codes, pdf, selfquery
from sunshine.disclosure.statements.data import Statement, build_statements
from sunshine.registry.models import Household

PDF_WORKERS = 2
# The one answer to every wrong self-query, whichever part was wrong.
WRONG = _lazy("查询信息不正确,请核对户主姓名、身份证号后6位和查询码。")


READ = ("GET", "HEAD")


def _household(request: HttpRequest, household_id: int) -> Household:
    household = (in_scope(Household.objects.select_related("village"), request.user, "village__code")
                 .filter(pk=household_id).first())
    if household is None:
        raise Http404(_("农户不存在或不在您的管辖范围内"))
    return household


def _wrong_method(request: HttpRequest, allowed: tuple[str, ...]) -> HttpResponse | None:
    """405 — asked only after the scope check, so that outside the reader's scope every method gets 404."""
    return None if request.method in allowed else HttpResponseNotAllowed(allowed)


def _statement(household: Household, year: int, *, actor: User | None = None) -> Statement:
    found = build_statements(household.village, year, [household.pk])
    if not found:
        raise Http404(_("该户没有该年度的建档立卡记录"))
    statement = found[0]
    statement.code = codes.ensure_codes([household.pk], year, actor=actor)[household.pk]
    return statement


@login_required
def household_statement(request: HttpRequest, id: int, year: int) -> HttpResponse:  # noqa: A002
    household = _household(request, id)
    if (refused := _wrong_method(request, READ)) is not None:
        return refused
    statement = _statement(household, year, actor=request.user)
    show_code = codes.may_see_code(request.user)
    if show_code:
        statement.qr = pdf.qr_data_uri(statement.code)
    else:
        statement.code = ""
    return render(request, "disclosure/statements/household.html", {
        "s": statement, "household": household, "show_code": show_code, "can_reissue": show_code,
        "public_url": settings.SUNSHINE_PUBLIC_URL.rstrip("/")})


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def household_statement_pdf(request: HttpRequest, id: int, year: int) -> HttpResponse:  # noqa: A002
    household = _household(request, id)
    if (refused := _wrong_method(request, READ)) is not None:
        return refused
    statement = _statement(household, year, actor=request.user)
    rendered = pdf.render(for_reader(request.user, [statement]))
    log_access(user=request.user, action=AccessAction.EXPORT, object_type="statement_pdf",
               object_ref=f"{household.household_no}/{year}", detail=f"明白册PDF {rendered.total_pages} 页",
               request=request)
    return _pdf_response(rendered.pdf, f"statement-{household.household_no}-{year}.pdf")


def for_reader(reader: User, statements: list[Statement]) -> list[Statement]:
    """Printed with their codes and QR codes only for the roles that see and hand out codes (the others read
    the same statements without them, as on the page)."""
    if not codes.may_see_code(reader):
        for s in statements:
            s.code = s.qr = ""
    return statements


def village_statements(village: Division, year: int, *, actor: User | None = None,
                       household_ids: list[int] | None = None) -> list[Statement]:
    """Every household's statement of the village and year (or of those households), with its query code (made
    in bulk when missing)."""
    statements = build_statements(village, year, household_ids)
    found = codes.ensure_codes([s.household_id for s in statements], year, actor=actor)
    for s in statements:
        s.code = found[s.household_id]
    return statements


@login_required
def village_statements_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    village = get_visible_division(request.user, code)
    if village.level != DivisionLevel.VILLAGE:
        raise Http404(_("请选择一个村"))
    if (refused := _wrong_method(request, READ)) is not None:
        return refused
    statements = village_statements(village, year, actor=request.user)
    if not statements:
        raise Http404(_("该村该年度没有建档立卡户"))
    rendered = pdf.render(for_reader(request.user, statements), workers=PDF_WORKERS)
    log_access(user=request.user, action=AccessAction.EXPORT, object_type="statement_pdf",
               object_ref=f"{village.code}/{year}",
               detail=f"全村明白册PDF {len(statements)} 户 {rendered.total_pages} 页", request=request)
    return _pdf_response(rendered.pdf, f"statements-{village.code}-{year}.pdf")


@login_required
def reissue_code(request: HttpRequest, id: int, year: int) -> HttpResponse:  # noqa: A002
    household = _household(request, id)
    if (refused := _wrong_method(request, ("POST",))) is not None:
        return refused
    if not household.years.filter(year=year).exists():
        raise Http404(_("该户没有该年度的建档立卡记录"))
    codes.reissue(actor=request.user, household=household, year=year)   # PermissionDenied: 403
    messages.success(request, _("已重新生成查询码,原查询码即时作废。"))
    return redirect("statement_household", id=household.pk, year=year)


# --- the public self-query ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def self_query(request: HttpRequest) -> HttpResponse:
    """GET: the form (the code prefilled from ?code=, as the QR code carries it). POST: the statement when the
    head's name, the last 6 of the head's ID and the code are right; one message for any wrong answer; 429 once
    the tries of the code or the address are used up. The answer is this POST's page: nothing in a URL."""
    if request.method != "POST":
        form = SelfQueryForm(initial={"code": codes.normalize(request.GET.get("code", ""))[:8]})
        return _page(request, {"form": form})
    form = SelfQueryForm(request.POST)
    if not form.is_valid():
        return _page(request, {"form": form}, status=400)
    d = form.cleaned_data
    try:
        found = selfquery.find(name=d["name"], id_tail=d["id_tail"], code=d["code"],
                               address=client_address(request))
    except RateLimited as exc:
        return _page(request, {"form": SelfQueryForm(), "error": exc.message, "limited": True}, status=429)
    # find() has checked that the household has a record of the code's year, so there is a statement.
    statements = build_statements(found.household.village, found.year, [found.household_id]) if found else []
    if not statements:
        return _page(request, {"form": SelfQueryForm(initial={"name": d["name"]}), "error": WRONG}, status=400)
    log_access(user=None, action=AccessAction.VIEW_FULL, object_type="statement_self_query",
               object_ref=f"{found.household.household_no}/{found.year}", detail="公众自助查询明白册",
               request=request)
    return _page(request, {
        "s": statements[0], "public_url": settings.SUNSHINE_PUBLIC_URL.rstrip("/")})


def _page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    context = {"tries": settings.SUNSHINE_SELF_QUERY_TRIES_PER_HOUR, **context}
    return _no_store(render(request, "disclosure/statements/self_query.html", context, status=status))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response
