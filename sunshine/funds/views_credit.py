"""Micro-credit and asset pages: the loan list and one loan (its repayments, outstanding principal by day as a
table and a step chart, overdue days, 贴息 per year, extensions and renewals with who and when, and the county
manager's forms to record them), the county portfolio, the asset register and one asset (income, dividends per
year, disposal/scrapping record), and a village's distribution list (分红名单) with its xlsx export for the bank.
Every object is fetched through sunshine.funds.selectors_credit (the reader's scope: 404 outside it); ID numbers
and names shown as the reader may see them."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.models import Division
from sunshine.core.scope import division_visible, show_id_number
from sunshine.funds import credit, reconcile
from sunshine.funds import selectors_credit as sel
from sunshine.funds.forms_credit import (
    AssetEventForm,
    AssetFilterForm,
    DividendForm,
    ExtensionForm,
    LoanFilterForm,
    PortfolioForm,
    RenewalForm,
)
from sunshine.funds.models_credit import Loan

PAGE_SIZE = 50


def today() -> dt.date:
    from sunshine.funds.lifecycle import today as on

    return on()


def loan_row(reader: Any, loan: Loan, on: dt.date) -> dict[str, Any]:
    status, days = sel.standing(loan, on)
    household = loan.household
    return {"loan": loan, "id": loan.pk, "loan_no": loan.loan_no, "name": loan.name,
            "id_number": show_id_number(reader, loan.id_number) if loan.id_number else "",
            "household_no": household.household_no if household else loan.household_no,
            "in_registry": household is not None, "village": household.village.name if household else "",
            "bank": loan.bank, "amount": loan.amount, "loan_date": loan.loan_date, "due": loan.due,
            "extended": loan.extended_due_date is not None, "outstanding": max(loan.amount - loan.repaid, sel.ZERO)
            if status != sel.SETTLED else sel.ZERO,
            "status": status, "status_label": _(sel.STATUS_LABELS[status]), "overdue_days": days}


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    on = today()
    form = LoanFilterForm(request.GET or None, reader=request.user, banks=sel.banks(request.user))
    wanted = form.to_filter()
    wanted.on = on
    qs = sel.loans(request.user, wanted)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [loan_row(request.user, loan, on) for loan in page.object_list]
    if rows and request.user.can_see_full_personal_data:
        log_access(user=request.user, action=AccessAction.VIEW_FULL, object_type="loan_list",
                   object_ref=str(page.number), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funds/loan_list.html", {"form": form, "page": page, "rows": rows, "on": on,
                                                    "query": query.urlencode()})


def _detail_context(request: HttpRequest, loan: Loan, **forms: Any) -> dict[str, Any]:
    on = today()
    schedule = credit.schedule(loan, on)
    subsidy = schedule.subsidy_by_year
    manage = credit.can_manage(request.user, loan.county_id)
    status, _days = sel.standing(loan, on)
    events = list(loan.events.select_related("user", "new_loan"))
    return {
        "row": loan_row(request.user, loan, on), "loan": loan, "on": on, "schedule": schedule,
        "repayments": list(loan.repayments.all()), "intervals": sel.interval_rows(schedule.intervals),
        "chart": sel.step_chart(loan, schedule.intervals, on), "subsidy": sorted(subsidy.items()),
        "subsidy_total": sum(subsidy.values(), Decimal("0.00")), "events": events,
        "renewals": list(loan.renewals.all()), "can_manage": manage and status != sel.SETTLED,
        "extension_form": forms.get("extension_form") or ExtensionForm(),
        "renewal_form": forms.get("renewal_form") or RenewalForm(initial={
            "amount": max(loan.amount - loan.repaid, sel.ZERO), "annual_rate": loan.annual_rate,
            "loan_date": on}),
    }


@login_required
def loan_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    loan = sel.get_loan(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(request.user, "loan", loan.loan_no, request)
    return render(request, "funds/loan_detail.html", _detail_context(request, loan))


@login_required
def loan_extend(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _loan_action(request, id, "extension")


@login_required
def loan_renew(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    return _loan_action(request, id, "renewal")


def _loan_action(request: HttpRequest, loan_id: int, action: str) -> HttpResponse:
    loan = sel.get_loan(request.user, loan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not credit.can_manage(request.user, loan.county_id):
        raise PermissionDenied(_("只有本县扶贫办管理员可以登记展期和续贷"))
    form: ExtensionForm | RenewalForm
    if action == "extension":
        form = ExtensionForm(request.POST)
        if form.is_valid():
            try:
                credit.record_extension(actor=request.user, loan=loan, **form.cleaned_data)
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(request, _("已登记展期"))
                return redirect("loan_detail", id=loan.pk)
        context = _detail_context(request, loan, extension_form=form)
    else:
        form = RenewalForm(request.POST)
        if form.is_valid():
            try:
                new = credit.record_renewal(actor=request.user, loan=loan, **form.cleaned_data)
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(request, _("已登记续贷"))
                return redirect("loan_detail", id=new.pk)
        context = _detail_context(request, loan, renewal_form=form)
    return render(request, "funds/loan_detail.html", context, status=400)


@login_required
def loan_portfolio(request: HttpRequest) -> HttpResponse:
    form = PortfolioForm(request.GET or None, reader=request.user)
    on, division = today(), None
    if form.is_bound and form.is_valid():
        on = form.cleaned_data.get("on") or on
        division = form.cleaned_data.get("division") or None
    by_bank, by_township, total = sel.portfolio(request.user, on, division)

    def chart(lines: list[sel.PortfolioLine]) -> reconcile.Chart:
        rows: list[tuple[str, Decimal, str]] = []
        for line in lines:
            rows += [(f"{line.label} {_('余额')}", line.outstanding, "allocated"),
                     (f"{line.label} {_('逾期1–90天')}", line.overdue, "idle"),
                     (f"{line.label} {_('逾期90天以上')}", line.overdue_long, "unspent")]
        return reconcile.bar_chart(rows)

    return render(request, "funds/portfolio.html", {
        "form": form, "on": on, "by_bank": by_bank, "by_township": by_township, "total": total,
        "bank_chart": chart(by_bank), "township_chart": chart(by_township)})


# --- assets ---------------------------------------------------------------------------------------------------


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    form = AssetFilterForm(request.GET or None, reader=request.user)
    qs = sel.assets(request.user, form.to_filter())
    page = Paginator(qs.prefetch_related("villages"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funds/asset_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _asset_context(request: HttpRequest, asset: Any, form: AssetEventForm | None = None) -> dict[str, Any]:
    income = sel.asset_income_by_year(asset)
    dividends = sel.asset_dividends_by_year(request.user, asset)
    return {"asset": asset, "villages": list(asset.villages.all()), "income": sorted(income.items()),
            "dividends": dividends, "events": list(asset.events.select_related("user")),
            "can_manage": credit.can_manage(request.user, asset.county_id) and asset.status == "operating",
            "form": form or AssetEventForm(initial={"date": today()}),
            "project_visible": asset.project_id is not None
            and division_visible(request.user, asset.project.division_id)}


@login_required
def asset_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    asset = sel.get_asset(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, "funds/asset_detail.html", _asset_context(request, asset))


@login_required
def asset_event(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    asset = sel.get_asset(request.user, id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not credit.can_manage(request.user, asset.county_id):
        raise PermissionDenied(_("只有本县扶贫办管理员可以登记资产处置"))
    form = AssetEventForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            credit.record_asset_event(actor=request.user, asset=asset, **form.cleaned_data)
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("已登记资产处置"))
            return redirect("asset_detail", id=asset.pk)
    return render(request, "funds/asset_detail.html", _asset_context(request, asset, form), status=400)


@login_required
def asset_event_attachment(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """The scan attached to a disposal or scrapping record, for readers who may see the asset."""
    from sunshine.core.attachments import attachment_response
    from sunshine.funds.models_credit import AssetEvent

    event = AssetEvent.objects.filter(pk=id, asset__in=sel.visible_assets(request.user)).first()
    if event is None:
        raise Http404(_("记录不存在或不在您的管辖范围内"))
    return attachment_response(request, event.attachment, object_type="asset_event", object_ref=str(event.pk))


# --- dividends ------------------------------------------------------------------------------------------------


def _village(reader: Any, code: str) -> Division:
    """A village the reader may see (404 otherwise: no hint that it exists)."""
    village = Division.objects.filter(code=code, level="village").first()
    if village is None or not division_visible(reader, village.code):
        raise Http404(_("村不存在或不在您的管辖范围内"))
    return village


def dividend_rows(lines: list[credit.DividendLine], *, masked: bool) -> list[dict[str, Any]]:
    """credit.dividend_list's lines for a page, a file or the public notice (head names masked when ``masked``)."""
    from sunshine.funds.announcements import mask_name

    return [{"household_no": x.household_no, "assets": "、".join(sorted(set(x.assets))), "amount": x.amount,
             "head_name": (mask_name(x.head_name) if masked else x.head_name) if x.head_name else ""}
            for x in lines]


@login_required
def dividend_list(request: HttpRequest) -> HttpResponse:
    """分红名单: pick a village and a year (a village clerk's own village is preselected)."""
    form = DividendForm(request.GET or None, reader=request.user)
    village, year, rows = None, None, []
    code = (request.GET.get("division") or "").strip() or (form.fields["division"].initial or "")
    if form.is_bound and form.is_valid():
        year = form.cleaned_data.get("year")
        code = form.cleaned_data.get("division") or code
    if code and year:
        village = Division.objects.filter(code=code, level="village").first()
        if village is not None and division_visible(request.user, village.code):
            rows = dividend_rows(credit.dividend_list(request.user, village.code, year),
                                 masked=not request.user.can_see_full_personal_data)
        else:
            village = None
    return render(request, "funds/dividend_list.html", {
        "form": form, "village": village, "year": year, "rows": rows,
        "households": sum(1 for r in rows if r["household_no"]),
        "total": sum((r["amount"] for r in rows), Decimal("0.00"))})


EXPORT_HEADER = ("户编号", "户主姓名", "分红金额(元)", "资产编号")


@login_required
def dividend_export(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The distribution list as xlsx with Chinese headers, for the bank; the read is logged."""
    from sunshine.core.spreadsheet import write_records

    village = _village(request.user, code)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    lines = credit.dividend_list(request.user, village.code, year)
    rows = [r for r in dividend_rows(lines, masked=not request.user.can_see_full_personal_data) if r["household_no"]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dividends.xlsx"
        write_records(path, rows, EXPORT_HEADER,
                      lambda r: [r["household_no"], r["head_name"], float(r["amount"]), r["assets"]],
                      sheet=f"{year}分红名单")
        data = path.read_bytes()
    log_access(user=request.user, action=AccessAction.EXPORT, object_type="dividend_list",
               object_ref=f"{village.code}:{year}", request=request)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=dividends-{village.code}-{year}.xlsx"
    return response
