"""Guards: an exit case cannot be approved unless the latest official assessment under the standard in force is
达标 (H-MED failing, then corrected and reassessed); one open case per household and type; which cases may open."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from sunshine.registry import choices as rc
from sunshine.registry import services as registry
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import CaseStatus, Step
from sunshine.workflow.models import Case
from sunshine.workflow.tests.helpers import make_meet, official_run, walk

pytestmark = pytest.mark.django_db


def test_exit_guard_h_med_fails_then_corrected_and_reassessed(users, household_a):
    make_meet(users, household_a)
    child = household_a.members.exclude(relation=rc.Relation.HEAD).first()
    registry.update_member(actor=users["clerk"], member=child, medical_insured=False)
    # Opened and noticed before the assessment (a failing result at opening refuses the case outright).
    case = services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)
    case = walk(users, case, Step.COUNTY_APPROVAL)
    failing = official_run(users)
    found = services.eligibility(case)
    assert not found.ok and found.result == "fails" and found.run_id == failing.pk
    assert found.criteria["H-MED"] == "fail" and found.criteria["H-INC"] == "pass"
    with pytest.raises(ValidationError) as refused:
        services.advance(actor=users["county"], case=case, step="county_approval", decision="approve")
    message = " ".join(refused.value.messages)
    assert f"最新评估(批次#{failing.pk})未达标" in message and "基本医疗有保障 未通过" in message
    assert "收入" not in message.split("。")[0]
    assert Case.objects.get(pk=case.pk).step == Step.COUNTY_APPROVAL
    # The data corrected is not enough: the guard reads assessments, so a new official run is needed.
    registry.update_member(actor=users["clerk"], member=child, medical_insured=True)
    with pytest.raises(ValidationError):
        services.advance(actor=users["county"], case=case, step="county_approval", decision="approve")
    # A what-if run does not count either.
    from sunshine.assessment.services import run_assessment

    run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A,
                   overrides={"income_line": 5000}, official=False)
    with pytest.raises(ValidationError):
        services.advance(actor=users["county"], case=case, step="county_approval", decision="approve")
    passing = official_run(users)
    found = services.eligibility(case)
    assert found.ok and found.run_id == passing.pk and found.message == ""
    case = services.advance(actor=users["county"], case=case, step="county_approval", decision="approve")
    assert case.step == Step.ANNOUNCEMENT
    assert case.actions.get(step="county_approval").assessment.run_id == passing.pk


def test_exit_without_any_official_assessment_is_not_eligible(users, household_a):
    case = services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)
    found = services.eligibility(case)
    assert not found.ok and found.result is None and "没有2020年度" in found.message


def test_one_open_case_per_household_and_type(users, household_a):
    services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)
    with pytest.raises(ValidationError, match="已有办理中的标注脱贫案件"):
        services.open_case(actor=users["township"], case_type="exit", year=2020, household=household_a.household)
    # Another type is fine; the database refuses a second open exit case even past the service.
    services.open_case(actor=users["clerk"], case_type="closure", year=2020, household=household_a.household)
    first = Case.objects.get(case_type="exit")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(case_type="exit", year=2020, household=household_a.household, division=first.division,
                            steps=first.steps, opened_by=users["clerk"])
    # Once the first is closed, a new one may open.
    first.status = CaseStatus.WITHDRAWN
    first.save()
    services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)


def test_which_cases_may_open(users, household_a, household_b):
    household = household_a.household
    with pytest.raises(ValidationError, match="返贫案件只针对已脱贫户"):
        services.open_case(actor=users["clerk"], case_type="return", year=2020, household=household)
    with pytest.raises(ValidationError, match="已在建档立卡中"):
        services.open_case(actor=users["clerk"], case_type="entry", year=2020, household=household)
    with pytest.raises(ValidationError, match="请指定且只指定一个对象"):
        services.open_case(actor=users["clerk"], case_type="entry", year=2020)
    registry.update_household_year(actor=users["clerk"], household_year=household_a, status=rc.HouseholdStatus.EXITED,
                                   exit_year=2019, procedure=registry.Procedure.seed())
    with pytest.raises(ValidationError, match="不能标注脱贫"):
        services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household)
    services.open_case(actor=users["clerk"], case_type="return", year=2020, household=household)
    with pytest.raises(PermissionDenied):  # village B is not clerk A's
        services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_b.household)
    with pytest.raises(ValidationError, match="没有2019年度的记录"):
        services.open_case(actor=users["clerk"], case_type="closure", year=2019, household=household)
    with pytest.raises(ValidationError, match="变更事项"):
        services.open_case(actor=users["clerk"], case_type="change", year=2020, household=household)
    assert HouseholdYear.objects.get(pk=household_a.pk).status == rc.HouseholdStatus.EXITED


def test_entry_case_shows_comparison_findings(users, household_a, household_b):
    from sunshine.comparison.tests import factories as cf

    registry.update_household_year(actor=users["clerk"], household_year=household_a,
                                   status=rc.HouseholdStatus.CLOSED, procedure=registry.Procedure.seed())
    case = services.open_case(actor=users["clerk"], case_type="entry", year=2020, household=household_a.household)
    assert not services.findings_for(case).exists()
    run = cf.make_run(actor=users["county"], division=f.VILLAGE_A)
    mine = cf.make_finding(run=run, household_year=household_a, head=True)
    cf.make_finding(run=run, household_year=household_b)
    assert list(services.findings_for(case)) == [mine]
