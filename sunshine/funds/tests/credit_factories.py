"""Loans, repayments, assets and asset income for tests of the micro-credit and asset pages; and ``at_ids`` for
tests/test_scope.py (a loan and an asset with a given id)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.funds.models_credit import Asset, AssetEvent, AssetIncome, Loan, LoanRepayment

_counter = iter(range(1, 1_000_000))


def make_loan(*, household_year: Any = None, county: str = "320321000000", amount: str | Decimal = "50000.00",
              loan_date: dt.date = dt.date(2020, 1, 1), due_date: dt.date = dt.date(2022, 12, 31),
              rate: str | Decimal = "0.0360", bank: str = "县农商行", pk: int | None = None, **fields: Any) -> Loan:
    """A loan; with ``household_year`` to its head (ID number, name, household)."""
    values: dict[str, Any] = {"loan_no": f"DK{next(_counter):06d}", "guarantee": "none", "purpose": "养殖"}
    if household_year is not None:
        household = household_year.household
        values.update(household=household, household_no=household.household_no,
                      id_number=household_year.head_id_number, name=household_year.head_name)
        county = household.village_id[:6] + "000000"
    values.update(fields)
    return Loan.objects.create(pk=pk, county_id=county, bank=bank, loan_date=loan_date, due_date=due_date,
                               amount=Decimal(amount), annual_rate=Decimal(rate), **values)


def repay(loan: Loan, on: dt.date, principal: str | Decimal, interest: str | Decimal = "0") -> LoanRepayment:
    return LoanRepayment.objects.create(loan=loan, date=on, principal=Decimal(principal), interest=Decimal(interest))


def make_asset(*, division: str, villages: tuple[str, ...] = (), ratio: str = "0.6", method: str = "per_household",
               income: dict[int, str] | None = None, pk: int | None = None, **fields: Any) -> Asset:
    values: dict[str, Any] = {"asset_no": f"ZC{next(_counter):06d}", "name": "村级光伏电站", "kind": "solar",
                              "value": Decimal("300000.00"), "formed_date": dt.date(2018, 6, 30),
                              "operator": "县光伏公司"}
    values.update(fields)
    asset = Asset.objects.create(pk=pk, county_id=division[:6] + "000000", division_id=division, method=method,
                                 household_ratio=Decimal(ratio), **values)
    if villages:
        asset.villages.set(villages)
    for year, amount in (income or {}).items():
        AssetIncome.objects.create(asset=asset, year=year, income=Decimal(amount))
    return asset


def at_ids(*, household_year: Any, id: int) -> dict[str, Any]:  # noqa: A002 - the URL parameter
    """A loan of the household and an asset of its village, each with primary key ``id``."""
    village = household_year.household.village_id
    loan = make_loan(household_year=household_year, pk=id, loan_no=f"SCOPEDK{id}")
    asset = make_asset(division=village, villages=(village,), pk=id, asset_no=f"SCOPEZC{id}", income={2020: "1000.00"})
    # A record (without a scan: test_scope reads every page's .content, which a file response has not; the asset
    # keeps operating, so its dividends are still shown).
    event = AssetEvent.objects.create(pk=id, asset=asset, kind="disposal", date=dt.date(2021, 1, 1), note="评估")
    return {"loan": loan, "asset": asset, "event": event}
