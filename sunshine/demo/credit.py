"""The demo county's micro-credit (扶贫小额信贷) and asset income (资产收益), funds.md §5–6: loans to registered
heads with repayments, a renewal (续贷) and an extension (展期) recorded as actions, loans overdue 1–90 and more
than 90 days, one planted anomaly of every L- rule; assets formed from the demo's projects (and two older ones)
with their yearly income, one of them disposed — so that the loan and asset pages, the subsidy, the dividends
and the monitoring's loan signal all show something.

Deterministic by seed with its own generator (the rest of the funds demo draws the same numbers as before).
A few dozen loans and a handful of assets, each table written with one bulk_create: a small part of the demo's
time. ``clear_demo_credit`` removes an earlier demo's (loans hold registry households, which the generator
replaces; assets hold projects)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from sunshine.core.choices import DivisionLevel
from sunshine.core.ids import make_id_number
from sunshine.core.models import Division, User
from sunshine.funds.choices import AssetEventKind, LoanAction
from sunshine.funds.credit import store_dividends
from sunshine.funds.models import Project
from sunshine.funds.models_credit import Asset, AssetEvent, AssetIncome, Loan, LoanEvent, LoanRepayment
from sunshine.registry import choices as rc
from sunshine.registry.models import MemberYear, Person

BANKS = ("丰县农村商业银行", "中国邮政储蓄银行丰县支行", "中国农业银行丰县支行")
PURPOSES = ("发展肉羊养殖", "种植大棚蔬菜", "经营农家小超市", "发展特色林果", "购置农机具")
RATE = Decimal("0.043500")
NO_GUARANTEE = "none"
REGISTERED = (rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.EXITED, rc.HouseholdStatus.RETURNED)


@dataclass
class Borrower:
    household_id: int
    household_no: str
    name: str
    person_id: int
    id_number: str = ""   # read for the chosen borrowers only (decrypting every head's would cost time)


@dataclass
class CreditSummary:
    loans: int = 0
    repayments: int = 0
    assets: int = 0

    def __str__(self) -> str:
        return f"扶贫小额信贷 {self.loans} 笔(还款 {self.repayments} 笔), 扶贫资产 {self.assets} 项"


def clear_demo_credit(county6: str) -> None:
    """Delete the county's loans (renewals before the loans they renew: PROTECT) and assets."""
    with transaction.atomic():
        LoanEvent.objects.filter(loan__county__code__startswith=county6).delete()
        loans = Loan.objects.filter(county__code__startswith=county6)
        loans.filter(renewal_of__isnull=False).delete()
        loans.delete()
        Asset.objects.filter(county__code__startswith=county6).delete()  # incomes and events cascade


def _borrowers(year: int, county6: str) -> list[Borrower]:
    """Heads of the year's registered households aged 25–60 at the start of the year, in 户编号 order."""
    rows = (MemberYear.objects
            .filter(year=year, relation=rc.Relation.HEAD, member_status=rc.MemberStatus.ACTIVE,
                    household_year__status__in=REGISTERED,
                    household_year__household__village__code__startswith=county6,
                    person__birth_date__lte=dt.date(year - 25, 1, 1), person__birth_date__gte=dt.date(year - 60, 1, 1))
            .order_by("household_year__household__household_no")
            .values_list("household_year__household_id", "household_year__household__household_no", "person__name",
                         "person_id"))
    return [Borrower(*row) for row in rows]


def _with_ids(loans: list[Loan], borrowers: dict[int, int]) -> None:
    """Give the loans their borrowers' ID numbers (loan index → person id)."""
    numbers = dict(Person.objects.filter(pk__in=set(borrowers.values())).values_list("pk", "id_number"))
    for index, person in borrowers.items():
        loans[index].id_number = numbers.get(person, "")


class _Loans:
    def __init__(self, county: Division, year: int, rng: random.Random) -> None:
        self.county, self.year, self.rng = county, year, rng
        self.loans: list[Loan] = []
        self.repayments: list[tuple[Loan, dt.date, Decimal, Decimal]] = []
        self.events: list[tuple[Loan, str, str, dt.date | None, Loan | None]] = []
        self.persons: dict[int, int] = {}   # loan index → the borrower's person id

    def loan(self, who: Borrower | None, *, issued: dt.date, years: int, amount: Decimal, **extra: object) -> Loan:
        due = issued.replace(year=issued.year + years)
        loan = Loan(county=self.county, loan_no=f"XD{issued.year}{len(self.loans) + 1:04d}",
                    household_id=who.household_id if who else None, household_no=who.household_no if who else "",
                    id_number=str(extra.pop("id_number", "")),
                    name=who.name if who else str(extra.pop("name", "")), bank=self.rng.choice(BANKS),
                    loan_date=issued, due_date=due, amount=amount, annual_rate=RATE, guarantee=NO_GUARANTEE,
                    purpose=self.rng.choice(PURPOSES))
        for name, value in extra.items():
            setattr(loan, name, value)
        if who is not None:
            self.persons[len(self.loans)] = who.person_id
        self.loans.append(loan)
        return loan

    def repay(self, loan: Loan, on: dt.date, principal: Decimal) -> None:
        interest = (loan.amount * RATE / 4).quantize(Decimal("0.01"))
        self.repayments.append((loan, on, principal, interest))

    def issued_in(self, year: int) -> dt.date:
        return dt.date(year, self.rng.randint(2, 11), self.rng.randint(1, 28))

    def amount(self) -> Decimal:
        return Decimal(self.rng.randrange(10000, 50001, 5000))


def _plan_loans(b: _Loans, borrowers: list[Borrower], households: int) -> None:
    y, rng = b.year, b.rng
    end = dt.date(y, 12, 31)
    pool = list(borrowers)
    rng.shuffle(pool)
    special, ordinary = pool[:8], pool[8:8 + max(12, households // 30)]
    for who in sorted(ordinary, key=lambda w: w.household_no):
        issued = b.issued_in(rng.choice((y - 2, y - 1, y)))
        years = rng.choice((2, 3))
        loan = b.loan(who, issued=issued, years=years, amount=b.amount())
        if loan.due_date <= end:   # fell due this year: repaid in two instalments, the last before the due date
            half = (loan.amount / 2).quantize(Decimal("0.01"))
            b.repay(loan, loan.due_date - dt.timedelta(days=200), half)
            b.repay(loan, loan.due_date - dt.timedelta(days=rng.randint(1, 20)), loan.amount - half)
        elif issued.year < y:      # running: a fifth of the principal repaid last year
            b.repay(loan, dt.date(y - 1, 12, 20), (loan.amount / 5).quantize(Decimal("0.01")))
    renewed, extended, *late = special[:6]
    # 续贷: a loan due in June renewed without repayment on its due date for the outstanding principal.
    old = b.loan(renewed, issued=dt.date(y - 2, 6, 15), years=2, amount=Decimal("40000.00"))
    b.repay(old, dt.date(y - 1, 6, 10), Decimal("10000.00"))
    new = b.loan(renewed, issued=old.due_date, years=2, amount=Decimal("30000.00"), renewal_of=old)
    b.events.append((old, LoanAction.RENEWAL, "养殖周转困难,经审核无还本续贷。", None, new))
    # 展期: a loan due in August extended by one year (the most the policy allows).
    loan = b.loan(extended, issued=dt.date(y - 2, 8, 20), years=2, amount=Decimal("30000.00"))
    loan.extended_due_date = loan.due_date.replace(year=y + 1)
    b.events.append((loan, LoanAction.EXTENSION, "因灾减产,申请展期一年。", loan.extended_due_date, None))
    # Overdue at 31 December: 1–90 days (L-OVERDUE risk) and more than 90 days (warning, and a monitoring signal).
    for who, days in zip(late, (35, 80, 130, 210), strict=False):
        due = end - dt.timedelta(days=days)
        loan = b.loan(who, issued=due.replace(year=due.year - 2), years=2, amount=Decimal("20000.00"))
        b.repay(loan, due - dt.timedelta(days=100), Decimal("5000.00"))
    # Planted: L-LIMIT (above the 50,000 limit) and L-INELIGIBLE (a borrower outside the registry).
    if len(special) > 6:
        b.loan(special[6], issued=dt.date(y, 4, 8), years=2, amount=Decimal("60000.00"))
    outsider = make_id_number(b.county.code[:6], dt.date(1978, 3, 16), 981)
    b.loan(None, issued=dt.date(y, 5, 12), years=2, amount=Decimal("30000.00"), id_number=outsider, name="孙建华")


def _assets(county: Division, year: int, county6: str) -> tuple[list[Asset], dict[str, list[str]],
                                                                  list[tuple[str, int, Decimal]], str | None]:
    """The assets (with their villages), their incomes (asset_no, year, income) and the disposed one's number."""
    projects = {p.project_no[-3:]: p for p in Project.objects.filter(county=county, year=year)}
    villages = list(Division.objects.filter(code__startswith=county6, level=DivisionLevel.VILLAGE).order_by("code")
                    .values_list("code", flat=True))
    if not villages:
        return [], {}, [], None
    assets, shares, incomes = [], {}, []

    def asset(no: str, name: str, kind: str, division: str, value: str, formed: dt.date, method: str, ratio: str,
              share: list[str], project: Project | None = None, **extra: str) -> str:
        asset_no = f"ZC{no}"
        assets.append(Asset(county=county, asset_no=asset_no, name=name, project=project, kind=kind,
                            division_id=division, value=Decimal(value), formed_date=formed,
                            operator=extra.get("operator", "村股份经济合作社"), method=method,
                            household_ratio=Decimal(ratio), status=extra.get("status", "operating")))
        shares[asset_no] = share
        return asset_no

    v = villages
    greenhouse, orchard = projects.get("013"), projects.get("023")
    if greenhouse is not None:
        no = asset("0001", greenhouse.name, "greenhouse", greenhouse.division_id, "560000.00", dt.date(year, 12, 10),
                   "per_household", "0.600000", [greenhouse.division_id], greenhouse)
        incomes.append((no, year, Decimal("45600.00")))
    if orchard is not None:
        share = sorted({orchard.division_id, v[len(v) // 2]})
        no = asset("0002", orchard.name, "other", orchard.division_id, "400000.00", dt.date(year, 12, 10),
                   "per_person", "0.500000", share, orchard, operator="某农业公司")
        incomes.append((no, year, Decimal("30000.01")))   # pools whose fen do not divide evenly
    solar = asset("0003", "村级光伏电站(一期)", "solar", v[0], "900000.00", dt.date(year - 2, 6, 30), "per_household",
                  "0.800000", v[:3])
    incomes += [(solar, year - 2, Decimal("42000.00")), (solar, year - 1, Decimal("86500.00")),
                (solar, year, Decimal("84210.37"))]
    disposed = asset("0004", "肉牛养殖小区", "livestock", v[-1], "300000.00", dt.date(year - 3, 5, 1), "per_household",
                     "0.600000", [v[-1]], status="disposed", operator="某养殖合作社")
    incomes += [(disposed, year - 2, Decimal("18000.00")), (disposed, year - 1, Decimal("9000.00"))]
    return assets, shares, incomes, disposed


def load_demo_credit(*, year: int, county6: str, seed: int, households: int,
                     users: dict[str, User | None]) -> CreditSummary:
    """Write the demo county's loans and assets for ``year`` (replacing an earlier demo's)."""
    clear_demo_credit(county6)
    county = Division.objects.get(code=f"{county6}000000")
    b = _Loans(county, year, random.Random(seed * 104729 + year))  # noqa: S311 - synthetic data, not security
    borrowers = _borrowers(year, county6)
    if len(borrowers) >= 8:
        _plan_loans(b, borrowers, households)
        _with_ids(b.loans, b.persons)
    assets, shares, incomes, disposed = _assets(county, year, county6)
    clerk = users.get("county")
    with transaction.atomic():
        # A renewal names the loan it renews: the renewed loans are written first, to have their keys.
        saved = Loan.objects.bulk_create([x for x in b.loans if x.renewal_of is None])
        renewals = [x for x in b.loans if x.renewal_of is not None]
        for loan in renewals:
            loan.renewal_of_id = loan.renewal_of.pk
        saved += Loan.objects.bulk_create(renewals)
        LoanRepayment.objects.bulk_create([LoanRepayment(loan_id=loan.pk, date=on, principal=principal,
                                                         interest=interest)
                                           for loan, on, principal, interest in b.repayments])
        LoanEvent.objects.bulk_create([LoanEvent(loan_id=loan.pk, action=action, user=clerk, note=note,
                                                 new_due_date=due, new_loan_id=new.pk if new else None)
                                       for loan, action, note, due, new in b.events])
        made = {a.asset_no: a for a in Asset.objects.bulk_create(assets)}
        for asset_no, codes in shares.items():
            made[asset_no].villages.set(codes)
        AssetIncome.objects.bulk_create([AssetIncome(asset=made[no], year=y, income=income)
                                         for no, y, income in incomes])
        if disposed is not None:
            AssetEvent.objects.create(asset=made[disposed], kind=AssetEventKind.DISPOSAL, date=dt.date(year, 6, 30),
                                      user=clerk, note="养殖小区因环保整治关停,经县扶贫办批准整体处置,收入归村集体。",
                                      proceeds=Decimal("120000.00"))
    for income_year in sorted({y for _, y, _ in incomes}):   # the distributions its pages read
        store_dividends(f"{county6}000000", income_year)
    return CreditSummary(loans=len(saved), repayments=len(b.repayments), assets=len(made))
