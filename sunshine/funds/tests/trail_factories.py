"""Funds, allocations, expenditures and payments for tests of the funds trail; and ``at_ids`` for
tests/test_scope.py (a fund and a payment with a given id)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.funds.models import Allocation, Expenditure, Fund, Payment, Project
from sunshine.funds.tests.project_factories import make_project

_counter = iter(range(1, 1_000_000))


def make_fund(*, county: str = "320321000000", amount: str | Decimal = "1000000.00", year: int = 2020,
              source: str = "central", pk: int | None = None, **fields: Any) -> Fund:
    values: dict[str, Any] = {"fund_no": f"ZJ{year}{next(_counter):04d}", "document_no": f"苏财农〔{year}〕1号",
                              "issued_date": dt.date(year, 2, 1)}
    values.update(fields)
    return Fund.objects.create(pk=pk, county_id=county, year=year, source=source, amount=Decimal(amount), **values)


def allocate(fund: Fund, project: Project, amount: str | Decimal, on: dt.date = dt.date(2020, 3, 1)) -> Allocation:
    return Allocation.objects.create(fund=fund, project=project, date=on, amount=Decimal(amount))


def spend(project: Project, amount: str | Decimal, on: dt.date = dt.date(2020, 5, 1),
          payee: str = "县建筑公司") -> Expenditure:
    return Expenditure.objects.create(project=project, date=on, amount=Decimal(amount), payee=payee,
                                      purpose="工程款")


def pay(*, household_year: Any = None, id_number: str = "", name: str = "", amount: str | Decimal = "2000.00",
        item: str = "education_aid", period: str = "2020", fund: Fund | None = None, project: Project | None = None,
        county: str = "320321000000", pk: int | None = None, paid: dt.date = dt.date(2020, 9, 1),
        id_hash: str = "") -> Payment:
    """A payment; with ``household_year`` to its head (ID number, name, household)."""
    household = None
    if household_year is not None:
        household = household_year.household
        id_number = id_number or household_year.head_id_number
        name = name or household_year.head_name
    return Payment.objects.create(
        pk=pk, county_id=county, payment_no=f"FF{next(_counter):06d}", id_number=id_number, id_hash=id_hash,
        name=name, household=household, household_no=household.household_no if household else "", item=item,
        period=period, amount=Decimal(amount), paid_date=paid, fund=fund, project=project)


def at_ids(*, actor: Any, household_year: Any, id: int) -> dict[str, Any]:  # noqa: A002 - the URL parameter
    """A fund of the household's county and a payment to the household, each with primary key ``id``."""
    village = household_year.household.village_id
    fund = make_fund(county=village[:6] + "000000", pk=id, fund_no=f"SCOPEZJ{id}")
    project = make_project(actor=actor, division=village, status="implementing", project_no=f"SCOPEZJXM{id}")
    allocate(fund, project, "100000.00")
    payment = pay(household_year=household_year, fund=fund, project=project, pk=id)
    return {"fund": fund, "payment": payment, "project": project}
