"""Reads of the funds trail, filtered by the reader's division scope (design.md: scope is enforced in one place).

A fund or allocation belongs to its county: it is visible to readers whose division contains the county (county
offices and above). A payment belongs to the payee's household's village when the payee is in the registry, else
to its county; so a village clerk sees the payments to the village's households and nothing of the county's
money. Nothing here fetches by id without the scope filter: outside it is 404, with no hint that it exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from sunshine.core.ids import InvalidIdNumber, normalize_id_number
from sunshine.core.scope import scope_q
from sunshine.funds.models import Allocation, Expenditure, Fund, Payment, Project

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.registry.models import Household

NOT_FOUND = "资金不存在或不在您的管辖范围内"
PAYMENT_NOT_FOUND = "发放记录不存在或不在您的管辖范围内"
ZERO = Decimal("0.00")


def _prefix(reader: User) -> str | None:
    return reader.scope_prefix if reader.is_authenticated and reader.is_active else None


# --- funds ----------------------------------------------------------------------------------------------------


def visible_funds(reader: User) -> QuerySet[Fund]:
    return Fund.objects.filter(scope_q(reader, "county__code")).select_related("county")


def get_fund(reader: User, fund_id: int) -> Fund:
    fund = visible_funds(reader).filter(pk=fund_id).first()
    if fund is None:
        raise Http404(NOT_FOUND)
    return fund


@dataclass
class FundFilter:
    year: int | None = None
    source: str | None = None
    division: str | None = None  # a county (or a division inside it: the county's funds)
    q: str | None = None         # 资金编号 or 文号 (contains)


def funds(reader: User, filters: FundFilter | None = None) -> QuerySet[Fund]:
    f = filters or FundFilter()
    qs = visible_funds(reader)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.division:
        # Funds are issued to counties: a township or village picked narrows to its county.
        qs = qs.filter(county__code__startswith=_division_prefix(f.division)[:6])
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(fund_no__icontains=text) | Q(document_no__icontains=text))
    return qs.order_by("-year", "county_id", "fund_no")


def visible_allocations(reader: User) -> QuerySet[Allocation]:
    return Allocation.objects.filter(scope_q(reader, "fund__county__code"))


# --- payments -------------------------------------------------------------------------------------------------


def payment_scope_q(reader: User) -> Q:
    prefix = _prefix(reader)
    if prefix is None:
        return Q(pk__in=[])
    return (Q(household__village__code__startswith=prefix)
            | Q(household__isnull=True, county__code__startswith=prefix))


def visible_payments(reader: User) -> QuerySet[Payment]:
    return (Payment.objects.filter(payment_scope_q(reader))
            .select_related("household", "household__village", "fund", "project", "county"))


def get_payment(reader: User, payment_id: int) -> Payment:
    payment = visible_payments(reader).filter(pk=payment_id).first()
    if payment is None:
        raise Http404(PAYMENT_NOT_FOUND)
    return payment


@dataclass
class PaymentFilter:
    name: str | None = None
    id_number: str | None = None  # exact, through the keyed hash (the column is encrypted)
    household_no: str | None = None
    item: str | None = None
    period: str | None = None     # YYYY matches its months too
    fund: str | None = None       # 资金编号
    project: str | None = None    # 项目编号
    division: str | None = None
    year: int | None = None       # of paid_date


class BadIdNumber(ValueError):
    """The ID number searched for is not a valid one."""


def payments(reader: User, filters: PaymentFilter | None = None) -> QuerySet[Payment]:
    from sunshine.core.crypto import keyed_hash

    f = filters or PaymentFilter()
    qs = visible_payments(reader)
    if f.name:
        qs = qs.filter(name=f.name.strip())
    if f.id_number:
        try:
            number = normalize_id_number(f.id_number)
        except InvalidIdNumber as exc:
            raise BadIdNumber(str(exc)) from exc
        digest = keyed_hash(number)
        qs = qs.filter(Q(id_number_hash=digest) | Q(id_hash=digest))
    if f.household_no:
        qs = qs.filter(Q(household__household_no=f.household_no) | Q(household_no=f.household_no))
    if f.item:
        qs = qs.filter(item=f.item)
    if f.period:
        qs = qs.filter(Q(period=f.period) | Q(period__startswith=f"{f.period}-")) if len(f.period) == 4 \
            else qs.filter(period=f.period)
    if f.fund:
        qs = qs.filter(fund__fund_no=f.fund.strip())
    if f.project:
        qs = qs.filter(project__project_no=f.project.strip())
    if f.division:
        qs = qs.filter(Q(household__village__code__startswith=_division_prefix(f.division))
                       | Q(household__isnull=True, county__code__startswith=_division_prefix(f.division)))
    if f.year:
        qs = qs.filter(paid_date__gte=dt.date(f.year, 1, 1), paid_date__lte=dt.date(f.year, 12, 31))
    return qs.order_by("-paid_date", "payment_no", "pk")


def _division_prefix(code: str) -> str:
    from sunshine.core.divisions import code_prefix

    try:
        return code_prefix(code)
    except (ValueError, KeyError):
        return code


def payment_total(qs: QuerySet[Payment]) -> Decimal:
    return qs.order_by().aggregate(s=Sum("amount"))["s"] or ZERO


def household_payments(reader: User, household: Household) -> QuerySet[Payment]:
    """Every payment the household received (资金到户), newest first, with its fund and project."""
    return visible_payments(reader).filter(household=household).order_by("-paid_date", "payment_no", "pk")


def expenditures_by_project(project_ids: list[int]) -> dict[int, list[Expenditure]]:
    """The expenditures of the projects a fund reached (the reader may see the fund: they are its county's)."""
    out: dict[int, list[Expenditure]] = {}
    for e in Expenditure.objects.filter(project_id__in=project_ids).order_by("project_id", "date", "pk"):
        out.setdefault(e.project_id, []).append(e)
    return out


def payment_counts(project_ids: list[int]) -> dict[int, int]:
    return dict(Payment.objects.filter(project_id__in=project_ids).values_list("project_id")
                .annotate(n=Count("pk")).order_by())


def household_counts(project_ids: list[int]) -> dict[int, int]:
    """project id → registry households paid by it."""
    return dict(Payment.objects.filter(project_id__in=project_ids, household__isnull=False)
                .values_list("project_id").annotate(n=Count("household", distinct=True)).order_by())


# --- funds findings -------------------------------------------------------------------------------------------


@dataclass
class KeyLink:
    label: str
    url: str  # empty: shown without a link (outside the reader's scope, or no page for it)


def finding_links(reader: User, finding: object) -> list[KeyLink]:
    """The fund, project or payments a funds finding's key names (funds.md §7: fund_no, project_no, payment
    numbers joined by ';', loan_no), each linked to its page when the reader may open it. Keys are unique within
    a county: they are looked up in the finding's county."""
    from django.urls import reverse

    from sunshine.funds.views_funds import project_url

    subject, key = getattr(finding, "subject", ""), getattr(finding, "key", "") or ""
    county = (getattr(finding, "division_id", "") or "")[:6] + "000000"
    numbers = [k.strip() for k in key.split(";") if k.strip()]
    links: list[KeyLink] = []
    if subject == "fund":
        found = dict(visible_funds(reader).filter(county_id=county, fund_no__in=numbers)
                     .values_list("fund_no", "pk"))
        links = [KeyLink(n, reverse("fund_trail", kwargs={"id": found[n]}) if n in found else "") for n in numbers]
    elif subject == "project":
        projects = Project.objects.filter(scope_q(reader, "division__code"), county_id=county,
                                          project_no__in=numbers)
        found = {p.project_no: p for p in projects}
        links = [KeyLink(n, project_url(found[n]) if n in found else "") for n in numbers]
    elif subject == "payment":
        found = dict(visible_payments(reader).filter(county_id=county, payment_no__in=numbers)
                     .values_list("payment_no", "pk"))
        links = [KeyLink(n, reverse("payment_detail", kwargs={"id": found[n]}) if n in found else "")
                 for n in numbers]
    elif subject == "loan":  # L-* findings (issue 14): the loan page
        from sunshine.funds.selectors_credit import visible_loans

        found = dict(visible_loans(reader).filter(county_id=county, loan_no__in=numbers)
                     .values_list("loan_no", "pk"))
        links = [KeyLink(n, reverse("loan_detail", kwargs={"id": found[n]}) if n in found else "") for n in numbers]
    else:
        links = [KeyLink(n, "") for n in numbers]
    return links
