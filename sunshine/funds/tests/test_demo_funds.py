"""The demo's funds: a plausible county trail (funds fully reconciled but one, projects in every state with their
signed steps and announcements, payments to registry households, loans with a renewal and an extension, assets
with incomes and a disposal) where `sunshine funds check` finds every F-/P-/L- rule at least once and monitoring
sees the loans overdue more than 90 days; deterministic by seed; and a re-run replaces it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from sunshine.demo.funds import load_demo_funds
from sunshine.demo.generator import generate_region
from sunshine.demo.users import create_demo_users
from sunshine.engine.funds.catalogue import RULES
from sunshine.funds import reconcile
from sunshine.funds.choices import ProjectStatus
from sunshine.funds.models import Announcement, Fund, Payment, Project, ProjectTransition, VillageCadre
from sunshine.funds.models_credit import Asset, AssetIncome, Loan, LoanEvent, LoanRepayment
from sunshine.monitoring.runs import monitor

pytestmark = pytest.mark.django_db(transaction=True)
COUNTY6 = "320321"
YEAR = settings.SUNSHINE_DEFAULT_YEAR


@pytest.fixture
def demo_region():
    generate_region(households=1200, seed=3, county_code=COUNTY6, replace=True)
    create_demo_users(county_code=COUNTY6, seed=3)


def _snapshot() -> list[tuple]:
    return sorted(Payment.objects.values_list("payment_no", "household_no", "item", "period", "amount",
                                              "paid_date", "fund__fund_no", "project__project_no"))


def test_demo_funds_are_plausible_and_every_rule_fires(demo_region, tmp_path: Path):
    summary = load_demo_funds(year=YEAR, county6=COUNTY6, seed=3)
    assert summary.payments == Payment.objects.count() > 100 and summary.funds == Fund.objects.count() == 6
    assert {p.status for p in Project.objects.all()} == set(ProjectStatus.values)
    assert ProjectTransition.objects.filter(user__username="county").exists()
    assert Announcement.objects.filter(kind="result").exists() and VillageCadre.objects.exists()
    assert Payment.objects.filter(household__isnull=False).count() >= Payment.objects.count() - 1
    sums = reconcile.fund_sums(Fund.objects.all())
    idle = [f.fund_no for f in Fund.objects.all() if sums[f.pk].idle]
    assert len(idle) == 1 and all(s.reconciles for s in sums.values())

    out = tmp_path / "check.json"
    call_command("funds", "check", "--year", str(YEAR), "--division", f"{COUNTY6}000000", "--user", "county",
                 "--out", str(out), stdout=io.StringIO())
    rows = json.loads(out.read_text(encoding="utf-8"))
    fired = {r["rule"] for r in rows}
    wanted = {code for code in RULES if code.startswith(("F-", "P-", "L-"))}
    assert len(wanted) == 13 and fired >= wanted, f"never fired: {sorted(wanted - fired)}"
    overdue = [r for r in rows if r["rule"] == "L-OVERDUE"]
    assert sorted(r["severity"] for r in overdue) == ["risk", "risk", "warning", "warning"]  # 1–90 and > 90 days
    # One planted loan each: every other loan of the year is within the policy and lent to a registered adult.
    assert [r["rule"] for r in rows if r["rule"] in ("L-LIMIT", "L-INELIGIBLE")].count("L-LIMIT") == 1
    assert [r["rule"] for r in rows].count("L-INELIGIBLE") == 1
    # A handful of planted problems, not a flood: the rest of the county's money is in order.
    assert len(rows) < 40, sorted((r["rule"], r["key"]) for r in rows)

    first, credit = _snapshot(), _credit()
    load_demo_funds(year=YEAR, county6=COUNTY6, seed=3)  # the same seed again: the same trail, nothing doubled
    assert _snapshot() == first and _credit() == credit


def test_demo_loans_and_assets(demo_region):
    summary = load_demo_funds(year=YEAR, county6=COUNTY6, seed=3)
    assert summary.credit.loans == Loan.objects.count() > 20 and LoanRepayment.objects.count() > 20
    renewal = Loan.objects.get(renewal_of__isnull=False)
    assert renewal.loan_date == renewal.renewal_of.due_date
    assert LoanEvent.objects.get(action="renewal").new_loan == renewal
    extended = LoanEvent.objects.get(action="extension")
    assert extended.loan.extended_due_date == extended.new_due_date > extended.loan.due_date
    assert extended.user.username == "county"
    assets = Asset.objects.all()
    assert assets.count() == 4 and assets.filter(project__isnull=False).count() == 2
    assert {a.method for a in assets} == {"per_household", "per_person"}
    disposed = assets.get(status="disposed")
    assert disposed.events.get().kind == "disposal" and not disposed.incomes.filter(year=YEAR).exists()
    assert AssetIncome.objects.filter(year=YEAR).count() == 3 and all(a.villages.exists() for a in assets)
    # A loan more than 90 days overdue is a monitoring signal of its registered household.
    outcome = monitor(actor=None, year=YEAR, division_code=f"{COUNTY6}000000")
    loan_rows = [r for r in outcome.table.to_pylist() if "loan_overdue" in r["signals_text"]]
    assert len(loan_rows) == 2 and all("M-SUDDEN" in r["codes"] for r in loan_rows)


def _credit() -> list[tuple]:
    return sorted(Loan.objects.values_list("loan_no", "household_no", "loan_date", "due_date", "extended_due_date",
                                           "amount", "renewal_of__loan_no")) + sorted(
        AssetIncome.objects.values_list("asset__asset_no", "year", "income"))
