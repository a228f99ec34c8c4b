"""The demo's funds: a plausible county trail (funds fully reconciled but one, projects in every state with their
signed steps and announcements, payments to registry households) where `sunshine funds check` finds every F-/P-
rule at least once; deterministic by seed; and a re-run replaces it."""

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
    wanted = {code for code in RULES if code.startswith(("F-", "P-"))}  # micro-credit (L-) has no demo data yet
    assert len(wanted) == 10 and fired >= wanted, f"never fired: {sorted(wanted - fired)}"
    # A handful of planted problems, not a flood: the rest of the county's money is in order.
    assert len(rows) < 40, sorted((r["rule"], r["key"]) for r in rows)

    first = _snapshot()
    load_demo_funds(year=YEAR, county6=COUNTY6, seed=3)  # the same seed again: the same trail, nothing doubled
    assert _snapshot() == first
