"""Case pages: the inbox per role, the detail with its timeline, the step form (403 for a role that does not
sign the step, service errors shown on the form, a stale form refused), objections, the household panel."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sunshine.assessment.services import run_assessment
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import CaseStatus, Decision, ObjectionStatus, Step
from sunshine.workflow.models import Case, CaseStep
from sunshine.workflow.tests import factories as wf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def eligible(users):
    """A two-member household of village A that meets the standard (16600 / 2 = 8300 a head)."""
    return f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明", members=2)


@pytest.fixture
def case(users, eligible):
    return wf.open_exit(users["clerk"], eligible)


def table_ids(client: Client, url: str, testid: str) -> set[str]:
    body = client.get(url).content.decode()
    section = body.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return {part.split('"', 1)[0] for part in section.split('data-case="')[1:]}


def awaiting_ids(client: Client, user) -> set[str]:
    client.force_login(user)
    return table_ids(client, "/cases/", "awaiting")


def test_inbox_shows_what_awaits_each_role(client: Client, users, case):
    assert awaiting_ids(client, users["clerk"]) == {str(case.pk)}
    assert awaiting_ids(client, users["township"]) == set()
    assert awaiting_ids(client, users["county"]) == set()
    assert awaiting_ids(client, users["clerk_b"]) == set()
    wf.to_notice(users["clerk"], case)
    wf.end_notice(case)
    wf.sign(users["clerk"], case)                                  # village_notice
    assert awaiting_ids(client, users["clerk"]) == set()
    assert awaiting_ids(client, users["township"]) == {str(case.pk)}
    wf.sign(users["township"], case)
    assert awaiting_ids(client, users["county"]) == {str(case.pk)}
    # The full list: the county sees the case in scope, filters narrow it, clerk B sees nothing.
    client.force_login(users["county"])
    assert table_ids(client, "/cases/?case_type=exit&step=county_approval", "cases") == {str(case.pk)}
    assert table_ids(client, "/cases/?case_type=entry", "cases") == set()
    assert table_ids(client, "/cases/?step=township_review", "cases") == set()
    assert table_ids(client, f"/cases/?division={f.VILLAGE_B}", "cases") == set()
    client.force_login(users["clerk_b"])
    body = client.get("/cases/").content.decode()
    assert f'data-case="{case.pk}"' not in body and "王小明" not in body


def test_clerk_of_another_village_gets_404(client: Client, users, case):
    client.force_login(users["clerk_b"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.HOUSEHOLD, "decision": "approve"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).current_step == 0


def test_posting_a_step_the_role_does_not_sign_is_403(client: Client, users, case):
    client.force_login(users["township"])
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.HOUSEHOLD, "decision": "approve"})
    assert response.status_code == 403
    client.force_login(users["supervisor"])
    assert client.post(f"/cases/{case.pk}/advance/", {"step": Step.HOUSEHOLD,
                                                      "decision": "approve"}).status_code == 403
    wf.to_notice(users["clerk"], case)
    wf.end_notice(case)
    wf.sign(users["clerk"], case)
    client.force_login(users["clerk"])   # a village clerk cannot sign the township's review
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.TOWNSHIP_REVIEW, "decision": "approve"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).step == Step.TOWNSHIP_REVIEW
    assert not CaseStep.objects.filter(case=case, step=Step.TOWNSHIP_REVIEW).exists()


def test_clerk_signs_with_a_scan_and_the_timeline_shows_it(client: Client, users, case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["clerk"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="step-form"' in page and 'name="step" value="household"' in page
    assert 'data-state="current"' in page and "村级录入" in page
    response = client.post(f"/cases/{case.pk}/advance/", {
        "step": Step.HOUSEHOLD, "decision": "approve", "note": "户主签字确认",
        "attachment": SimpleUploadedFile("签字页.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.step == Step.CADRE
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "户主签字确认" in page and "clerk_a" in page and "签字页.png" in page
    action = CaseStep.objects.get(case=case, step=Step.HOUSEHOLD)
    served = client.get(f"/cases/attachments/{action.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG
    client.force_login(users["clerk_b"])
    assert client.get(f"/cases/attachments/{action.pk}/").status_code == 404


def test_step_form_shows_service_errors(client: Client, users, case):
    client.force_login(users["clerk"])
    # A file that is not what its name says.
    response = client.post(f"/cases/{case.pk}/advance/", {
        "step": Step.HOUSEHOLD, "decision": "approve",
        "attachment": SimpleUploadedFile("scan.png", b"not a png at all", content_type="image/png")})
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).current_step == 0
    wf.to_notice(users["clerk"], case)
    # The notice period is running: the service refuses, the page says why, nothing is signed.
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.VILLAGE_NOTICE, "decision": "approve"})
    assert response.status_code == 200
    assert "公示期满后才能确认公示结果" in response.content.decode()
    assert not CaseStep.objects.filter(case=case, step=Step.VILLAGE_NOTICE).exists()
    # A rejection needs a reason.
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.VILLAGE_NOTICE, "decision": "reject"})
    assert response.status_code == 200 and "理由" in response.content.decode()
    # A stale form (the household step, long signed) cannot sign the current step.
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.HOUSEHOLD, "decision": "approve"})
    assert response.status_code == 200
    assert "不能办理" in response.content.decode()
    assert Case.objects.get(pk=case.pk).step == Step.VILLAGE_NOTICE
    assert CaseStep.objects.filter(case=case, step=Step.HOUSEHOLD).count() == 1


def test_reject_returns_the_case_with_its_reason(client: Client, users, case):
    wf.sign(users["clerk"], case)
    client.force_login(users["clerk"])
    response = client.post(f"/cases/{case.pk}/advance/", {"step": Step.CADRE, "decision": "reject",
                                                          "note": "帮扶责任人未到场"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.step == Step.HOUSEHOLD
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "帮扶责任人未到场" in page and 'data-decision="reject"' in page


def test_exit_case_shows_eligibility_and_cannot_be_approved_without_it(client: Client, users, case):
    client.force_login(users["county"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="eligibility"' in page and "不能审定" in page
    run = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "可以审定" in page and f"#{run.pk}" in page and "H-INC" in page


def test_objection_is_handled_on_the_case_page(client: Client, users, case):
    wf.to_notice(users["clerk"], case)
    objection = services.submit_objection(case=case, name="", contact="13912345678", content="该户有车")
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    client.force_login(users["clerk"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "该户有车" in page and 'data-testid="handle-objection"' in page
    assert "13912345678" not in page and "139****5678" in page      # the clerk sees the contact masked
    response = client.post(f"/cases/objections/{objection.pk}/handle/", {
        f"o{objection.pk}-upheld": "false", f"o{objection.pk}-resolution": ""})
    assert response.status_code == 200 and Case.objects.get(pk=case.pk).status == CaseStatus.ON_HOLD
    response = client.post(f"/cases/objections/{objection.pk}/handle/", {
        f"o{objection.pk}-upheld": "false", f"o{objection.pk}-resolution": "经核实车辆为营运用车,异议不成立"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED and objection.handled_by == users["clerk"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    client.force_login(users["clerk_b"])
    assert client.post(f"/cases/objections/{objection.pk}/handle/").status_code == 404


def test_open_a_case_from_the_form_and_the_household_page(client: Client, users, eligible):
    no = eligible.household.household_no
    client.force_login(users["clerk"])
    page = client.get(f"/households/{no}/").content.decode()
    assert 'data-testid="household-cases"' in page and f"case_type=exit&amp;household_no={no}" in page
    response = client.post("/cases/new/", {"case_type": "exit", "year": 2020, "household_no": no,
                                           "reason": "申请脱贫"})
    assert response.status_code == 302
    case = Case.objects.get(household=eligible.household)
    assert response["Location"] == f"/cases/{case.pk}/" and case.opened_by == users["clerk"]
    assert f"/cases/{case.pk}/" in client.get(f"/households/{no}/").content.decode()
    again = client.post("/cases/new/", {"case_type": "exit", "year": 2020, "household_no": no, "reason": "再次"})
    assert again.status_code == 200 and 'role="alert"' in again.content.decode()
    assert Case.objects.filter(household=eligible.household).count() == 1
    other = f.make_household(users["county"], village=f.VILLAGE_B)
    response = client.post("/cases/new/", {"case_type": "exit", "year": 2020,
                                           "household_no": other.household.household_no, "reason": "越权"})
    assert response.status_code == 200 and not Case.objects.filter(household=other.household).exists()
    client.force_login(users["supervisor"])
    assert client.get("/cases/new/").status_code == 403


def test_full_walk_changes_the_registry(client: Client, users, case):
    run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A)
    wf.to_notice(users["clerk"], case)
    wf.end_notice(case)
    wf.sign(users["clerk"], case)
    wf.sign(users["township"], case)
    client.force_login(users["county"])
    for step in (Step.COUNTY_APPROVAL, Step.ANNOUNCEMENT):
        response = client.post(f"/cases/{case.pk}/advance/", {"step": step, "decision": Decision.APPROVE})
        assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    page = client.get(f"/cases/{case.pk}/").content.decode()
    changes = page.split('data-testid="registry-changes"', 1)[1].split("</section>", 1)[0]
    assert "未脱贫 → 已脱贫" in changes
    assert HouseholdYear.objects.get(household=case.household, year=2020).status == rc.HouseholdStatus.EXITED
    assert 'data-testid="step-form"' not in page
