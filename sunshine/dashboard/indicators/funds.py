"""资金项目: the funds trail of the year (sunshine.funds, funds.md §1) by fund source, and payments to people.

The sums are those of sunshine.funds.reconcile, per fund and summed by source for the fund's county:
issued (下达) = the funds of the year; allocated (拨付) = their allocations to projects; idle (滞留) = issued −
allocated (F-DELAY's money); spent = each fund's share of its projects' spending (expenditures + payments naming
the project), in proportion to what the fund allocated to each project, never more than that part (reconcile.
ProjectSums.share_spent, rounded to the fen). Payments (一卡通) count in the year paid, for the payee's village
when the payee is a registered household, else for the county.
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, statement
from sunshine.funds.choices import FUND_SOURCE_CHOICES, ITEM_CHOICES
from sunshine.funds.models import Allocation, Expenditure, Fund, Payment
from sunshine.registry.models import Household

SOURCES = frozenset({"funds"})

# The allocations of the year's funds, per fund: one grouped pass.
_ALLOCATED = ("(SELECT a.fund_id, SUM(a.amount) AS allocated FROM {allocation} a"
              " JOIN {fund} f2 ON f2.id = a.fund_id WHERE f2.year = %s GROUP BY a.fund_id)")


def funds_issued(year: int) -> Query:
    return (statement("SELECT f.county_id, f.source, SUM(f.amount), NULL FROM {fund} f WHERE f.year = %s"
                      " GROUP BY f.county_id, f.source", fund=Fund), [year])


def funds_allocated(year: int) -> Query:
    return (statement("SELECT f.county_id, f.source, SUM(a.allocated), NULL FROM {fund} f"
                      f" JOIN {_ALLOCATED} a ON a.fund_id = f.id GROUP BY f.county_id, f.source",
                      fund=Fund, allocation=Allocation), [year])


def funds_idle(year: int) -> Query:
    return (statement("SELECT f.county_id, f.source, SUM(f.amount - COALESCE(a.allocated, 0)), NULL FROM {fund} f"
                      f" LEFT JOIN {_ALLOCATED} a ON a.fund_id = f.id WHERE f.year = %s"
                      " GROUP BY f.county_id, f.source", fund=Fund, allocation=Allocation), [year, year])


def funds_spent(year: int) -> Query:
    # used = the project's spending, at least 0 and at most its allocations; the fund's share is used × part ÷
    # allocations (× 1.0: SQLite divides integers as integers).
    used = ("CASE WHEN COALESCE(ps.spent, 0) < 0 THEN 0 WHEN COALESCE(ps.spent, 0) > pa.allocated"
            " THEN pa.allocated ELSE COALESCE(ps.spent, 0) END")
    return (
        statement(
            f"SELECT f.county_id, f.source, SUM(CASE WHEN pa.allocated > 0 AND fp.part > 0"
            f" THEN ROUND(({used}) * 1.0 * fp.part / pa.allocated, 2) ELSE 0 END), NULL"
            " FROM (SELECT a.fund_id, a.project_id, SUM(a.amount) AS part FROM {allocation} a"
            "  JOIN {fund} f2 ON f2.id = a.fund_id WHERE f2.year = %s GROUP BY a.fund_id, a.project_id) fp"
            " JOIN {fund} f ON f.id = fp.fund_id"
            " JOIN (SELECT project_id, SUM(amount) AS allocated FROM {allocation} GROUP BY project_id) pa"
            "  ON pa.project_id = fp.project_id"
            " LEFT JOIN (SELECT s.project_id, SUM(s.amount) AS spent FROM ("
            "  SELECT project_id, amount FROM {expenditure}"
            "  UNION ALL SELECT project_id, amount FROM {payment} WHERE project_id IS NOT NULL) s"
            "  GROUP BY s.project_id) ps ON ps.project_id = fp.project_id"
            " GROUP BY f.county_id, f.source",
            fund=Fund, allocation=Allocation, expenditure=Expenditure, payment=Payment,
        ),
        [year],
    )


def _paid_in(year: int) -> list[dt.date]:
    return [dt.date(year, 1, 1), dt.date(year, 12, 31)]


def payments(year: int) -> Query:
    return (
        statement("SELECT COALESCE(h.village_id, p.county_id), p.item, SUM(p.amount), NULL FROM {payment} p"
                  " LEFT JOIN {household} h ON h.id = p.household_id"
                  " WHERE p.paid_date >= %s AND p.paid_date <= %s GROUP BY COALESCE(h.village_id, p.county_id), p.item",
                  payment=Payment, household=Household),
        _paid_in(year),
    )


def payment_households(year: int) -> Query:
    return (
        statement("SELECT h.village_id, '', COUNT(DISTINCT p.household_id), NULL FROM {payment} p"
                  " JOIN {household} h ON h.id = p.household_id"
                  " WHERE p.paid_date >= %s AND p.paid_date <= %s GROUP BY h.village_id",
                  payment=Payment, household=Household),
        _paid_in(year),
    )


_SOURCE_KEYS = dict(FUND_SOURCE_CHOICES)
register(Indicator(
    code="funds_issued", name=_("下达资金"), unit=_("元"), section=Section.FUNDS, query=funds_issued,
    kind=Kind.SUM, keys=_SOURCE_KEYS, sources=SOURCES, description=_("当年下达到县的扶贫资金,按资金来源分列"),
))
register(Indicator(
    code="funds_allocated", name=_("拨付项目资金"), unit=_("元"), section=Section.FUNDS, query=funds_allocated,
    kind=Kind.SUM, direction=Direction.UP, keys=_SOURCE_KEYS, sources=SOURCES,
    description=_("当年下达资金已拨付到项目的金额,按资金来源分列"),
))
register(Indicator(
    code="funds_spent", name=_("项目已支出资金"), unit=_("元"), section=Section.FUNDS, query=funds_spent,
    kind=Kind.SUM, direction=Direction.UP, keys=_SOURCE_KEYS, sources=SOURCES,
    description=_("项目支出和到户发放中按拨付比例属于各笔资金的部分,按资金来源分列"),
))
register(Indicator(
    code="funds_idle", name=_("滞留未拨付资金"), unit=_("元"), section=Section.FUNDS, query=funds_idle,
    kind=Kind.SUM, direction=Direction.DOWN, target=Target(value=Decimal(0)), keys=_SOURCE_KEYS, sources=SOURCES,
    headline=True, description=_("当年下达资金中尚未拨付到项目的金额(下达−拨付),按资金来源分列"),
))
register(Indicator(
    code="payments", name=_("到户补贴发放金额"), unit=_("元"), section=Section.FUNDS, query=payments,
    kind=Kind.SUM, keys=dict(ITEM_CHOICES), sources=SOURCES,
    description=_("当年发放日期的到户资金(一卡通),按补贴项目分列"),
))
register(Indicator(
    code="payment_households", name=_("获得到户补贴的户数"), unit=_("户"), section=Section.FUNDS,
    query=payment_households, sources=SOURCES,
    description=_("当年收到到户资金发放的建档立卡户数"),
))
