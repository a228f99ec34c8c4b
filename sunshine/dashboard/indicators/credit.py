"""扶贫小额信贷: the loan book on the year's reference day (31 December, or today when earlier), as
sunshine.funds.credit.portfolio reads it: outstanding principal = amount − principal repaid by that day, none for a
loan renewed (续贷) by then (the renewal carries it); overdue = outstanding past the due date (the extended one
when 展期). A loan counts for the borrower's village when the borrower is a registered household, else the county.
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, statement
from sunshine.dashboard.indicators.params import reference_day
from sunshine.funds.models import Loan, LoanRepayment
from sunshine.registry.models import Household

SOURCES = frozenset({"funds"})


def _book(year: int, value: str, overdue_only: bool) -> Query:
    day = reference_day(year)
    overdue = " AND COALESCE(l.extended_due_date, l.due_date) < %s" if overdue_only else ""
    left = "(l.amount - COALESCE(r.repaid, 0))"
    sql = statement(
        f"SELECT COALESCE(h.village_id, l.county_id), '', {value.format(left=left)}, NULL FROM {{loan}} l"
        " LEFT JOIN (SELECT loan_id, SUM(principal) AS repaid FROM {repayment} WHERE date <= %s"
        "  GROUP BY loan_id) r ON r.loan_id = l.id"
        " LEFT JOIN (SELECT DISTINCT renewal_of_id FROM {loan} WHERE renewal_of_id IS NOT NULL AND loan_date <= %s)"
        "  rn ON rn.renewal_of_id = l.id"
        " LEFT JOIN {household} h ON h.id = l.household_id"
        f" WHERE l.loan_date <= %s AND rn.renewal_of_id IS NULL AND {left} > 0{overdue}"
        " GROUP BY COALESCE(h.village_id, l.county_id)",
        loan=Loan, repayment=LoanRepayment, household=Household,
    )
    return sql, [day, day, day, *([day] if overdue_only else [])]


def loans_outstanding(year: int) -> Query:
    return _book(year, "SUM({left})", overdue_only=False)


def loans_overdue(year: int) -> Query:
    return _book(year, "SUM({left})", overdue_only=True)


def loans_overdue_count(year: int) -> Query:
    return _book(year, "COUNT(*)", overdue_only=True)


register(Indicator(
    code="loans_outstanding", name=_("小额信贷贷款余额"), unit=_("元"), section=Section.CREDIT,
    query=loans_outstanding, kind=Kind.SUM, sources=SOURCES,
    description=_("年末(或今天)未还本金合计;已续贷的旧贷款不计"),
))
register(Indicator(
    code="loans_overdue", name=_("小额信贷逾期余额"), unit=_("元"), section=Section.CREDIT,
    query=loans_overdue, kind=Kind.SUM, direction=Direction.DOWN, target=Target(value=Decimal(0)), sources=SOURCES,
    description=_("已过到期日(展期的按展期到期日)仍未还清的本金"),
))
register(Indicator(
    code="loans_overdue_count", name=_("小额信贷逾期笔数"), unit=_("笔"), section=Section.CREDIT,
    query=loans_overdue_count, direction=Direction.DOWN, target=Target(value=Decimal(0)), sources=SOURCES,
    description=_("已过到期日仍有未还本金的贷款笔数"),
))
