"""The data of benefits statements, assembled for a whole village (or some of its households) at once: a fixed
number of queries whatever the number of households — the households, members, payments, loans with their
interest subsidy (the engine's computation, as `sunshine loans subsidy`), dividends (the stored distribution,
as the dividend list), measures, projects and cadres are each read in one query for all of them.

What counts for a year: payments whose period (所属期) is in the year; loans outstanding on some day of the year
(those the engine gives a subsidy row) or lent in it; the stored dividend shares of the year; measures dated
in the year; projects of the year (not 出库) naming the household as a beneficiary.

Sections: premiums (医保个人缴费补贴 and other *_premium items) are their own section; payments of the
loan_interest_subsidy and dividend items are shown with the loan and with the dividends (as 已发放), never as
payments too, so the total counts each benefit once: a loan's subsidy counts as computed (the standard of the
loan_interest_subsidy item, funds.md §5), dividends as distributed (§6)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.core.ids import mask_id_number
from sunshine.core.models import Division
from sunshine.funds.choices import ITEM_CHOICES, ProjectStatus
from sunshine.funds.models import Payment, ProjectBeneficiary
from sunshine.funds.models_credit import DividendShare, Loan
from sunshine.monitoring.models import Measure
from sunshine.registry.models import HouseholdYear, MemberYear

ZERO = Decimal("0.00")
ITEM_LABELS = dict(ITEM_CHOICES)
LOAN_SUBSIDY_ITEM = "loan_interest_subsidy"
DIVIDEND_ITEM = "dividend"
HOTLINE = "12317"


def is_premium(item: str) -> bool:
    """Insurance premiums paid for the household (医保个人缴费补贴 medical_premium, and any later *_premium)."""
    return item.endswith("_premium")


@dataclass
class MemberLine:
    name: str
    relation: str
    id_masked: str
    status: str          # '' when active


@dataclass
class BenefitLine:
    item: str
    period: str
    amount: Decimal | None
    date: dt.date | None
    source: str
    count: int = 1       # payments summed into this line (a condensed statement)


@dataclass
class LoanLine:
    loan_no: str
    bank: str
    loan_date: dt.date
    due: dt.date
    amount: Decimal
    subsidy: Decimal      # computed for the year (funds.md §5)
    subsidy_paid: Decimal  # paid as loan_interest_subsidy payments of the year


@dataclass
class ProjectLine:
    project_no: str
    name: str
    category: str
    status: str
    place: str


@dataclass
class Cadre:
    name: str
    phone: str
    unit: str = ""


@dataclass
class Statement:
    household_id: int
    household_no: str
    year: int
    head_name: str
    status: str
    village: str
    village_code: str
    place: str                      # 县 乡镇 村
    members: list[MemberLine] = field(default_factory=list)
    cadre: Cadre | None = None
    payments: list[BenefitLine] = field(default_factory=list)
    premiums: list[BenefitLine] = field(default_factory=list)
    loans: list[LoanLine] = field(default_factory=list)
    dividends: list[BenefitLine] = field(default_factory=list)
    dividends_paid: Decimal = ZERO
    measures: list[BenefitLine] = field(default_factory=list)
    projects: list[ProjectLine] = field(default_factory=list)
    code: str = ""
    qr: str = ""                    # a data: URI of the self-query address with the code (printed statements)

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        """(item, total) per benefit item, in the order of the sections; items without an amount are left out."""
        sums: dict[str, Decimal] = {}
        for line in [*self.payments, *self.premiums]:
            sums[line.item] = sums.get(line.item, ZERO) + (line.amount or ZERO)
        subsidy = sum((loan.subsidy for loan in self.loans), ZERO)
        if self.loans:
            sums[ITEM_LABELS[LOAN_SUBSIDY_ITEM]] = subsidy
        if self.dividends:
            sums[ITEM_LABELS[DIVIDEND_ITEM]] = sum((d.amount or ZERO for d in self.dividends), ZERO)
        for line in self.measures:
            if line.amount is not None:
                sums[line.item] = sums.get(line.item, ZERO) + line.amount
        return list(sums.items())

    @property
    def grand_total(self) -> Decimal:
        return sum((amount for _, amount in self.totals), ZERO)

    @property
    def rows(self) -> int:
        return (len(self.members) + len(self.payments) + len(self.premiums) + len(self.loans) + len(self.dividends)
                + len(self.measures) + len(self.projects))

    def condensed(self, *, by_source: bool = True) -> Statement:
        """The same statement with its payments and premiums summed per item, period year and source (one line
        each, the count in the item, the last payment date): for printing a household whose list would not fit
        on two pages. Totals are unchanged."""
        return dataclasses.replace(self, payments=_summed(self.payments, by_source),
                                   premiums=_summed(self.premiums, by_source))

    @property
    def empty(self) -> bool:
        return not (self.payments or self.premiums or self.loans or self.dividends or self.measures or self.projects)


def _summed(lines: list[BenefitLine], by_source: bool) -> list[BenefitLine]:
    groups: dict[tuple[str, str, str], list[BenefitLine]] = {}
    for line in lines:
        source = line.source if by_source else _("多个来源")
        groups.setdefault((line.item, line.period[:4], source), []).append(line)
    out = []
    for (item, year, source), group in groups.items():
        dates = [x.date for x in group if x.date is not None]
        out.append(BenefitLine(item=item, period=year, amount=sum((x.amount or ZERO for x in group), ZERO),
                               date=max(dates) if dates else None, source=source, count=len(group)))
    return out


def _place(village: Division) -> str:
    names = [d.name for d in village.ancestors() if d.level not in ("province", "city")]
    return " ".join([*names, village.name])


def _source(payment: Payment) -> str:
    if payment.project_id:
        return payment.project.name
    if payment.fund_id:
        fund = payment.fund
        return " ".join(x for x in (fund.get_source_display(), fund.document_no) if x)
    return "—"


def build_statements(village: Division, year: int, household_ids: list[int] | None = None) -> list[Statement]:
    """The statements of ``year`` of the village's households (or of those ids among them), by 户编号."""
    records = (HouseholdYear.objects.filter(household__village=village, year=year)
               .select_related("household").order_by("household__household_no"))
    if household_ids is not None:
        records = records.filter(household_id__in=household_ids)
    place = _place(village)
    statements: dict[int, Statement] = {}
    by_record: dict[int, Statement] = {}
    for r in records:
        s = Statement(household_id=r.household_id, household_no=r.household.household_no, year=year,
                      head_name=r.head_name, status=r.get_status_display(), village=village.name,
                      village_code=village.code, place=place)
        statements[r.household_id] = by_record[r.pk] = s
    if not statements:
        return []
    ids = list(statements)
    _members(by_record)
    _payments(statements, ids, year)
    _loans(statements, ids, village, year)
    _dividends(statements, ids, village, year)
    _measures(statements, ids, year)
    _projects(statements, ids, year)
    _cadres(statements, ids, year)
    return list(statements.values())


def _members(by_record: dict[int, Statement]) -> None:
    rows = (MemberYear.objects.filter(household_year_id__in=list(by_record)).select_related("person")
            .order_by("household_year_id", "id"))
    for m in rows:
        # The head first, then the others in the order they were entered.
        line = MemberLine(name=m.person.name, relation=m.get_relation_display(),
                          id_masked=mask_id_number(m.person.id_number),
                          status="" if m.member_status == "active" else m.get_member_status_display())
        members = by_record[m.household_year_id].members
        if m.relation == "head":
            members.insert(0, line)
        else:
            members.append(line)


def _payments(statements: dict[int, Statement], ids: list[int], year: int) -> None:
    rows = (Payment.objects.filter(household_id__in=ids, period__startswith=str(year))
            .select_related("fund", "project").order_by("paid_date", "payment_no"))
    for p in rows:
        s = statements[p.household_id]
        if p.item == LOAN_SUBSIDY_ITEM:
            continue   # shown with its loan (_loans)
        if p.item == DIVIDEND_ITEM:
            s.dividends_paid += p.amount
            continue
        line = BenefitLine(item=ITEM_LABELS.get(p.item, p.item), period=p.period, amount=p.amount,
                           date=p.paid_date, source=_source(p))
        (s.premiums if is_premium(p.item) else s.payments).append(line)


def _subsidies(village: Division, year: int) -> dict[str, Decimal]:
    """loan_no → interest subsidy of ``year``, from the engine over the village's loans (a loan's subsidy
    depends only on the loan, its repayments and its renewal, all of the same household)."""
    from sunshine.engine.funds.run import interest_subsidy
    from sunshine.funds.check import tables as db_tables

    tables = {"loans": db_tables.loans(village.code), "loan_repayments": db_tables.loan_repayments(village.code)}
    if not tables["loans"].num_rows:
        return {}
    result = interest_subsidy(tables, year=year)
    return dict(zip(result.column("loan_no").to_pylist(), result.column("subsidy").to_pylist(), strict=True))


def _loans(statements: dict[int, Statement], ids: list[int], village: Division, year: int) -> None:
    loans = list(Loan.objects.filter(household_id__in=ids, loan_date__lte=dt.date(year, 12, 31))
                 .order_by("loan_date", "loan_no"))
    if not loans:
        return
    subsidies = _subsidies(village, year)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for loan_no, amount in (Payment.objects.filter(household_id__in=ids, period__startswith=str(year),
                                                   item=LOAN_SUBSIDY_ITEM).values_list("loan_no", "amount")):
        paid[loan_no] += amount
    for loan in loans:
        if loan.loan_no not in subsidies and loan.loan_date.year != year:
            continue   # settled before the year
        statements[loan.household_id].loans.append(LoanLine(
            loan_no=loan.loan_no, bank=loan.bank, loan_date=loan.loan_date, due=loan.due, amount=loan.amount,
            subsidy=subsidies.get(loan.loan_no) or ZERO, subsidy_paid=paid.get(loan.loan_no, ZERO)))


def _dividends(statements: dict[int, Statement], ids: list[int], village: Division, year: int) -> None:
    from sunshine.funds.credit import ensure_dividends

    ensure_dividends(village.code[:6], year)   # as the dividend list does: computed and stored on first read
    rows = (DividendShare.objects.filter(household_id__in=ids, year=year).select_related("asset")
            .order_by("asset__asset_no"))
    for share in rows:
        statements[share.household_id].dividends.append(BenefitLine(
            item=share.asset.name, period=str(year), amount=share.amount, date=None,
            source=f"{share.asset.asset_no} {share.asset.operator}".strip()))


def _measures(statements: dict[int, Statement], ids: list[int], year: int) -> None:
    # Measures of the household and year, recorded on a warning or agreed on a cadre's visit.
    rows = Measure.objects.filter(household_id__in=ids, year=year).order_by("date", "id")
    for m in rows:
        statements[m.household_id].measures.append(BenefitLine(
            item=_("帮扶措施·%(kind)s") % {"kind": m.get_kind_display()}, period=str(year), amount=m.amount,
            date=m.date, source=m.note[:60]))


def _projects(statements: dict[int, Statement], ids: list[int], year: int) -> None:
    rows = (ProjectBeneficiary.objects.filter(household_id__in=ids, project__year=year)
            .exclude(project__status=ProjectStatus.REMOVED).select_related("project__division")
            .order_by("project__project_no"))
    for b in rows:
        p = b.project
        statements[b.household_id].projects.append(ProjectLine(
            project_no=p.project_no, name=p.name, category=p.get_category_display(), status=p.get_status_display(),
            place=p.division.name))


def _cadres(statements: dict[int, Statement], ids: list[int], year: int) -> None:
    """The cadre paired with the household today, or at the end of a past year (the statement's year)."""
    from sunshine.assistance.selectors import cadres_by_household

    on = min(timezone.localdate(), dt.date(year, 12, 31))
    for household_id, cadre in cadres_by_household(ids, on).items():
        if household_id in statements:
            statements[household_id].cadre = Cadre(name=cadre.name, phone=cadre.phone or "", unit=cadre.unit)
