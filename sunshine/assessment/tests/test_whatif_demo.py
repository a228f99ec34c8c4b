"""Acceptance: on the synthetic demo region, a what-if run with income_line=6500 lists exactly the
households whose per-capita income lies in [6000, 6500) and that pass every other criterion. The
per-capita incomes are recomputed here from the registry with Decimal, independently of the engine."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from sunshine.assessment import selectors
from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import run_assessment
from sunshine.core.choices import Role
from sunshine.demo.generator import generate_region
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def per_capita_incomes(year: int) -> dict[str, Decimal | None]:
    active = Counter(MemberYear.objects.filter(year=year, member_status=c.MemberStatus.ACTIVE)
                     .values_list("household_year__household__household_no", flat=True))
    out: dict[str, Decimal | None] = {}
    for hy in HouseholdYear.objects.filter(year=year).exclude(status=c.HouseholdStatus.CLOSED).select_related(
            "household"):
        income, n = hy.disposable_income(), active[hy.household.household_no]
        out[hy.household.household_no] = None if income is None or n == 0 else income / n
    return out


def test_what_if_income_line_6500_on_the_demo_region():
    generate_region(households=600, seed=11, county_code="320321", years=(2018, 2019, 2020))
    analyst = f.make_user("analyst", Role.PROVINCIAL_ANALYST, "320000000000")
    official = run_assessment(actor=analyst, kind="households", year=2020, division_code="320321000000")
    what_if = run_assessment(actor=analyst, kind="households", year=2020, division_code="320321000000",
                             overrides={"income_line": 6500}, official=False)

    incomes = per_capita_incomes(2020)
    others_pass = {
        r.household.household_no: all(v == "pass" for k, v in r.criteria.items() if k != "H-INC")
        for r in official.household_results.select_related("household")
    }
    assert set(others_pass) == set(incomes)
    expected = {no for no, pc in incomes.items()
                if pc is not None and Decimal(6000) <= pc < Decimal(6500) and others_pass[no]}
    assert len(expected) >= 5  # the demo region has households just above the line

    changes = selectors.household_changes(analyst, official, what_if)
    newly_failing = {ch.household_no for ch in changes if (ch.before, ch.after) == ("meets", "fails")}
    assert newly_failing == expected
    # Every other change is a household in the same income band whose result was already incomplete.
    for ch in changes:
        assert Decimal(6000) <= incomes[ch.household_no] < Decimal(6500)
        assert (ch.before, ch.after) in {("meets", "fails"), ("incomplete", "fails")}
    assert official.counts["meets"] - what_if.counts["meets"] == len(expected)


def test_regenerating_the_demo_region_removes_runs_about_it():
    generate_region(households=50, seed=2, county_code="320321", years=(2020,))
    run = run_assessment(actor=None, kind="households", year=2020, division_code="320321000000")
    village = run.household_results.first().household.village_id
    what_if = run_assessment(actor=None, kind="villages", year=2020, division_code=village, official=False)
    assert what_if.village_results.count() == 1
    generate_region(households=50, seed=2, county_code="320321", years=(2020,), replace=True)
    assert not AssessmentRun.objects.exists()
