"""Overdue 扶贫小额信贷 loans in a monitoring run (policy-rules.md §5, funds.md §5): the loans_overdue table a run
reads from the funds models, and the warning it raises with its own weight."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sunshine.funds.models_credit import Loan, LoanRepayment
from sunshine.monitoring.models import EarlyWarning
from sunshine.monitoring.runs import run_monitoring_for
from sunshine.monitoring.runs.loans import loans_overdue
from sunshine.policy.parameters import StandardParameters
from sunshine.testing import factories as f

END = dt.date(2020, 12, 31)     # the monitoring date of 2020 (31 December)
DAY0 = dt.date(2021, 3, 1)
_numbers = iter(range(1, 1000))


def make_loan(household_year, *, due: dt.date, loan_date: dt.date = dt.date(2019, 1, 10),
              amount: str = "30000", extended: dt.date | None = None, renewal_of: Loan | None = None) -> Loan:
    household = household_year.household
    return Loan.objects.create(
        county_id=f.COUNTY, loan_no=f"XD{next(_numbers):04d}", household=household,
        household_no=household.household_no, name="借款人", bank="丰县农商行", loan_date=loan_date, due_date=due,
        extended_due_date=extended, amount=Decimal(amount), annual_rate=Decimal("0.0435"), guarantee="none",
        renewal_of=renewal_of)


def overdue_rows(on: dt.date = END, **changes) -> dict[str, tuple[int, Decimal]]:
    table = loans_overdue(f.VILLAGE_A[:9], on, StandardParameters().with_changes(**changes))
    return {r["loan_no"]: (r["days"], r["outstanding"]) for r in table.to_pylist()}


@pytest.mark.django_db
def test_days_past_due_and_outstanding_principal(users):
    hy = f.make_household(users["county"])
    late = make_loan(hy, due=dt.date(2020, 10, 1))       # 91 days on 31 December
    almost = make_loan(hy, due=dt.date(2020, 10, 3))     # 89 days
    paid = make_loan(hy, due=dt.date(2020, 6, 1))
    LoanRepayment.objects.create(loan=late, date=dt.date(2020, 11, 1), principal=Decimal("10000.50"))
    LoanRepayment.objects.create(loan=late, date=dt.date(2021, 1, 5), principal=Decimal("5000"))  # after the date
    LoanRepayment.objects.create(loan=paid, date=dt.date(2020, 7, 1), principal=Decimal("30000"))
    rows = overdue_rows()
    assert rows == {late.loan_no: (91, Decimal("19999.50")), almost.loan_no: (89, Decimal("30000.00"))}
    assert rows[late.loan_no][1] == late.amount - Decimal("10000.50")


@pytest.mark.django_db
def test_a_renewed_loan_is_repaid_and_an_extension_moves_the_due_date(users):
    hy = f.make_household(users["county"])
    old = make_loan(hy, due=dt.date(2020, 6, 1))
    renewal = make_loan(hy, loan_date=dt.date(2020, 5, 25), due=dt.date(2023, 5, 25), renewal_of=old)
    extended = make_loan(hy, due=dt.date(2020, 6, 1), extended=dt.date(2021, 6, 1))
    extended_late = make_loan(hy, due=dt.date(2020, 3, 1), extended=dt.date(2020, 9, 1))   # 121 days after
    rows = overdue_rows()
    assert old.loan_no not in rows and renewal.loan_no not in rows and extended.loan_no not in rows
    assert rows == {extended_late.loan_no: (121, Decimal("30000.00"))}


@pytest.mark.django_db
def test_loans_outside_the_scope_or_date_are_not_read(users):
    make_loan(f.make_household(users["county"], village=f.VILLAGE_B), due=dt.date(2020, 1, 1))
    hy = f.make_household(users["county"])
    make_loan(hy, loan_date=dt.date(2021, 1, 2), due=dt.date(2021, 2, 1))   # issued after the date
    assert overdue_rows() == {}


@pytest.mark.django_db
def test_a_loan_overdue_more_than_90_days_raises_a_weighted_warning(users):
    county = users["county"]
    hy = f.make_household(county)
    late = make_loan(hy, due=dt.date(2020, 9, 1))      # 121 days on 31 December 2020
    make_loan(f.make_household(county), due=dt.date(2020, 10, 3))   # 89 days: no warning
    run = run_monitoring_for(actor=county, year=2020, today=DAY0)
    warning = EarlyWarning.objects.get()
    assert warning.household_id == hy.household_id and warning.codes == ["M-SUDDEN"]
    assert warning.contributions == {"loan_overdue": 20} and warning.score == 20
    assert warning.explanation == f"扶贫小额信贷{late.loan_no}逾期121天,尚欠本金30000.00元。"
    assert run.counts["by_code"] == {"M-SUDDEN": 1}

    # Run again in the spring: the monitoring date is still 31 December, the open warning is not repeated.
    again = run_monitoring_for(actor=county, year=2020, today=DAY0 + dt.timedelta(days=20))
    assert EarlyWarning.objects.count() == 1 and again.counts["repeated"] == 1


@pytest.mark.django_db
def test_the_run_judges_at_today_within_the_year(users):
    county = users["county"]
    hy = f.make_household(county)
    make_loan(hy, due=dt.date(2020, 6, 1))
    run_monitoring_for(actor=county, year=2020, today=dt.date(2020, 8, 30))   # 90 days: not yet
    assert not EarlyWarning.objects.exists()
    run_monitoring_for(actor=county, year=2020, today=dt.date(2020, 8, 31))   # 91 days
    assert EarlyWarning.objects.get().contributions == {"loan_overdue": 20}
