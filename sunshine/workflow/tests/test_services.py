"""The exit procedure walked through the services with a user of each role: sign-offs, rejection, public notice
timing, objections, role and scope checks, the registry change with its history reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear
from sunshine.workflow import services
from sunshine.workflow.choices import CaseStatus, Decision, ObjectionStatus, Step
from sunshine.workflow.models import Case
from sunshine.workflow.tests.helpers import DAY0, make_meet, official_run, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def exit_case(users, household_a):
    make_meet(users, household_a)
    official_run(users)
    return services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household,
                              reason="收入稳定超过标准")


def test_default_steps_and_inbox(users, exit_case):
    assert exit_case.steps == ["household", "cadre", "appraisal", "village_committee", "village_notice",
                               "township_review", "county_approval", "announcement"]
    assert exit_case.standard_version == "js-2018-2020-v1"
    assert services.next_role(exit_case) == "village_clerk"
    assert list(services.awaiting(users["clerk"])) == [exit_case]
    assert not services.awaiting(users["clerk_b"]).exists()
    assert not services.awaiting(users["township"]).exists()
    assert services.may_act(users["clerk"], exit_case) and not services.may_act(users["township"], exit_case)


def test_whole_exit_walk_changes_the_registry_with_the_case_as_reason(users, exit_case, household_a, settings,
                                                                      tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("签字页.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    case = services.advance(actor=users["clerk"], case=exit_case, step="household", decision="approve",
                            note="农户已签字确认", attachment=scan, today=DAY0)
    assert case.actions.get().attachment.read() == b"%PDF-1.4 signed"
    case = walk(users, case, Step.VILLAGE_NOTICE)
    assert (case.notice_start, case.notice_end) == (DAY0, DAY0 + dt.timedelta(days=6))
    assert list(services.awaiting(users["township"])) == []
    case = walk(users, case, Step.TOWNSHIP_REVIEW)
    assert list(services.awaiting(users["township"])) == [case]
    case = walk(users, case, Step.ANNOUNCEMENT)
    case = services.advance(actor=users["county"], case=case, step="announcement", decision="approve",
                            today=DAY0 + dt.timedelta(days=10))
    assert case.status == CaseStatus.APPROVED and case.closed_at and case.awaiting_step == ""
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.exit_year) == (rc.HouseholdStatus.EXITED, 2020)
    assert {"model": "HouseholdYear", "pk": row.pk, "field": "status", "old": "in_poverty",
            "new": "exited"} in case.registry_changes
    last = row.history.order_by("-history_date", "-history_id").first()
    assert last.history_change_reason == f"案件#{case.pk}" and last.history_user == users["county"]
    assert [a.actor.username for a in case.actions.all()] == ["clerk_a"] * 5 + ["township_a", "county", "county"]
    county_action = case.actions.get(step=Step.COUNTY_APPROVAL)
    assert county_action.assessment is not None and county_action.assessment.result == "meets"
    with pytest.raises(ValidationError):
        services.advance(actor=users["county"], case=case, step="announcement", decision="approve")


def test_rejection_returns_the_case_with_its_reason(users, exit_case):
    case = walk(users, exit_case, Step.TOWNSHIP_REVIEW)
    with pytest.raises(ValidationError, match="退回理由"):
        services.advance(actor=users["township"], case=case, step="township_review", decision="reject", note=" ")
    case = services.advance(actor=users["township"], case=case, step="township_review", decision="reject",
                            note="收入证明不全", today=DAY0 + dt.timedelta(days=8))
    assert case.step == Step.VILLAGE_NOTICE and case.status == CaseStatus.IN_PROGRESS
    assert case.actions.last().decision == Decision.REJECT and case.actions.last().note == "收入证明不全"
    assert list(services.awaiting(users["clerk"])) == [case]
    # A rejection at the first step keeps the case there.
    first = Case.objects.get(pk=case.pk)
    first.current_step, first.awaiting_step = 0, "household"
    first.save()
    again = services.advance(actor=users["clerk"], case=first, step="household", decision="reject", note="材料不全")
    assert again.current_step == 0


def test_notice_cannot_be_approved_before_it_ends(users, exit_case):
    case = walk(users, exit_case, Step.VILLAGE_NOTICE)
    with pytest.raises(ValidationError, match="公示期满后"):
        services.advance(actor=users["clerk"], case=case, step="village_notice", decision="approve",
                         today=case.notice_end)
    case = services.advance(actor=users["clerk"], case=case, step="village_notice", decision="approve",
                            today=case.notice_end + dt.timedelta(days=1))
    assert case.step == Step.TOWNSHIP_REVIEW


def test_objection_holds_the_case_until_dismissed(users, exit_case):
    case = walk(users, exit_case, Step.VILLAGE_NOTICE)
    with pytest.raises(ValidationError, match="不在公示期内"):
        services.submit_objection(case=case, name="王*", contact="", content="他家有车",
                                  today=case.notice_end + dt.timedelta(days=1))
    objection = services.submit_objection(case=case, name="王某", contact="13900000000", content="他家新买了车",
                                          today=DAY0 + dt.timedelta(days=2))
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    assert case in services.awaiting(users["township"])
    with pytest.raises(ValidationError, match="异议"):
        services.advance(actor=users["clerk"], case=case, step="village_notice", decision="approve",
                         today=case.notice_end + dt.timedelta(days=1))
    with pytest.raises(Http404):
        services.handle_objection(actor=users["clerk_b"], objection=objection, upheld=False, resolution="不成立")
    with pytest.raises(PermissionDenied):
        services.handle_objection(actor=users["supervisor"], objection=objection, upheld=False, resolution="x")
    services.handle_objection(actor=users["clerk"], objection=objection, upheld=False,
                              resolution="经核实车辆为亲属所有,异议不成立")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.step == Step.VILLAGE_NOTICE
    case = services.advance(actor=users["clerk"], case=case, step="village_notice", decision="approve",
                            today=case.notice_end + dt.timedelta(days=1))
    assert case.step == Step.TOWNSHIP_REVIEW


def test_upheld_objection_returns_the_case_to_appraisal(users, exit_case):
    case = walk(users, exit_case, Step.VILLAGE_NOTICE)
    first = services.submit_objection(case=case, name="", contact="", content="收入不实", today=DAY0)
    second = services.submit_objection(case=case, name="", contact="", content="另有务工收入", today=DAY0)
    services.handle_objection(actor=users["township"], objection=first, upheld=True, resolution="异议属实")
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD  # one objection still open
    services.handle_objection(actor=users["township"], objection=second, upheld=False, resolution="重复")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.step == Step.APPRAISAL
    assert case.notice_start is None and case.notice_end is None
    assert case.actions.last().decision == Decision.REJECT and "异议" in case.actions.last().note
    assert first.__class__.objects.get(pk=first.pk).status == ObjectionStatus.UPHELD
    # The notice runs again in full after re-appraisal.
    case = walk(users, case, Step.VILLAGE_NOTICE, start=DAY0 + dt.timedelta(days=20))
    assert case.notice_start == DAY0 + dt.timedelta(days=20)


def test_roles_scope_and_skipping(users, exit_case):
    with pytest.raises(PermissionDenied):  # a clerk naming a county step
        services.advance(actor=users["clerk"], case=exit_case, step="county_approval", decision="approve")
    with pytest.raises(services.StepConflict, match="步骤不能跳过"):
        services.advance(actor=users["admin"], case=exit_case, step="cadre", decision="approve")
    with pytest.raises(Http404):
        services.advance(actor=users["clerk_b"], case=exit_case, step="household", decision="approve")
    with pytest.raises(PermissionDenied):
        services.advance(actor=users["supervisor"], case=exit_case, step="household", decision="approve")
    case = walk(users, exit_case, Step.COUNTY_APPROVAL)
    with pytest.raises(PermissionDenied):
        services.advance(actor=users["clerk"], case=case, step="county_approval", decision="approve")
    with pytest.raises(PermissionDenied):
        services.advance(actor=users["township"], case=case, step="county_approval", decision="approve")
    with pytest.raises(ValidationError, match="不予批准的理由"):
        services.advance(actor=users["county"], case=case, step="county_approval", decision="refuse", note="")
    assert Case.objects.get(pk=case.pk).step == Step.COUNTY_APPROVAL
    case = services.advance(actor=users["county"], case=case, step="county_approval", decision="refuse",
                            note="经审定不符合退出条件")
    assert case.status == CaseStatus.REFUSED
    assert HouseholdYear.objects.get(household=case.household, year=2020).status == rc.HouseholdStatus.IN_POVERTY


def test_refuse_only_at_county_approval(users, exit_case):
    with pytest.raises(ValidationError, match="只有"):
        services.advance(actor=users["clerk"], case=exit_case, step="household", decision="refuse", note="不符合")


def test_admin_may_sign_any_step(users, exit_case):
    case = services.advance(actor=users["admin"], case=exit_case, step="household", decision="approve")
    assert case.step == Step.CADRE and case.actions.get().actor == users["admin"]


def test_withdrawn_case_stays_closed_and_its_objections_are_closed(users, exit_case):
    case = walk(users, exit_case, Step.VILLAGE_NOTICE)
    objection = services.submit_objection(case=case, name="", contact="", content="异议", today=DAY0)
    with pytest.raises(PermissionDenied):
        services.withdraw(actor=users["supervisor"], case=case, note="撤回")
    case = services.withdraw(actor=users["clerk"], case=case, note="农户撤回申请")
    assert case.status == CaseStatus.WITHDRAWN and case.awaiting_step == ""
    with pytest.raises(ValidationError, match="已处理"):
        services.handle_objection(actor=users["clerk"], objection=objection, upheld=False, resolution="x")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    assert not services.awaiting(users["clerk"]).exists()
