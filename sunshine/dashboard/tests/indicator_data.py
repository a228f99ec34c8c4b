"""A small region's data touching every indicator of the catalogue, each with the edge cases its definition names
(closed households, deceased members, what-if runs, renewed loans, findings outside the registry, another year…).

Built through the apps' services and test factories where they exist, so the rows look like real ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.assessment.services import run_assessment
from sunshine.assistance.models import Visit
from sunshine.assistance.tests.helpers import make_cadre, pair
from sunshine.comparison.tests import factories as cf
from sunshine.core.models import Division
from sunshine.dashboard.indicators import params
from sunshine.funds.tests.credit_factories import make_loan, repay
from sunshine.funds.tests.project_factories import make_project
from sunshine.funds.tests.trail_factories import allocate, make_fund, pay, spend
from sunshine.grievance.choices import State
from sunshine.grievance.tests.factories import register
from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as rc
from sunshine.registry.models import MemberYear, VillageYear
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseStatus, CaseType, Step
from sunshine.workflow.models import Case

YEAR = 2020
TODAY = dt.date(2021, 3, 1)  # "today" at refresh time: the year's reference day is 31 December 2020

# The divisions the tests compare: code → the prefix a native row's code carries when it counts there.
REGION_CODES = {
    f.VILLAGE_A: f.VILLAGE_A, f.VILLAGE_A2: f.VILLAGE_A2, f.VILLAGE_B: f.VILLAGE_B,
    f.TOWNSHIP_A: f.TOWNSHIP_A[:9], f.TOWNSHIP_B: f.TOWNSHIP_B[:9], f.COUNTY: f.COUNTY[:6],
}


def _households(actor: Any) -> dict[str, Any]:
    h = f.make_household
    hh = {
        # 16,600 yuan over 3 → 5,533: under the line.
        "a1": h(actor, village=f.VILLAGE_A, members=3),
        # Exactly 6,000 per capita: not under the line (H-INC passes at the line).
        "a2": h(actor, village=f.VILLAGE_A, members=2, wage_income=Decimal(0), business_income=Decimal(0),
                business_expense=Decimal(0), property_income=Decimal(0), transfer_income=Decimal("12000.00")),
        # Exited this year, 8,300: between the line and the monitoring line; 低保户.
        "a3": h(actor, village=f.VILLAGE_A, members=2, status=rc.HouseholdStatus.EXITED, exit_year=YEAR,
                household_type=rc.HouseholdType.DIBAO),
        # Returned, one member: 16,600 above the monitoring line; 特困供养户.
        "a4": h(actor, village=f.VILLAGE_A2, members=1, status=rc.HouseholdStatus.RETURNED,
                household_type=rc.HouseholdType.TEKUN),
        # Income unknown.
        "a5": h(actor, village=f.VILLAGE_A2, members=2, wage_income=None),
        # Exited two years ago (still needs a cadre), 12,300 per capita.
        "b1": h(actor, village=f.VILLAGE_B, members=2, status=rc.HouseholdStatus.EXITED, exit_year=YEAR - 2,
                wage_income=Decimal("20000.00")),
        # Closed: counted by status, left out of the bands; a 低保户 not counted among them.
        "b2": h(actor, village=f.VILLAGE_B, members=2, status=rc.HouseholdStatus.CLOSED,
                household_type=rc.HouseholdType.DIBAO),
        # Exited this year with 3 members of whom one died: 16,600 over 2 active = 8,300.
        "b3": h(actor, village=f.VILLAGE_B, members=3, status=rc.HouseholdStatus.EXITED, exit_year=YEAR),
        # Another year's record: never counted for this year.
        "old": h(actor, village=f.VILLAGE_A, members=2, year=YEAR - 1, status=rc.HouseholdStatus.EXITED,
                 exit_year=YEAR - 1),
    }
    dead = MemberYear.objects.filter(household_year=hh["b3"]).exclude(relation=rc.Relation.HEAD).first()
    MemberYear.objects.filter(pk=dead.pk).update(member_status=rc.MemberStatus.DECEASED)
    child = MemberYear.objects.filter(household_year=hh["a1"]).exclude(relation=rc.Relation.HEAD).first()
    MemberYear.objects.filter(pk=child.pk).update(medical_insured=False)
    return hh


def _assessments(hh: dict[str, Any]) -> None:
    Division.objects.filter(code=f.COUNTY).update(is_key_county=True)
    for village, weak, income in ((f.VILLAGE_A, True, "200000.00"), (f.VILLAGE_A2, True, "100000.00"),
                                  (f.VILLAGE_B, False, "50000.00")):
        VillageYear.objects.create(village_id=village, year=YEAR, weak_village=weak,
                                   collective_income=Decimal(income), two_lane_road=True, clinic_ok=True)
    # An older official run of township A, superseded for its households by the county's run below.
    run_assessment(actor=None, kind="households", year=YEAR, division_code=f.TOWNSHIP_A)
    for kind in ("households", "villages", "counties"):
        run_assessment(actor=None, kind=kind, year=YEAR, division_code=f.COUNTY)
    # What-if runs never count.
    for kind in ("households", "villages", "counties"):
        run_assessment(actor=None, kind=kind, year=YEAR, division_code=f.COUNTY, official=False,
                       overrides={"income_line": 20000, "village_income_line": 10000})
    # And another year's run neither.
    run_assessment(actor=None, kind="households", year=YEAR - 1, division_code=f.COUNTY)


def _findings(hh: dict[str, Any], actor: Any) -> None:
    run = cf.make_run(actor=actor)
    past, future = TODAY - dt.timedelta(days=5), TODAY + dt.timedelta(days=5)
    cf.make_finding(run=run, household_year=hh["a1"], rule="C-DEAD", deadline=past)          # overdue
    cf.make_finding(run=run, household_year=hh["a3"], rule="C-DEAD", deadline=past, status="confirmed")
    cf.make_finding(run=run, household_year=hh["b1"], rule="C-CAR", deadline=future)
    cf.make_finding(run=run, rule="C-PAYROLL", division=f.COUNTY, deadline=past)              # outside: county
    cf.make_finding(run=run, household_year=hh["a4"], rule="C-NOMED", deadline=past, status="rectified")
    old = cf.make_run(actor=actor, year=YEAR - 1)
    cf.make_finding(run=old, household_year=hh["a1"], rule="C-DEAD", deadline=past)


def _warnings(hh: dict[str, Any], actor: Any) -> None:
    run = mf.make_run(actor=actor)
    past, future = TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3)
    mf.make_warning(run=run, household_year=hh["a1"], codes=["M-UNSTABLE", "M-SUDDEN"], deadline=past,
                    escalation="township")
    mf.make_warning(run=run, household_year=hh["a3"], codes=["M-UNSTABLE"], deadline=past, status="assisting",
                    escalation="county")
    mf.make_warning(run=run, household_year=hh["b3"], codes=["M-SLIP"], deadline=future)
    monitored = mf.make_monitored(division=f.VILLAGE_B)
    mf.make_warning(run=run, monitored=monitored, codes=["M-EDGE"], deadline=past)
    mf.make_warning(run=mf.make_run(actor=actor, year=YEAR - 1), household_year=hh["a1"], deadline=past)


def _cases(hh: dict[str, Any], actor: Any) -> None:
    steps = [Step.HOUSEHOLD, Step.VILLAGE_NOTICE, Step.TOWNSHIP_REVIEW, Step.COUNTY_APPROVAL]
    for key, case_type, status, current in (
        ("a1", CaseType.EXIT, CaseStatus.IN_PROGRESS, 2),
        ("a2", CaseType.EXIT, CaseStatus.ON_HOLD, 1),
        ("b1", CaseType.CHANGE, CaseStatus.IN_PROGRESS, 2),
        ("a3", CaseType.EXIT, CaseStatus.APPROVED, 4),
        ("b2", CaseType.CLOSURE, CaseStatus.REFUSED, 3),
    ):
        household = hh[key].household
        is_open = status in (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD)
        Case.objects.create(case_type=case_type, year=YEAR, household=household, division_id=household.village_id,
                            steps=steps, current_step=current, awaiting_step=steps[current] if is_open else "",
                            status=status, opened_by=actor)
    household = hh["old"].household
    Case.objects.create(case_type=CaseType.EXIT, year=YEAR - 1, household=household, division_id=household.village_id,
                        steps=steps, current_step=0, awaiting_step=steps[0], status=CaseStatus.IN_PROGRESS,
                        opened_by=actor)


def _funds(hh: dict[str, Any], actor: Any) -> None:
    central = make_fund(amount="100000.00", source="central")
    provincial = make_fund(amount="60000.00", source="provincial")
    make_fund(amount="30000.00", source="central")                       # nothing allocated: all idle
    make_fund(amount="99999.00", source="county", year=YEAR - 1)          # another year
    road = make_project(actor=actor, division=f.VILLAGE_A, status="implementing")
    water = make_project(actor=actor, division=f.VILLAGE_B, status="implementing")
    allocate(central, road, "40000.00")
    allocate(provincial, road, "20000.00")
    allocate(central, water, "50000.00")
    spend(road, "30000.00")                                              # road: 30,000 + 6,000 of 60,000
    pay(household_year=hh["a1"], project=road, amount="6000.00", item="industry_award", fund=central)
    spend(water, "80000.00")                                             # water: overspent, capped at 50,000
    pay(household_year=hh["a1"], amount="2000.00", item="education_aid")
    pay(household_year=hh["b1"], amount="280.00", item="medical_premium")
    pay(id_number=f.new_id(), name="档外人员", amount="500.00", item="temporary_relief")   # outside: county
    pay(household_year=hh["b1"], amount="999.00", item="education_aid", paid=dt.date(YEAR - 1, 9, 1))


def _loans(hh: dict[str, Any]) -> None:
    overdue = make_loan(household_year=hh["a1"], amount="50000.00", due_date=dt.date(YEAR, 6, 30))
    repay(overdue, dt.date(YEAR, 5, 1), "10000.00")                      # 40,000 overdue
    current = make_loan(household_year=hh["b1"], amount="30000.00", due_date=dt.date(YEAR + 2, 1, 1))
    repay(current, dt.date(YEAR + 1, 2, 1), "30000.00")                  # repaid after the reference day
    renewed = make_loan(household_year=hh["a3"], amount="20000.00", due_date=dt.date(YEAR, 6, 30))
    make_loan(household_year=hh["a3"], amount="20000.00", loan_date=dt.date(YEAR, 7, 1),
              due_date=dt.date(YEAR + 1, 6, 30), renewal_of=renewed)
    make_loan(id_number=f.new_id(), name="档外借款人", amount="10000.00", due_date=dt.date(YEAR, 3, 1),
              extended_due_date=dt.date(YEAR + 1, 3, 1))                 # extended: not overdue; county
    settled = make_loan(household_year=hh["b3"], amount="5000.00", due_date=dt.date(YEAR, 3, 1))
    repay(settled, dt.date(YEAR, 2, 1), "5000.00")
    make_loan(household_year=hh["b3"], amount="7000.00", loan_date=dt.date(YEAR + 1, 1, 5))  # after the day


def _grievances(users: dict[str, Any]) -> None:
    county = users["county"]
    late, _ = register(county, division=f.VILLAGE_A, on=dt.date(YEAR, 11, 1))          # 登记 past accept_by
    register(county, division=f.VILLAGE_B, on=dt.date(YEAR, 12, 30), category="assistance")
    investigating, _ = register(county, division=f.TOWNSHIP_A, on=dt.date(YEAR, 10, 1), category="conduct")
    type(investigating).objects.filter(pk=investigating.pk).update(
        state=State.INVESTIGATING, accepted_on=dt.date(YEAR, 10, 2), conclude_by=dt.date(YEAR, 11, 1))
    concluded, _ = register(county, division=f.VILLAGE_A2, on=dt.date(YEAR, 3, 1))
    type(concluded).objects.filter(pk=concluded.pk).update(
        state=State.CONCLUDED, accepted_on=dt.date(YEAR, 3, 2), conclude_by=dt.date(YEAR, 4, 1),
        concluded_on=dt.date(YEAR, 3, 20), outcome="true")
    register(county, division=f.VILLAGE_A, on=dt.date(YEAR - 1, 5, 1))                 # another year
    assert late.state == State.REGISTERED


def _assistance(hh: dict[str, Any]) -> None:
    cadre = make_cadre()
    pair(cadre, hh["a1"].household)                                      # open pairing
    pair(cadre, hh["a3"].household, end=dt.date(YEAR, 6, 30))           # ended before the reference day
    pair(cadre, hh["b1"].household)
    pair(cadre, hh["b3"].household, start=dt.date(YEAR + 1, 1, 2))      # starts after it
    pair(cadre, hh["a5"].household)
    for key, day in (("a1", dt.date(YEAR, 11, 1)), ("b1", dt.date(YEAR, 8, 1)), ("b1", dt.date(YEAR + 1, 1, 10)),
                     ("a5", dt.date(YEAR, 10, 2))):
        Visit.objects.create(cadre=cadre, household=hh[key].household, date=day)


def build(users: dict[str, Any], monkeypatch: Any) -> dict[str, Any]:
    """Every section's rows; ``params.today`` fixed at TODAY for the refresh."""
    monkeypatch.setattr(params, "today", lambda: TODAY)
    actor = users["county"]
    hh = _households(actor)
    _assessments(hh)
    _findings(hh, actor)
    _warnings(hh, actor)
    _cases(hh, actor)
    _funds(hh, actor)
    _loans(hh)
    _grievances(users)
    _assistance(hh)
    return hh
