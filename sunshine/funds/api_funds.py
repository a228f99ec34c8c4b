"""The funds API: funds with their reconciliation, one fund's trail down to its projects, and the payment
search. Read through sunshine.funds.selectors (the reader's scope: 404 outside it); ID numbers masked by role;
reads of full numbers go to the access log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router

from sunshine.core.api import READ_ERRORS, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.core.scope import show_id_number
from sunshine.funds import api_credit, reconcile, selectors
from sunshine.funds.models import Fund, Payment
from sunshine.funds.schemas_funds import FundPage, FundQuery, FundTrailOut, PaymentOut, PaymentPage, PaymentQuery

router = Router(tags=["funds 资金"])
api_credit.mount(router)  # /loans, /assets (issue 14): added first, so that /{id} below does not take them


def sums_out(s: reconcile.FundSums) -> dict[str, Any]:
    return {"issued": s.issued, "allocated": s.allocated, "idle": s.idle, "spent": s.spent, "unspent": s.unspent,
            "reconciles": s.reconciles}


def fund_out(fund: Fund, sums: reconcile.FundSums) -> dict[str, Any]:
    return {"id": fund.pk, "fund_no": fund.fund_no, "document_no": fund.document_no, "source": fund.source,
            "source_label": fund.get_source_display(), "year": fund.year, "county_code": fund.county_id,
            "county_name": fund.county.name, "issued_date": fund.issued_date, "amount": fund.amount,
            "sums": sums_out(sums)}


def payment_out(reader: Any, p: Payment) -> dict[str, Any]:
    household = p.household
    return {"id": p.pk, "payment_no": p.payment_no, "name": p.name,
            "id_number": show_id_number(reader, p.id_number) if p.id_number else "",
            "household_no": household.household_no if household else p.household_no,
            "in_registry": household is not None, "village_code": household.village_id if household else None,
            "item": p.item, "item_label": p.get_item_display(), "period": p.period, "amount": p.amount,
            "paid_date": p.paid_date, "fund_id": p.fund_id, "fund_no": p.fund.fund_no if p.fund_id else None,
            "project_id": p.project_id, "project_no": p.project.project_no if p.project_id else None,
            "loan_no": p.loan_no}


@router.get("", response={200: FundPage, **READ_ERRORS}, summary="资金指标列表及对账(您的管辖范围;可筛选、分页)")
def list_funds(request: HttpRequest, filters: Query[FundQuery]) -> dict[str, Any]:
    wanted = selectors.FundFilter(year=filters.year, source=filters.source, division=filters.division,
                                  q=filters.q)
    qs = selectors.funds(request.auth, wanted)
    sums = reconcile.fund_sums(qs)
    everything = list(qs)
    start = (filters.page - 1) * filters.page_size
    rows = everything[start:start + filters.page_size]
    return {"count": len(everything), "page": filters.page, "page_size": filters.page_size,
            "total": sums_out(reconcile.totals(sums.values())),
            "by_source": [{"source": t.source, "source_label": t.label, "funds": t.funds, "sums": sums_out(t.sums)}
                          for t in reconcile.totals_by_source(everything, sums)],
            "items": [fund_out(f, sums[f.pk]) for f in rows]}


@router.get("/payments", response={200: PaymentPage, **READ_ERRORS},
            summary="到户资金查询(姓名、身份证号、户编号、补贴项目、所属期、资金、项目;您的管辖范围)")
def list_payments(request: HttpRequest, filters: Query[PaymentQuery]) -> dict[str, Any]:
    wanted = selectors.PaymentFilter(name=filters.name, id_number=filters.id_number,
                                     household_no=filters.household_no, item=filters.item, period=filters.period,
                                     fund=filters.fund, project=filters.project, division=filters.division,
                                     year=filters.year)
    try:
        qs = selectors.payments(request.auth, wanted)
    except selectors.BadIdNumber as exc:
        raise ValidationError({"id_number": [str(exc)]}) from exc
    count, rows = paginate(qs, filters.page, filters.page_size)
    if rows and request.auth.can_see_full_personal_data:
        log_access(user=request.auth, action=AccessAction.VIEW_FULL, object_type="payment_list",
                   object_ref=str(filters.page), detail=mask_text(request.GET.urlencode()), request=request)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "total_amount": selectors.payment_total(qs), "items": [payment_out(request.auth, p) for p in rows]}


@router.get("/payments/{id}", response={200: PaymentOut, **READ_ERRORS}, summary="一笔到户资金发放")
def get_payment(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the path parameter
    payment = selectors.get_payment(request.auth, id)
    log_full_read(request.auth, "payment", payment.payment_no, request)
    return payment_out(request.auth, payment)


@router.get("/{id}", response={200: FundTrailOut, **READ_ERRORS},
            summary="资金去向:拨付到的项目、各项目支出与到户发放,以及各级对账")
def get_fund_trail(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the path parameter
    fund = selectors.get_fund(request.auth, id)
    trail = reconcile.fund_trail(fund)
    ids = [line.project.pk for line in trail.projects]
    payments, households = selectors.payment_counts(ids), selectors.household_counts(ids)
    projects = []
    for line in trail.projects:
        p = line.project
        projects.append({
            "id": p.pk, "project_no": p.project_no, "name": p.name, "division_code": p.division_id,
            "division_name": p.division.name, "category": p.category, "status": p.status, "budget": p.budget,
            "from_fund": line.from_fund, "fund_spent": line.fund_spent, "fund_unspent": line.fund_unspent,
            "sums": {"allocated": line.sums.allocated, "expenditures": line.sums.expenditures,
                     "payments": line.sums.payments, "spent": line.sums.spent, "unspent": line.sums.unspent},
            "allocations": [{"date": a.date, "amount": a.amount} for a in line.allocations],
            "payment_count": payments.get(p.pk, 0), "household_count": households.get(p.pk, 0),
        })
    return {**fund_out(fund, trail.sums), "projects": projects, "direct_payments": trail.direct_payments}
