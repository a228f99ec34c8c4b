"""The demo's assistance data: every R-* rule finds what was planted, the cadre account sees its households, and
a re-run replaces the previous demo's cadres."""

from __future__ import annotations

import datetime as dt

import pytest

from sunshine.assistance import selectors
from sunshine.assistance.check.services import run_check
from sunshine.assistance.models import Cadre
from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.demo.assistance import load_demo_assistance
from sunshine.demo.generator import generate_region
from sunshine.demo.reset import clear_previous_demo
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
COUNTY6, YEAR = "320321", 2020


def test_demo_assistance_plants_every_rule():
    f.restore_reference_data()
    generate_region(households=300, seed=7, county_code=COUNTY6, years=(2019, 2020))
    summary = load_demo_assistance(year=YEAR, county6=COUNTY6, seed=7)
    assert summary.cadres and summary.pairings and summary.visits and summary.password
    admin = f.make_user("admin", Role.ADMIN, "320000000000")
    run, table = run_check(actor=admin, year=YEAR, division_code=f"{COUNTY6}000000",
                           check_date=dt.date(YEAR, 12, 31))
    rules = set(table.column("rule").to_pylist())
    assert {"R-NOCADRE", "R-OVERLOAD", "R-NOVISIT"} <= rules
    # the first weak village has no team (a small region may have none)
    assert ("R-NOTEAM" in rules) == VillageYear.objects.filter(year=YEAR, weak_village=True).exists()
    account = User.objects.get(username="cadre")
    assert account.has_role(Role.CADRE)
    assert selectors.my_households(account, on=dt.date(YEAR, 12, 31)).exists()
    again = load_demo_assistance(year=YEAR, county6=COUNTY6, seed=7)
    assert Cadre.objects.count() == again.cadres == summary.cadres
    clear_previous_demo(COUNTY6)
    assert not Cadre.objects.exists()
    generate_region(households=100, seed=7, county_code=COUNTY6, years=(2020,), replace=True)
