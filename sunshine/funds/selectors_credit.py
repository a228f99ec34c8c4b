"""Reads of micro-credit and asset income for the pages and the API, filtered by the reader's division scope.

A loan belongs to its borrower household's village when the borrower is in the registry, else to its county
(like a payment: sunshine.funds.selectors); an asset to its own division and the villages that share it. Nothing
here fetches by id without the scope filter: outside it is 404.

The interest subsidy, a loan's schedule, the portfolio and the dividends are never computed here: they come from
sunshine.funds.credit (the engine's SQL that `sunshine loans subsidy`, `sunshine assets dividends` and F-OVER use);
this module only groups them for the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from sunshine.funds.models_credit import Asset, AssetIncome, Loan, LoanRepayment

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.registry.models import Household

LOAN_NOT_FOUND = "贷款不存在或不在您的管辖范围内"
ASSET_NOT_FOUND = "资产不存在或不在您的管辖范围内"
ZERO = Decimal("0.00")
OVERDUE_LIMIT = 90  # days: 逾期 1–90 天 and 逾期 90 天以上 are reported apart (funds.md §5, L-OVERDUE)

# Loan statuses of the list filter and the portfolio.
NORMAL, OVERDUE, OVERDUE_LONG, SETTLED = "normal", "overdue", "overdue_long", "settled"
STATUS_LABELS = {NORMAL: "正常", OVERDUE: "逾期1–90天", OVERDUE_LONG: "逾期90天以上", SETTLED: "已结清"}


def _prefix(reader: User) -> str | None:
    return reader.scope_prefix if reader.is_authenticated and reader.is_active else None


def _division_prefix(code: str) -> str:
    from sunshine.funds.selectors import _division_prefix as prefix

    return prefix(code)


# --- loans ----------------------------------------------------------------------------------------------------


def loan_scope_q(reader: User, prefix_of: str = "") -> Q:
    prefix = _prefix(reader)
    if prefix is None:
        return Q(pk__in=[])
    return (Q(**{f"{prefix_of}household__village__code__startswith": prefix})
            | Q(**{f"{prefix_of}household__isnull": True, f"{prefix_of}county__code__startswith": prefix}))


def with_standing(qs: QuerySet[Loan]) -> QuerySet[Loan]:
    """Each loan with ``repaid`` (principal repaid), ``renewed`` (a renewal took it over) and ``due_on``."""
    repaid = LoanRepayment.objects.filter(loan=OuterRef("pk")).order_by().values("loan") \
        .annotate(s=Sum("principal")).values("s")
    money = DecimalField(max_digits=14, decimal_places=2)
    return qs.annotate(
        repaid=Coalesce(repaid, Value(ZERO), output_field=money),
        renewed=Exists(Loan.objects.filter(renewal_of=OuterRef("pk"))),
        due_on=Coalesce("extended_due_date", "due_date"),
    )


def status_q(status: str, on: dt.date) -> Q:
    settled = Q(repaid__gte=F("amount")) | Q(renewed=True)
    if status == SETTLED:
        return settled
    if status == NORMAL:
        return ~settled & Q(due_on__gte=on)
    if status == OVERDUE:
        return ~settled & Q(due_on__lt=on, due_on__gte=on - dt.timedelta(days=OVERDUE_LIMIT))
    if status == OVERDUE_LONG:
        return ~settled & Q(due_on__lt=on - dt.timedelta(days=OVERDUE_LIMIT))
    return Q()


def visible_loans(reader: User) -> QuerySet[Loan]:
    return with_standing(Loan.objects.filter(loan_scope_q(reader))
                         .select_related("household", "household__village", "county", "renewal_of"))


def get_loan(reader: User, loan_id: int) -> Loan:
    loan = visible_loans(reader).filter(pk=loan_id).first()
    if loan is None:
        raise Http404(LOAN_NOT_FOUND)
    return loan


@dataclass
class LoanFilter:
    bank: str | None = None
    division: str | None = None
    status: str | None = None
    year: int | None = None     # of loan_date
    q: str | None = None        # 贷款编号, 户编号 or borrower's name
    on: dt.date = field(default_factory=dt.date.today)


def loans(reader: User, filters: LoanFilter | None = None) -> QuerySet[Loan]:
    f = filters or LoanFilter()
    qs = visible_loans(reader)
    if f.bank:
        qs = qs.filter(bank=f.bank)
    if f.division:
        prefix = _division_prefix(f.division)
        qs = qs.filter(Q(household__village__code__startswith=prefix)
                       | Q(household__isnull=True, county__code__startswith=prefix[:6]))
    if f.status in STATUS_LABELS:
        qs = qs.filter(status_q(f.status, f.on))
    if f.year:
        qs = qs.filter(loan_date__year=f.year)
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(loan_no=text) | Q(household_no=text) | Q(household__household_no=text) | Q(name=text))
    return qs.order_by("-loan_date", "loan_no", "pk")


def banks(reader: User) -> list[str]:
    return list(Loan.objects.filter(loan_scope_q(reader)).order_by("bank").values_list("bank", flat=True)
                .distinct())


def standing(loan: Loan, on: dt.date) -> tuple[str, int]:
    """(status, overdue days at ``on``) of a loan annotated by ``with_standing``."""
    if loan.repaid >= loan.amount or loan.renewed:
        return SETTLED, 0
    days = (on - loan.due).days
    if days <= 0:
        return NORMAL, 0
    return (OVERDUE if days <= OVERDUE_LIMIT else OVERDUE_LONG), days


@dataclass
class StepChart:
    """An inline SVG step chart of outstanding principal over time (attributes only: the CSP forbids style)."""

    width: int
    height: int
    points: str
    top: Decimal
    first: dt.date
    last: dt.date
    due_x: int | None


CHART_W, CHART_H, PAD = 600, 160, 10


def interval_rows(intervals: list[Any]) -> list[dict[str, Any]]:
    """credit.Schedule's intervals with their length in days (None: still outstanding)."""
    return [{"start": i.start, "end": i.end, "outstanding": i.outstanding,
             "days": None if i.end is None else (i.end - i.start).days + 1} for i in intervals]


def step_chart(loan: Loan, intervals: list[Any], on: dt.date) -> StepChart | None:
    if not intervals:
        return None
    first = loan.loan_date
    settled = intervals[-1].end
    # A settled loan is drawn to its settlement or due date (whichever is later), an outstanding one to today.
    last = max(loan.due, settled + dt.timedelta(days=1)) if settled is not None else max(on, loan.due)
    span = max((last - first).days, 1)
    top = max(i.outstanding for i in intervals) or loan.amount or Decimal(1)

    def x(day: dt.date) -> int:
        return PAD + int((CHART_W - 2 * PAD) * (day - first).days / span)

    def y(amount: Decimal) -> int:
        return PAD + int((CHART_H - 2 * PAD) * (1 - amount / top))

    pts: list[str] = []
    for i in intervals:
        stop = (i.end + dt.timedelta(days=1)) if i.end is not None else last
        pts += [f"{x(i.start)},{y(i.outstanding)}", f"{x(stop)},{y(i.outstanding)}"]
    if intervals[-1].end is not None:
        stop = intervals[-1].end + dt.timedelta(days=1)
        pts.append(f"{x(stop)},{y(ZERO)}")
    due_x = x(loan.due) if first <= loan.due <= last else None
    return StepChart(CHART_W, CHART_H, " ".join(pts), top, first, last, due_x)


def household_loans(reader: User, household: Household) -> QuerySet[Loan]:
    return visible_loans(reader).filter(household=household).order_by("-loan_date", "loan_no", "pk")


# --- assets ---------------------------------------------------------------------------------------------------


def asset_scope_q(reader: User) -> Q:
    prefix = _prefix(reader)
    if prefix is None:
        return Q(pk__in=[])
    shared = Asset.villages.through.objects.filter(asset_id=OuterRef("pk"), division__code__startswith=prefix)
    return Q(division__code__startswith=prefix) | Q(Exists(shared))


def visible_assets(reader: User) -> QuerySet[Asset]:
    return Asset.objects.filter(asset_scope_q(reader)).select_related("county", "division", "project")


def get_asset(reader: User, asset_id: int) -> Asset:
    asset = visible_assets(reader).filter(pk=asset_id).first()
    if asset is None:
        raise Http404(ASSET_NOT_FOUND)
    return asset


@dataclass
class AssetFilter:
    division: str | None = None
    status: str | None = None
    kind: str | None = None
    q: str | None = None


def assets(reader: User, filters: AssetFilter | None = None) -> QuerySet[Asset]:
    f = filters or AssetFilter()
    qs = visible_assets(reader)
    if f.division:
        prefix = _division_prefix(f.division)
        qs = qs.filter(Q(division__code__startswith=prefix) | Q(villages__code__startswith=prefix)).distinct()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(asset_no=text) | Q(name__icontains=text))
    return qs.order_by("asset_no", "pk")


def asset_income_by_year(asset: Asset) -> dict[int, Decimal]:
    return dict(AssetIncome.objects.filter(asset=asset).order_by("year").values_list("year", "income"))




# --- grouping sunshine.funds.credit's results for the pages ---------------------------------------------------


@dataclass
class PortfolioLine:
    key: str
    label: str
    loans: int = 0
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO        # 1–90 days
    overdue_long: Decimal = ZERO   # > 90 days


def portfolio(reader: User, on: dt.date, division: str | None = None
              ) -> tuple[list[PortfolioLine], list[PortfolioLine], PortfolioLine]:
    """credit.portfolio's (bank, township) lines summed by bank, by township, and in total."""
    from sunshine.core.models import Division
    from sunshine.funds import credit

    lines = credit.portfolio(reader, on, division)
    names = dict(Division.objects.filter(code__in={x.township for x in lines if x.township})
                 .values_list("code", "name"))

    def group(key: Any, label: Any) -> list[PortfolioLine]:
        out: dict[str, PortfolioLine] = {}
        for x in lines:
            line = out.setdefault(key(x), PortfolioLine(key(x), label(x)))
            line.loans += x.loans
            line.outstanding += x.outstanding
            line.overdue += x.overdue_1_90
            line.overdue_long += x.overdue_over_90
        return [out[k] for k in sorted(out)]

    total = PortfolioLine("", "合计", sum(x.loans for x in lines), sum((x.outstanding for x in lines), ZERO),
                          sum((x.overdue_1_90 for x in lines), ZERO), sum((x.overdue_over_90 for x in lines), ZERO))
    return (group(lambda x: x.bank, lambda x: x.bank),
            group(lambda x: x.township, lambda x: names.get(x.township, "") or "不在册"), total)


def asset_dividends_by_year(reader: User, asset: Asset) -> list[tuple[int, Decimal, Decimal]]:
    """(year, to households, to villages) of the asset within the reader's area, for each year with income."""
    from sunshine.funds import credit

    out = []
    for year in sorted(asset_income_by_year(asset)):
        rows = [r for r in credit.dividends(reader, year).to_pylist() if r["asset_no"] == asset.asset_no]
        out.append((year, sum((r["amount"] for r in rows if r["household_no"]), ZERO),
                    sum((r["amount"] for r in rows if not r["household_no"]), ZERO)))
    return out


def assets_of_village(village: str) -> QuerySet[Asset]:
    return Asset.objects.filter(Q(villages__code=village) | Q(division_id=village)).distinct()


def household_dividends(reader: User, household: Household) -> list[dict[str, Any]]:
    """The household's dividends, per year and asset, for each year an asset its village shares had income
    (read from the stored distributions, stored first where missing). The page has checked the reader may see
    the household."""
    from sunshine.funds import credit
    from sunshine.funds.models_credit import DividendShare

    village = household.village_id
    years = sorted(set(AssetIncome.objects.filter(asset__in=assets_of_village(village))
                       .order_by().values_list("year", flat=True)))
    if not years:   # one query when the village shares no asset with income (the household page's usual case)
        return []
    for year in years:
        credit.ensure_dividends(village, year)
    shares = (DividendShare.objects.filter(household=household, year__in=years)
              .order_by("year", "asset__asset_no").values_list("year", "asset__asset_no", "asset__name", "amount"))
    return [{"year": year, "asset_no": asset_no, "asset_name": name, "amount": amount}
            for year, asset_no, name, amount in shares]
