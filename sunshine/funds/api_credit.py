"""The micro-credit and asset API, mounted on /api/funds: loans (list with status; one loan with its schedule,
subsidy per year and recorded extensions/renewals), assets and an asset's dividends. Read through
sunshine.funds.selectors_credit (the reader's scope: 404 outside it) and sunshine.funds.credit (the engine's
numbers); ID numbers masked by role, full reads logged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from sunshine.core.api import READ_ERRORS, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.core.scope import show_id_number, show_text
from sunshine.funds import credit
from sunshine.funds import selectors_credit as sel
from sunshine.funds.models_credit import Asset, Loan
from sunshine.funds.schemas_credit import (
    AssetDividendsOut,
    AssetPage,
    AssetQuery,
    LoanDetailOut,
    LoanPage,
    LoanQuery,
)

# (path, response, summary, view), mounted by mount() on the funds router before its /{id} (the fund trail):
# ninja matches in the order paths were added, and /loans must not be read as a fund id.
ROUTES: list[tuple[str, Any, str, Any]] = []


def route(path: str, response: Any, summary: str) -> Any:
    def add(view: Any) -> Any:
        ROUTES.append((path, response, summary, view))
        return view
    return add


def mount(router: Router) -> None:
    for path, response, summary, view in ROUTES:
        router.get(path, response=response, summary=summary)(view)


def _today() -> Any:
    from sunshine.funds.lifecycle import today

    return today()


def loan_out(reader: Any, loan: Loan, on: Any) -> dict[str, Any]:
    status, days = sel.standing(loan, on)
    household = loan.household
    return {"id": loan.pk, "loan_no": loan.loan_no, "county_code": loan.county_id, "name": loan.name,
            "id_number": show_id_number(reader, loan.id_number) if loan.id_number else "",
            "household_no": household.household_no if household else loan.household_no,
            "in_registry": household is not None, "bank": loan.bank, "loan_date": loan.loan_date,
            "due_date": loan.due_date, "extended_due_date": loan.extended_due_date, "amount": loan.amount,
            "annual_rate": loan.annual_rate, "guarantee": loan.guarantee,
            "renewal_of": loan.renewal_of.loan_no if loan.renewal_of_id else None,
            "outstanding": sel.ZERO if status == sel.SETTLED else max(loan.amount - loan.repaid, sel.ZERO),
            "status": status, "overdue_days": days}


@route("/loans", {200: LoanPage, **READ_ERRORS},
       "扶贫小额信贷列表(银行、区划、状态、放款年度;您的管辖范围)")
def list_loans(request: HttpRequest, filters: Query[LoanQuery]) -> dict[str, Any]:
    on = _today()
    qs = sel.loans(request.auth, sel.LoanFilter(bank=filters.bank, division=filters.division,
                                                status=filters.status, year=filters.year, q=filters.q, on=on))
    count, rows = paginate(qs, filters.page, filters.page_size)
    if rows and request.auth.can_see_full_personal_data:
        log_access(user=request.auth, action=AccessAction.API_READ, object_type="loan_list",
                   object_ref=str(filters.page), detail=mask_text(request.GET.urlencode()), request=request)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [loan_out(request.auth, loan, on) for loan in rows]}


@route("/loans/{id}", {200: LoanDetailOut, **READ_ERRORS},
       "一笔贷款:还款、未还本金区间、逾期天数、各年度贴息、展期和续贷记录")
def get_loan(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the path parameter
    from sunshine.core.templatetags.sunshine_tags import person

    loan = sel.get_loan(request.auth, id)
    on = _today()
    schedule = credit.schedule(loan, on)
    log_full_read(request.auth, "loan", loan.loan_no, request)
    return {**loan_out(request.auth, loan, on), "settled_on": schedule.settled_on,
            "intervals": [{"start": i.start, "end": i.end, "outstanding": i.outstanding} for i in schedule.intervals],
            "repayments": [{"date": r.date, "principal": r.principal, "interest": r.interest}
                           for r in loan.repayments.all()],
            "subsidy": [{"year": y, "subsidy": s} for y, s in sorted(schedule.subsidy_by_year.items())],
            "events": [{"action": e.action, "at": e.at, "user": person(e.user) if e.user else "",
                        "note": show_text(request.auth, e.note),
                        "new_due_date": e.new_due_date, "new_loan_no": e.new_loan.loan_no if e.new_loan_id else None}
                       for e in loan.events.select_related("user", "new_loan")]}


def asset_out(asset: Asset) -> dict[str, Any]:
    return {"id": asset.pk, "asset_no": asset.asset_no, "name": asset.name, "county_code": asset.county_id,
            "project_no": asset.project.project_no if asset.project_id else None, "kind": asset.kind,
            "division_code": asset.division_id, "value": asset.value, "formed_date": asset.formed_date,
            "operator": asset.operator, "method": asset.method, "household_ratio": asset.household_ratio,
            "villages": sorted(v.code for v in asset.villages.all()), "status": asset.status,
            "income": sel.asset_income_by_year(asset)}


@route("/assets", {200: AssetPage, **READ_ERRORS},
       "扶贫资产登记(您的管辖范围)")
def list_assets(request: HttpRequest, filters: Query[AssetQuery]) -> dict[str, Any]:
    qs = sel.assets(request.auth, sel.AssetFilter(division=filters.division, kind=filters.kind,
                                                  status=filters.status, q=filters.q))
    count, rows = paginate(qs.prefetch_related("villages"), filters.page, filters.page_size)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [asset_out(a) for a in rows]}


@route("/assets/{id}/dividends", {200: AssetDividendsOut, **READ_ERRORS},
       "一项资产各年度分红(到户与村集体;您的管辖范围内)")
def asset_dividends(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the path parameter
    asset = sel.get_asset(request.auth, id)
    items = []
    for year in sorted(sel.asset_income_by_year(asset)):
        items += [{"year": year, "household_no": r["household_no"], "division_code": r["division_code"],
                   "amount": r["amount"]}
                  for r in credit.dividends(request.auth, year).to_pylist() if r["asset_no"] == asset.asset_no]
    return {"asset_no": asset.asset_no, "items": items}
