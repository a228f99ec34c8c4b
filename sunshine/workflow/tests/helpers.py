"""Shared by the workflow tests: a household that meets the standard, an official run, a walk to a step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sunshine.assessment.services import run_assessment
from sunshine.registry import services as registry
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import Step
from sunshine.workflow.models import Case

DAY0 = dt.date(2020, 11, 2)
SIGNERS = {Step.HOUSEHOLD: "clerk", Step.CADRE: "clerk", Step.APPRAISAL: "clerk",
           Step.VILLAGE_COMMITTEE: "clerk", Step.VILLAGE_NOTICE: "clerk", Step.TOWNSHIP_REVIEW: "township",
           Step.COUNTY_APPROVAL: "county", Step.ANNOUNCEMENT: "county"}


def make_meet(users: dict[str, Any], household_year: HouseholdYear) -> HouseholdYear:
    """Enough income for every member (the factory's household of three is below the line)."""
    return registry.update_household_year(actor=users["county"], household_year=household_year,
                                          wage_income=Decimal("20000.00"))


def official_run(users: dict[str, Any], village: str = f.VILLAGE_A) -> Any:
    return run_assessment(actor=users["county"], kind="households", year=2020, division_code=village)


def walk(users: dict[str, Any], case: Case, until: str, *, start: dt.date = DAY0) -> Case:
    """Approve every step before ``until`` with the user who signs it; the notice is approved once it ended."""
    on = start
    while case.step != until:
        if case.step == Step.VILLAGE_NOTICE:
            on = case.notice_end + dt.timedelta(days=1)
        case = services.advance(actor=users[SIGNERS[case.step]], case=case, step=case.step, decision="approve",
                                note="同意", today=on)
    return case
