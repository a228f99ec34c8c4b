"""Micro-credit and asset-income services (funds.md §5–6): the interest subsidy and the dividends computed by
the engine from the database, the recorded actions on a loan (展期 extension, 续贷 renewal) and on an asset
(处置 disposal, 报废 scrapping), a loan's schedule, the county portfolio and a village's dividend list.

Every amount comes from the engine (sunshine.engine.funds.credit), the same statements `sunshine loans subsidy`,
`sunshine assets dividends` and the funds check's F-OVER use, so a page, a file and a finding never disagree.
Numbers are unique within a county only: computations run county by county."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum

from sunshine.core.attachments import check_attachment, mask_attachment_name
from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible, run_division
from sunshine.engine.funds import tables as t
from sunshine.engine.funds.run import dividends as engine_dividends
from sunshine.engine.funds.run import interest_subsidy
from sunshine.funds.check import tables as db_tables
from sunshine.funds.choices import AssetEventKind, LoanAction
from sunshine.funds.models_credit import Asset, AssetEvent, AssetIncome, DividendShare, Loan, LoanEvent
from sunshine.registry.models import Household, HouseholdYear

ZERO = Decimal("0.00")
ROLES_THAT_MANAGE = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})
COUNTY_DIGITS = 6


# ---- the computations, from the database ----

def _counties(prefix: str) -> list[str]:
    """The county prefixes a computation under ``prefix`` runs over (one for a county or narrower)."""
    if len(prefix) >= COUNTY_DIGITS:
        return [prefix[:COUNTY_DIGITS]]
    codes = Division.objects.filter(code__startswith=prefix, level=DivisionLevel.COUNTY).order_by("code")
    return [c.code[:COUNTY_DIGITS] for c in codes]


def _per_county(prefix: str, year: int, compute: Callable[[dict[str, pa.Table], str | None], pa.Table],
                empty: pa.Schema) -> pa.Table:
    """``compute(tables, division_prefix)`` per county: the tables hold the county's rows, so the engine is
    asked to narrow them only below a county (a borrower outside the registry has no village, and stays in
    the county's results)."""
    narrower = prefix if len(prefix) > COUNTY_DIGITS else None
    parts = [compute(db_tables.credit(year, county), narrower) for county in _counties(prefix)]
    return pa.concat_tables(parts) if parts else empty.empty_table()


def subsidy(reader: User, year: int, division_code: str | None = None) -> pa.Table:
    """`sunshine loans subsidy`: loan_no, year, subsidy of the loans of ``reader``'s division (or the one named)
    outstanding on some day of ``year`` (funds.md §5, §7)."""
    prefix = run_division(reader, division_code).prefix
    return _per_county(prefix, year, lambda tables, narrower: interest_subsidy(
        tables, year=year, division_prefix=narrower), t.SUBSIDY)


def dividends(reader: User, year: int, division_code: str | None = None, *, refresh: bool = False) -> pa.Table:
    """`sunshine assets dividends`: asset_no, year, household_no (None: the village's share), division_code,
    amount of ``year`` within the division (funds.md §6, §7). Read from the stored distribution of each county
    (DividendShare), computed and stored first when there is none yet, or always with ``refresh``."""
    prefix = run_division(reader, division_code).prefix
    parts = []
    for county in _counties(prefix):
        if refresh:
            store_dividends(county, year)
        else:
            ensure_dividends(county, year)
        parts.append(read_shares(county, year, prefix))
    return pa.concat_tables(parts) if parts else t.DIVIDENDS.empty_table()


def ensure_dividends(county: str, year: int) -> None:
    """Store the county's distribution of ``year`` unless it is stored already."""
    if not _stored(county, year):
        store_dividends(county, year)


def _county_code(county: str) -> str:
    return county[:COUNTY_DIGITS].ljust(12, "0")


def _stored(county: str, year: int) -> bool:
    """Whether the distribution of the county and year is stored (a year without income has none to store:
    a marker row is not needed, the computation is then cheap — no asset shares anything)."""
    code = _county_code(county)
    return (DividendShare.objects.filter(county_id=code, year=year).exists()
            or not AssetIncome.objects.filter(asset__county_id=code, year=year).exists())


def store_dividends(county: str, year: int) -> int:
    """Compute the county's distribution of ``year`` on the engine and store it, replacing the stored one
    (one transaction). Returns the number of shares."""
    code = _county_code(county)
    table = engine_dividends(db_tables.credit(year, county[:COUNTY_DIGITS]), year=year)
    rows = table.to_pylist()
    assets = dict(Asset.objects.filter(county_id=code, asset_no__in={r["asset_no"] for r in rows})
                  .values_list("asset_no", "pk"))
    households = dict(Household.objects.filter(household_no__in={r["household_no"] for r in rows
                                                                   if r["household_no"]})
                      .values_list("household_no", "pk"))
    shares = [DividendShare(county_id=code, year=year, asset_id=assets[r["asset_no"]],
                            household_id=households.get(r["household_no"]), household_no=r["household_no"] or "",
                            division_id=r["division_code"], amount=r["amount"])
              for r in rows if r["asset_no"] in assets]
    with transaction.atomic():
        DividendShare.objects.filter(county_id=code, year=year).delete()
        DividendShare.objects.bulk_create(shares, batch_size=2000)
    return len(shares)


def forget_dividends(county: str, years: Iterable[int] | None = None) -> None:
    """Drop the stored distributions of the county (of ``years``): an asset, its income or its status changed,
    so the next read computes them again."""
    qs = DividendShare.objects.filter(county_id=_county_code(county))
    if years is not None:
        qs = qs.filter(year__in=list(years))
    qs.delete()


def read_shares(county: str, year: int, prefix: str) -> pa.Table:
    rows = (DividendShare.objects.filter(county_id=_county_code(county), year=year,
                                         division__code__startswith=prefix)
            .order_by("asset__asset_no", "division_id", "household_no")   # the engine's order; '' (a village) first
            .values_list("asset__asset_no", "household_no", "division_id", "amount"))
    assets, households, divisions, amounts = [], [], [], []
    for asset_no, household_no, division, amount in rows:
        assets.append(asset_no)
        households.append(household_no or None)
        divisions.append(division)
        amounts.append(amount)
    return pa.table({"asset_no": pa.array(assets, pa.string()), "year": pa.array([year] * len(assets), pa.int32()),
                     "household_no": pa.array(households, pa.string()),
                     "division_code": pa.array(divisions, pa.string()),
                     "amount": pa.array(amounts, t.MONEY)}, schema=t.DIVIDENDS)


@dataclass
class DividendLine:
    household_no: str | None      # None: the village's own share
    head_name: str
    amount: Decimal
    assets: list[str] = field(default_factory=list)


def dividend_list(reader: User, village: str, year: int) -> list[DividendLine]:
    """The distribution list of one village and year (for the bank and the public notice): one line per
    household summed over the assets, the village's share last. PermissionDenied outside the reader's scope."""
    if not division_visible(reader, village):
        raise PermissionDenied("该村不在您的管辖范围内")
    table = dividends(reader, year, village)
    lines: dict[str | None, DividendLine] = {}
    for row in table.to_pylist():
        line = lines.setdefault(row["household_no"], DividendLine(row["household_no"], "", ZERO))
        line.amount += row["amount"]
        line.assets.append(row["asset_no"])
    heads = dict(HouseholdYear.objects.filter(year=year, household__household_no__in=[n for n in lines if n])
                 .values_list("household__household_no", "head_name"))
    for number, line in lines.items():
        line.head_name = heads.get(number, "") if number else ""
    return sorted(lines.values(), key=lambda x: (x.household_no is None, x.household_no or ""))


# ---- one loan ----

@dataclass(frozen=True)
class Interval:
    start: dt.date
    end: dt.date | None          # inclusive; None: still outstanding
    outstanding: Decimal


@dataclass
class Schedule:
    loan: Loan
    due: dt.date
    intervals: list[Interval]
    settled_on: dt.date | None   # the first day nothing is outstanding (repaid in full, or renewed)
    outstanding: Decimal         # on ``on``
    overdue_days: int            # on ``on``: days past due with principal outstanding
    subsidy_by_year: dict[int, Decimal]


def _loan_tables(loan: Loan) -> dict[str, pa.Table]:
    """The engine's tables for one loan: the loan, its repayments and the loan renewing it (which ends it)."""
    rows = [loan, *Loan.objects.filter(renewal_of=loan)]
    loans_table = pa.Table.from_pylist([{
        "loan_no": x.loan_no, "household_no": x.household_no, "id_hash": x.id_number_hash, "bank": x.bank,
        "loan_date": x.loan_date, "due_date": x.due_date, "extended_due_date": x.extended_due_date,
        "amount": Decimal(x.amount), "annual_rate": Decimal(x.annual_rate), "guarantee": x.guarantee,
        "renewal_of": loan.loan_no if x.pk != loan.pk else None} for x in rows])
    repayments = pa.Table.from_pylist([{"loan_no": loan.loan_no, "date": r.date, "principal": Decimal(r.principal),
                                        "interest": Decimal(r.interest)} for r in loan.repayments.all()],
                                      schema=pa.schema([pa.field(f.name, f.type) for f in t.LOAN_REPAYMENTS]))
    return {"loans": t.conform("loans", loans_table), "loan_repayments": t.conform("loan_repayments", repayments)}


def schedule(loan: Loan, on: dt.date) -> Schedule:
    """Outstanding principal by day as intervals, overdue days at ``on`` and the interest subsidy of each year
    from the loan date to the year of ``on`` (or of settlement), from the engine (funds.md §5)."""
    repaid: dict[dt.date, Decimal] = defaultdict(Decimal)
    for r in loan.repayments.all():
        repaid[r.date] += r.principal
    renewal = Loan.objects.filter(renewal_of=loan).order_by("loan_date").first()
    intervals, left, start, settled = [], Decimal(loan.amount), loan.loan_date, None
    for day in sorted(repaid):
        if renewal is not None and day >= renewal.loan_date:
            break
        if day > start:
            intervals.append(Interval(start, day - dt.timedelta(days=1), left))
        start, left = max(day, start), left - repaid[day]
        if left <= 0:
            settled = day
            break
    if settled is None and renewal is not None:
        settled = renewal.loan_date
        if renewal.loan_date > start:
            intervals.append(Interval(start, renewal.loan_date - dt.timedelta(days=1), left))
    elif settled is None:
        intervals.append(Interval(start, None, left))
    outstanding = next((i.outstanding for i in intervals
                        if i.start <= on and (i.end is None or on <= i.end)), ZERO)
    overdue = (on - loan.due).days if outstanding > 0 and on > loan.due else 0
    last = min(on.year, settled.year if settled else on.year)
    tables = _loan_tables(loan)
    by_year = {}
    for year in range(loan.loan_date.year, last + 1):
        result = interest_subsidy(tables, year=year)
        found = dict(zip(result.column("loan_no").to_pylist(), result.column("subsidy").to_pylist(), strict=True))
        if loan.loan_no in found:
            by_year[year] = found[loan.loan_no]
    return Schedule(loan=loan, due=loan.due, intervals=intervals, settled_on=settled,
                    outstanding=max(outstanding, ZERO), overdue_days=overdue, subsidy_by_year=by_year)


# ---- the county portfolio ----

@dataclass
class PortfolioLine:
    bank: str
    township: str                 # township code ('' for a borrower outside the registry)
    loans: int = 0
    outstanding: Decimal = ZERO
    overdue_1_90: Decimal = ZERO  # outstanding principal of loans overdue 1–90 days
    overdue_over_90: Decimal = ZERO
    overdue_loans: int = 0


def portfolio(reader: User, on: dt.date, division_code: str | None = None) -> list[PortfolioLine]:
    """Outstanding principal on ``on`` and the part of it overdue 1–90 and more than 90 days, by bank and
    township, of the loans in the reader's division (or the one named): one query for the loans with what
    was repaid by ``on``, summed here."""
    prefix = run_division(reader, division_code).prefix
    renewed = Loan.objects.filter(renewal_of=OuterRef("pk"), loan_date__lte=on)
    qs = (Loan.objects.filter(db_tables._loans_within(prefix), loan_date__lte=on)
          .annotate(repaid=Sum("repayments__principal", filter=Q(repayments__date__lte=on)))
          .annotate(renewed=Exists(renewed))
          .values_list("bank", "household__village_id", "amount", "repaid", "renewed", "due_date",
                       "extended_due_date"))
    lines: dict[tuple[str, str], PortfolioLine] = {}
    for bank, village, amount, repaid, was_renewed, due_date, extended in qs.iterator(2000):
        left = ZERO if was_renewed else max(amount - (repaid or ZERO), ZERO)
        township = village[:9] + "000" if village else ""
        line = lines.setdefault((bank, township), PortfolioLine(bank, township))
        if left <= 0:
            continue
        line.loans += 1
        line.outstanding += left
        days = (on - (extended or due_date)).days
        if days > 90:                                   # noqa: PLR2004 - the 90 days of funds.md §5
            line.overdue_over_90 += left
            line.overdue_loans += 1
        elif days > 0:
            line.overdue_1_90 += left
            line.overdue_loans += 1
    return [line for _, line in sorted(lines.items()) if line.loans]


# ---- recorded actions ----

def can_manage(actor: User, county: str) -> bool:
    """County managers of the loan's or asset's county, and administrators over it."""
    return bool(actor.is_authenticated and actor.is_active and actor.role_set & ROLES_THAT_MANAGE
                and division_visible(actor, county))


def _refuse(actor: User, county: str) -> None:
    if not can_manage(actor, county):
        raise PermissionDenied("只有本县扶贫办管理员或系统管理员可以登记")


def _settled(loan: Loan) -> bool:
    repaid = loan.repayments.aggregate(s=Sum("principal"))["s"] or ZERO
    return Loan.objects.filter(renewal_of=loan).exists() or repaid >= loan.amount


def record_extension(*, actor: User, loan: Loan, new_due_date: dt.date, note: str = "") -> LoanEvent:
    """展期: the loan is now due ``new_due_date`` (later than its present due date), recorded with who and when.
    An extension of more than a year past the original due date is recorded all the same: L-LIMIT finds it."""
    _refuse(actor, loan.county_id)
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        if _settled(loan):
            raise ValidationError("贷款已结清或已续贷,不能展期")
        if new_due_date <= loan.due:
            raise ValidationError({"new_due_date": ["展期到期日应晚于现到期日"]})
        loan.extended_due_date = new_due_date
        loan.save(update_fields=["extended_due_date", "updated_at"])
        return LoanEvent.objects.create(loan=loan, action=LoanAction.EXTENSION, user=actor, note=note,
                                        new_due_date=new_due_date)


def record_renewal(*, actor: User, loan: Loan, loan_no: str, loan_date: dt.date, due_date: dt.date,
                   amount: Decimal, annual_rate: Decimal, note: str = "", bank: str | None = None) -> Loan:
    """续贷 (无还本续贷): a new loan to the same borrower whose renewal_of is ``loan``; the old one counts as repaid
    on the new one's loan date (funds.md §5). One transaction: the new loan and the LoanEvent."""
    _refuse(actor, loan.county_id)
    with transaction.atomic():
        old = Loan.objects.select_for_update().get(pk=loan.pk)
        if _settled(old):
            raise ValidationError("贷款已结清或已续贷,不能续贷")
        errors: dict[str, list[str]] = {}
        loan_no = (loan_no or "").strip()
        if not loan_no:
            errors["loan_no"] = ["请填写新贷款编号"]
        elif Loan.objects.filter(county_id=old.county_id, loan_no=loan_no).exists():
            errors["loan_no"] = ["本县已有该贷款编号"]
        if loan_date <= old.loan_date:
            errors["loan_date"] = ["续贷放款日期应晚于原贷款放款日期"]
        if due_date <= loan_date:
            errors["due_date"] = ["到期日期应晚于放款日期"]
        if amount is None or amount <= 0:
            errors["amount"] = ["贷款金额应大于0"]
        if annual_rate is None or not Decimal(0) < annual_rate < Decimal(1):
            errors["annual_rate"] = ["年利率应为大于0、小于1的小数,如 0.0435"]
        if errors:
            raise ValidationError(errors)
        new = Loan.objects.create(
            county_id=old.county_id, loan_no=loan_no, household=old.household, household_no=old.household_no,
            id_number=old.id_number, name=old.name, bank=bank or old.bank, loan_date=loan_date, due_date=due_date,
            amount=amount, annual_rate=annual_rate, guarantee=old.guarantee, purpose=old.purpose, renewal_of=old)
        LoanEvent.objects.create(loan=old, action=LoanAction.RENEWAL, user=actor, note=note, new_loan=new)
        return new


STATUS_AFTER = {AssetEventKind.DISPOSAL: "disposed", AssetEventKind.SCRAPPING: "scrapped"}


def record_asset_event(*, actor: User, asset: Asset, kind: str, date: dt.date, note: str,
                       proceeds: Decimal | None = None, attachment: Any = None) -> AssetEvent:
    """处置 or 报废 with who, when and why; from then on the asset shares no income (funds.md §6)."""
    _refuse(actor, asset.county_id)
    status = STATUS_AFTER.get(kind)
    if status is None:
        raise ValidationError({"kind": ["类型应为处置或报废"]})
    if not (note or "").strip():
        raise ValidationError({"note": ["请填写处置或报废的原因"]})
    if proceeds is not None and proceeds < 0:
        raise ValidationError({"proceeds": ["处置收入不能为负数"]})
    if attachment:   # checked here too, not only by the page's form: any caller stores only a checked scan
        check_attachment(attachment)
        mask_attachment_name(attachment)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if asset.status != t.OPERATING:
            raise ValidationError("资产已处置或报废")
        event = AssetEvent.objects.create(asset=asset, kind=kind, date=date, user=actor, note=note,
                                          proceeds=proceeds, attachment=attachment or "")
        asset.status = status
        asset.save(update_fields=["status", "updated_at"])
        return event


def record_disposal(*, actor: User, asset: Asset, date: dt.date, note: str,
                    proceeds: Decimal | None = None, attachment: Any = None) -> AssetEvent:
    return record_asset_event(actor=actor, asset=asset, kind=AssetEventKind.DISPOSAL, date=date, note=note,
                              proceeds=proceeds, attachment=attachment)


def record_scrapping(*, actor: User, asset: Asset, date: dt.date, note: str, attachment: Any = None) -> AssetEvent:
    return record_asset_event(actor=actor, asset=asset, kind=AssetEventKind.SCRAPPING, date=date, note=note,
                              attachment=attachment)
