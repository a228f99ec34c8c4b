"""A household of village A with one benefit of every kind in 2020 (for the statement tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.funds.models import Payment, ProjectBeneficiary
from sunshine.funds.tests import credit_factories as kf
from sunshine.funds.tests import project_factories as pf
from sunshine.funds.tests import trail_factories as ff
from sunshine.monitoring.models import Measure
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f


def every_benefit(actor: Any, household_year: Any, *, payments: int = 1) -> dict[str, Any]:
    fund = ff.make_fund(document_no="苏财农〔2020〕9号")
    for i in range(payments):
        ff.pay(household_year=household_year, amount="2000.00", item="education_aid", fund=fund,
               paid=dt.date(2020, 9, 1) + dt.timedelta(days=i))
    ff.pay(household_year=household_year, amount="280.00", item="medical_premium", paid=dt.date(2020, 1, 15))
    ff.pay(household_year=household_year, amount="999.00", item="education_aid", period="2019")   # another year
    loan = kf.make_loan(household_year=household_year, amount="50000.00", loan_date=dt.date(2019, 6, 1),
                        rate="0.0360")
    paid = ff.pay(household_year=household_year, amount="1830.00", item="loan_interest_subsidy")
    Payment.objects.filter(pk=paid.pk).update(loan_no=loan.loan_no)
    asset = kf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A,), ratio="0.6", income={2020: "10000.00"},
                          name="村级光伏电站")
    run = mf.make_run(actor=actor)
    warning = mf.make_warning(run=run, household_year=household_year)
    Measure.objects.create(warning=warning, kind="temporary_relief", amount=Decimal("1500.00"),
                           date=dt.date(2020, 6, 1), note="临时救助金")
    project = pf.make_project(actor=actor, division=f.VILLAGE_A, status="implementing", name="光伏扶贫电站")
    ProjectBeneficiary.objects.create(project=project, household=household_year.household)
    return {"loan": loan, "asset": asset, "project": project}
