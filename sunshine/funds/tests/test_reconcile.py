"""The funds trail's reconciliation: issued = allocated + idle; allocated = spent + unspent, at every level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.funds import reconcile
from sunshine.funds.tests.project_factories import make_project
from sunshine.funds.tests.trail_factories import allocate, make_fund, pay, spend
from sunshine.testing import factories as f

D = Decimal


@pytest.fixture
def trail(users, household_a):
    """Fund 1 (1,000,000) gives 600,000 to project X and 100,000 to project Y: 300,000 idle. Fund 2 gives Y
    another 300,000. X spends 450,000 on works plus 2 × 2,000 paid to a household; Y spends 200,000."""
    county = users["county"]
    x = make_project(actor=county, division=f.VILLAGE_A, status="implementing", budget=D("800000"))
    y = make_project(actor=county, division=f.VILLAGE_A, status="implementing", budget=D("400000"))
    one = make_fund(amount="1000000.00")
    two = make_fund(amount="300000.00", source="provincial")
    allocate(one, x, "600000.00")
    allocate(one, y, "100000.00")
    allocate(two, y, "300000.00")
    spend(x, "450000.00")
    pay(household_year=household_a, fund=one, project=x, amount="2000.00")
    pay(household_year=household_a, fund=one, project=x, amount="2000.00", period="2021")
    spend(y, "200000.00")
    return {"one": one, "two": two, "x": x, "y": y}


def test_a_fund_with_idle_money_and_a_project_with_unspent(trail):
    sums = reconcile.fund_sums([trail["one"], trail["two"]])
    one = sums[trail["one"].pk]
    assert (one.issued, one.allocated, one.idle) == (D("1000000.00"), D("700000.00"), D("300000.00"))
    # X spent 454,000 of its 600,000 (all from fund 1); Y spent 200,000 of 400,000: fund 1's quarter is 50,000.
    assert one.spent == D("504000.00") and one.unspent == D("196000.00")
    two = sums[trail["two"].pk]
    assert (two.allocated, two.idle, two.spent, two.unspent) == (D("300000.00"), D("0.00"), D("150000.00"),
                                                                 D("150000.00"))
    assert one.reconciles and two.reconciles
    projects = reconcile.project_sums([trail["x"].pk, trail["y"].pk])
    x = projects[trail["x"].pk]
    assert (x.allocated, x.expenditures, x.payments, x.spent, x.unspent) == (
        D("600000.00"), D("450000.00"), D("4000.00"), D("454000.00"), D("146000.00"))


def test_trail_lines_add_up_to_the_fund(trail):
    t = reconcile.fund_trail(trail["one"])
    assert [line.project for line in t.projects] == sorted([trail["x"], trail["y"]], key=lambda p: p.project_no)
    assert sum(line.from_fund for line in t.projects) == t.sums.allocated == D("700000.00")
    assert sum(line.fund_spent for line in t.projects) == t.sums.spent
    assert sum(line.fund_unspent for line in t.projects) == t.sums.unspent
    assert t.sums.issued == t.sums.allocated + t.sums.idle


def test_spending_beyond_the_allocations_is_no_funds(users):
    county = users["county"]
    p = make_project(actor=county, division=f.VILLAGE_A, status="implementing")
    fund = make_fund(amount="100000.00")
    allocate(fund, p, "100000.00")
    spend(p, "130000.00")
    s = reconcile.fund_sums([fund])[fund.pk]
    assert (s.spent, s.unspent, s.idle) == (D("100000.00"), D("0.00"), D("0.00"))
    assert reconcile.project_sums([p.pk])[p.pk].unspent == D("-30000.00")


def test_totals_by_source_and_chart(trail):
    funds = [trail["one"], trail["two"]]
    sums = reconcile.fund_sums(funds)
    by_source = {t.source: t for t in reconcile.totals_by_source(funds, sums)}
    assert by_source["central"].sums.issued == D("1000000.00") and by_source["provincial"].funds == 1
    total = reconcile.totals(sums.values())
    assert total.issued == total.allocated + total.idle and total.allocated == total.spent + total.unspent
    chart = reconcile.fund_chart(total)
    widths = {bar.kind: bar.width for bar in chart.bars}
    assert widths["issued"] == reconcile.BAR_WIDTH and 0 < widths["idle"] < widths["allocated"]


def test_a_queryset_gives_the_same_sums_as_a_list(trail):
    from sunshine.funds.models import Fund

    as_list = reconcile.fund_sums(list(Fund.objects.all()))
    as_query = reconcile.fund_sums(Fund.objects.all())
    assert {k: (s.issued, s.allocated, s.spent) for k, s in as_list.items()} == {
        k: (s.issued, s.allocated, s.spent) for k, s in as_query.items()}
