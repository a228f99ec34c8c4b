"""Approved cases change the registry through the registry services, each history row naming the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as rc
from sunshine.registry import services as registry
from sunshine.registry.models import Household, HouseholdYear, MemberYear
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.apply import next_household_no
from sunshine.workflow.choices import CaseStatus, Step
from sunshine.workflow.tests.helpers import SIGNERS, walk

pytestmark = pytest.mark.django_db


def finish(users, case):
    case = walk(users, case, case.steps[-1])
    return services.advance(actor=users[SIGNERS[case.step]], case=case, step=case.step, decision="approve")


def reasons(model, pk):
    return set(model.history.filter(id=pk).values_list("history_change_reason", flat=True))


def test_entry_of_a_monitored_household_creates_it_in_poverty(users):
    monitored = mf.make_monitored(division=f.VILLAGE_A, head_name="边缘户甲", head_id_number=f.new_id())
    case = services.open_case(actor=users["clerk"], case_type="entry", year=2020, monitored=monitored,
                              payload={"members": [{"name": "边缘户之子", "id_number": f.new_id(dt.date(2010, 1, 1)),
                                                    "relation": "child", "medical_insured": True}]})
    assert case.division_id == f.VILLAGE_A
    case = finish(users, case)
    assert case.status == CaseStatus.APPROVED
    household = Household.objects.get(pk=case.household_id)
    assert household.household_no == f"{f.VILLAGE_A}0001" and household.village_id == f.VILLAGE_A
    row = household.years.get(year=2020)
    assert (row.status, row.identified_year, row.head_name) == (rc.HouseholdStatus.IN_POVERTY, 2020, "边缘户甲")
    assert row.members.count() == 2
    assert reasons(HouseholdYear, row.pk) == {f"案件#{case.pk}"}
    assert reasons(Household, household.pk) == {f"案件#{case.pk}"}
    for member in row.members.all():
        assert reasons(MemberYear, member.pk) == {f"案件#{case.pk}"}
    assert next_household_no(f.VILLAGE_A) == f"{f.VILLAGE_A}0002"
    assert {c["field"] for c in case.registry_changes} >= {"household_no", "status", "identified_year"}


def test_entry_of_an_applicant_and_of_a_closed_household(users, household_a):
    with pytest.raises(PermissionDenied):
        services.open_case(actor=users["clerk"], case_type="entry", year=2020,
                           applicant={"name": "申请人乙", "id_number": f.new_id(), "village_code": f.VILLAGE_A2})
    case = services.open_case(actor=users["township"], case_type="entry", year=2020,
                              applicant={"name": "申请人乙", "id_number": f.new_id(), "village_code": f.VILLAGE_A2})
    case = finish({**users, "clerk": users["admin"]}, case)  # village A2 has no clerk here
    assert case.household.village_id == f.VILLAGE_A2
    assert case.household.years.get().head_name == "申请人乙"
    registry.update_household_year(actor=users["clerk"], household_year=household_a, status=rc.HouseholdStatus.CLOSED,
                                   procedure=registry.Procedure.seed())
    case = finish(users, services.open_case(actor=users["clerk"], case_type="entry", year=2020,
                                            household=household_a.household))
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.identified_year) == (rc.HouseholdStatus.IN_POVERTY, 2020)


def test_return_and_closure(users, household_a, household_b):
    registry.update_household_year(actor=users["clerk"], household_year=household_a, status=rc.HouseholdStatus.EXITED,
                                   exit_year=2019, procedure=registry.Procedure.seed())
    case = finish(users, services.open_case(actor=users["clerk"], case_type="return", year=2020,
                                            household=household_a.household))
    assert HouseholdYear.objects.get(pk=household_a.pk).status == rc.HouseholdStatus.RETURNED
    assert case.registry_changes == [{"model": "HouseholdYear", "pk": household_a.pk, "field": "status",
                                      "old": "exited", "new": "returned"}]
    case = services.open_case(actor=users["clerk_b"], case_type="closure", year=2020, household=household_b.household)
    assert case.steps == ["village_committee", "village_notice", "township_review", "county_approval"]
    with pytest.raises(Http404):  # village B's case does not exist for village A's clerk
        services.advance(actor=users["clerk"], case=case, step="village_committee", decision="approve")
    case = walk({**users, "clerk": users["clerk_b"], "township": users["admin"]}, case, Step.COUNTY_APPROVAL)
    services.advance(actor=users["county"], case=case, step="county_approval", decision="approve")
    assert HouseholdYear.objects.get(pk=household_b.pk).status == rc.HouseholdStatus.CLOSED


def test_change_death_and_birth(users, household_a):
    child = household_a.members.exclude(relation=rc.Relation.HEAD).first()
    case = services.open_case(actor=users["clerk"], case_type="change", change_kind="death", year=2020,
                              household=household_a.household,
                              payload={"member_id": child.pk, "change_date": "2020-05-01"})
    assert case.steps == ["household", "village_committee", "township_review"]
    case = finish(users, case)
    child.refresh_from_db()
    assert (child.member_status, child.change_date) == (rc.MemberStatus.DECEASED, dt.date(2020, 5, 1))
    assert f"案件#{case.pk}" in reasons(MemberYear, child.pk)
    assert {"model": "MemberYear", "pk": child.pk, "field": "member_status", "old": "active",
            "new": "deceased"} in case.registry_changes
    born = f.new_id(dt.date(2020, 3, 1))
    case = finish(users, services.open_case(
        actor=users["clerk"], case_type="change", change_kind="birth", year=2020, household=household_a.household,
        payload={"member": {"name": "新生儿", "id_number": born, "medical_insured": True}}))
    baby = MemberYear.objects.get(person__id_number=born)
    assert baby.relation == rc.Relation.CHILD and baby.household_year_id == household_a.pk
    assert reasons(MemberYear, baby.pk) == {f"案件#{case.pk}"}


def test_a_registry_error_at_approval_rolls_the_approval_back(users, household_a):
    head = household_a.members.get(relation=rc.Relation.HEAD)
    case = services.open_case(actor=users["clerk"], case_type="change", change_kind="move_out", year=2020,
                              household=household_a.household, payload={"member_id": head.pk})
    case = walk(users, case, Step.TOWNSHIP_REVIEW)
    with pytest.raises(ValidationError, match="更换户主"):
        services.advance(actor=users["township"], case=case, step="township_review", decision="approve")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.step == Step.TOWNSHIP_REVIEW
    assert not case.actions.filter(step="township_review").exists()
