"""The project lifecycle's rules: who may sign each step (every role × every transition), the approval
announcement's guard before 实施 (its last day is still within the period, the day after the project may start),
removal, acceptance, proposing and editing, publishing announcements, public comments and their handling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from sunshine.funds import announcements, lifecycle
from sunshine.funds.choices import ProjectStatus as S
from sunshine.funds.models import AnnouncementComment, Project, ProjectTransition
from sunshine.funds.tests.project_factories import announce, make_project
from sunshine.testing import factories as f
from sunshine.workflow.services.objections import RateLimited

pytestmark = pytest.mark.django_db

TODAY = dt.date(2020, 6, 15)
ACCEPT = lifecycle.Acceptance(dt.date(2020, 6, 1), "met", "全部目标达到")
ROLES = ("clerk", "township", "county", "supervisor", "analyst", "admin")
# Target state → the roles (of the conftest users) that may sign it for a project built in village A.
ALLOWED = {
    S.VETTED: {"township", "admin"},
    S.IN_LIBRARY: {"county", "admin"},
    S.APPROVED: {"county", "admin"},
    S.IMPLEMENTING: {"township", "county", "admin"},
    S.COMPLETED: {"township", "county", "admin"},
    S.ACCEPTED: {"county", "admin"},
    S.REMOVED: {"county", "admin"},
}
FROM = {S.VETTED: S.PROPOSED, S.IN_LIBRARY: S.VETTED, S.APPROVED: S.IN_LIBRARY, S.IMPLEMENTING: S.APPROVED,
        S.COMPLETED: S.IMPLEMENTING, S.ACCEPTED: S.COMPLETED, S.REMOVED: S.IN_LIBRARY}


def _ready(users, target: str, division: str = f.VILLAGE_A) -> Project:
    project = make_project(actor=users["county"], division=division, status=FROM[target])
    if target == S.IMPLEMENTING:
        announce(project, start=TODAY - dt.timedelta(days=20))
    return project


def _sign(user, project, target, **kw):
    kw.setdefault("on", TODAY)
    if target == S.ACCEPTED:
        kw.setdefault("acceptance", ACCEPT)
    if target == S.REMOVED:
        kw.setdefault("reason", "群众意见较大,不再实施")
    return lifecycle.transition(actor=user, project=project, to_status=target, note="同意", **kw)


@pytest.mark.parametrize("target", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_and_transition(users, role, target):
    project = _ready(users, target)
    if role in ALLOWED[target]:
        step = _sign(users[role], project, target)
        project.refresh_from_db()
        assert project.status == target
        assert (step.from_status, step.to_status, step.user) == (FROM[target], target, users[role])
    else:
        with pytest.raises(PermissionDenied):
            _sign(users[role], project, target)
        project.refresh_from_db()
        assert project.status == FROM[target]
    assert lifecycle.may_sign(users[role], project, target) == (role in ALLOWED[target])


def test_another_village_or_township_does_not_see_the_project(users):
    project = _ready(users, S.VETTED, division=f.VILLAGE_B)  # township B: not township_a's
    for role in ("clerk", "township"):
        with pytest.raises(Http404):
            _sign(users[role], project, S.VETTED)
    assert lifecycle.available(users["township"], project) == []


def test_county_level_project_is_reviewed_and_implemented_by_the_county(users):
    project = _ready(users, S.VETTED, division=f.COUNTY)
    with pytest.raises(Http404):
        _sign(users["township"], project, S.VETTED)
    _sign(users["county"], project, S.VETTED)
    assert Project.objects.get(pk=project.pk).status == S.VETTED


def test_the_whole_path_keeps_its_history(users):
    project = lifecycle.propose(actor=users["clerk"], division_code=f.VILLAGE_A, note="村民代表会议通过", values={
        "project_no": "XM-1", "name": "光伏电站", "category": "asset_income", "year": 2020,
        "budget": Decimal("800000")})
    _sign(users["township"], project, S.VETTED)
    _sign(users["county"], project, S.IN_LIBRARY)
    _sign(users["county"], project, S.APPROVED)
    announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY, days=10,
                          on=TODAY)
    _sign(users["township"], project, S.IMPLEMENTING, on=TODAY + dt.timedelta(days=10))
    _sign(users["county"], project, S.COMPLETED, on=TODAY + dt.timedelta(days=100))
    _sign(users["county"], project, S.ACCEPTED, on=TODAY + dt.timedelta(days=110))
    project.refresh_from_db()
    assert project.status == S.ACCEPTED and project.performance_result == "met"
    assert project.actual_end == TODAY + dt.timedelta(days=100)
    steps = list(project.transitions.values_list("from_status", "to_status"))
    assert steps == [("", S.PROPOSED), (S.PROPOSED, S.VETTED), (S.VETTED, S.IN_LIBRARY),
                     (S.IN_LIBRARY, S.APPROVED), (S.APPROVED, S.IMPLEMENTING), (S.IMPLEMENTING, S.COMPLETED),
                     (S.COMPLETED, S.ACCEPTED)]
    assert project.transitions.first().note == "村民代表会议通过"


def test_steps_cannot_be_skipped_or_repeated(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.PROPOSED)
    with pytest.raises(ValidationError, match="不能办理"):
        _sign(users["admin"], project, S.APPROVED)
    _sign(users["township"], project, S.VETTED)
    with pytest.raises(ValidationError):
        _sign(users["township"], project, S.VETTED)
    assert project.transitions.filter(to_status=S.VETTED).count() == 1


def test_a_stale_form_is_refused(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.VETTED)
    Project.objects.filter(pk=project.pk).update(status=S.IN_LIBRARY)  # someone else signed meanwhile
    with pytest.raises(ValidationError, match="请刷新页面"):
        _sign(users["county"], project, S.IN_LIBRARY, expected_status=S.VETTED)


# --- the approval announcement's guard ------------------------------------------------------------------


def test_implementation_needs_an_approval_announcement(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    with pytest.raises(ValidationError, match="尚未发布立项公告"):
        _sign(users["county"], project, S.IMPLEMENTING)


def test_the_last_day_of_the_period_is_still_running_the_day_after_may_start(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    announce(project, start=dt.date(2020, 6, 1), days=10)  # 6-01 … 6-10
    assert lifecycle.implementation_refusal(project, dt.date(2020, 6, 11)) is None
    with pytest.raises(ValidationError) as refused:
        _sign(users["county"], project, S.IMPLEMENTING, on=dt.date(2020, 6, 10))
    message = refused.value.message_dict["to_status"][0]
    assert "2020年6月10日结束" in message and "2020年6月11日起" in message
    with pytest.raises(ValidationError):
        _sign(users["county"], project, S.IMPLEMENTING, on=dt.date(2020, 6, 1))
    assert Project.objects.get(pk=project.pk).status == S.APPROVED
    _sign(users["county"], project, S.IMPLEMENTING, on=dt.date(2020, 6, 11))
    assert Project.objects.get(pk=project.pk).status == S.IMPLEMENTING


def test_a_result_announcement_does_not_open_implementation(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    announce(project, kind="result", start=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError, match="尚未发布立项公告"):
        _sign(users["county"], project, S.IMPLEMENTING)


# --- removal and acceptance -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PROPOSED, S.VETTED, S.IN_LIBRARY, S.APPROVED])
def test_removal_with_a_reason_before_implementation(users, status):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=status)
    _sign(users["county"], project, S.REMOVED, reason="选址不符合规划")
    project.refresh_from_db()
    assert project.status == S.REMOVED and project.removal_reason == "选址不符合规划"


@pytest.mark.parametrize("status", [S.IMPLEMENTING, S.COMPLETED, S.ACCEPTED, S.REMOVED])
def test_no_removal_once_implementing(users, status):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=status)
    with pytest.raises(ValidationError):
        _sign(users["county"], project, S.REMOVED)


def test_removal_needs_a_reason(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.IN_LIBRARY)
    with pytest.raises(ValidationError, match="出库须填写原因"):
        lifecycle.transition(actor=users["county"], project=project, to_status=S.REMOVED, on=TODAY)


@pytest.mark.parametrize(("acceptance", "field"), [
    (lifecycle.Acceptance(None, "met", "说明"), "accepted_date"),
    (lifecycle.Acceptance(dt.date(2020, 6, 1), "", "说明"), "performance_result"),
    (lifecycle.Acceptance(dt.date(2020, 6, 1), "great", "说明"), "performance_result"),
    (lifecycle.Acceptance(dt.date(2020, 6, 1), "partly", "  "), "performance_note"),
    (lifecycle.Acceptance(dt.date(2020, 7, 1), "met", "说明"), "accepted_date"),  # after today
])
def test_acceptance_records_date_result_and_note(users, acceptance, field):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.COMPLETED)
    with pytest.raises(ValidationError) as refused:
        _sign(users["county"], project, S.ACCEPTED, acceptance=acceptance)
    assert field in refused.value.message_dict
    _sign(users["county"], project, S.ACCEPTED,
          acceptance=lifecycle.Acceptance(dt.date(2020, 6, 1), "partly", "完成80%"))
    project.refresh_from_db()
    assert (project.accepted_date, project.performance_result, project.performance_note) == (
        dt.date(2020, 6, 1), "partly", "完成80%")


def test_a_scanned_page_is_checked_and_kept(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.PROPOSED)
    fake = SimpleUploadedFile("论证意见.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        _sign(users["township"], project, S.VETTED, attachment=fake)
    scan = SimpleUploadedFile("论证意见 320321197005170011.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    step = _sign(users["township"], project, S.VETTED, attachment=scan)
    assert step.attachment and "320321197005170011" not in step.attachment.name


# --- proposing and editing ------------------------------------------------------------------------------


VALUES = {"project_no": "XM-9", "name": "村道", "category": "infrastructure", "year": 2020,
          "budget": Decimal("1000")}


def test_a_clerk_proposes_for_their_own_village_only(users):
    project = lifecycle.propose(actor=users["clerk"], division_code=f.VILLAGE_A, values=VALUES)
    assert (project.status, project.county_id, project.division_id) == (S.PROPOSED, f.COUNTY, f.VILLAGE_A)
    assert project.transitions.get().user == users["clerk"]
    with pytest.raises(Http404):
        lifecycle.propose(actor=users["clerk"], division_code=f.VILLAGE_B, values={**VALUES, "project_no": "X2"})
    with pytest.raises(PermissionDenied):
        lifecycle.propose(actor=users["township"], division_code=f.VILLAGE_A, values={**VALUES, "project_no": "X3"})
    with pytest.raises(ValidationError, match="本县已有该项目编号"):
        lifecycle.propose(actor=users["county"], division_code=f.VILLAGE_B, values=VALUES)


def test_edits_only_while_proposed(users):
    project = lifecycle.propose(actor=users["clerk"], division_code=f.VILLAGE_A, values=VALUES)
    lifecycle.edit(actor=users["clerk"], project=project, values={**VALUES, "name": "村道硬化"})
    assert Project.objects.get(pk=project.pk).name == "村道硬化"
    assert lifecycle.may_edit(users["clerk"], project)
    _sign(users["township"], project, S.VETTED)
    project.refresh_from_db()
    assert not lifecycle.may_edit(users["clerk"], project)
    with pytest.raises(ValidationError, match="不能再修改"):
        lifecycle.edit(actor=users["clerk"], project=project, values={**VALUES, "name": "改"})
    with pytest.raises(Http404):
        lifecycle.edit(actor=users["clerk_b"], project=project, values=VALUES)


# --- announcements --------------------------------------------------------------------------------------


def test_approval_announcement_after_approval_by_the_county(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.IN_LIBRARY)
    with pytest.raises(ValidationError, match="批复后发布"):
        announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY, days=10,
                              on=TODAY)
    Project.objects.filter(pk=project.pk).update(status=S.APPROVED)
    with pytest.raises(PermissionDenied):
        announcements.publish(actor=users["township"], project=project, kind="approval", start_date=TODAY,
                              days=10, on=TODAY)
    with pytest.raises(ValidationError, match="不能少于10天"):
        announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY, days=9,
                              on=TODAY)
    with pytest.raises(ValidationError, match="不能早于今天"):
        announcements.publish(actor=users["county"], project=project, kind="approval",
                              start_date=TODAY - dt.timedelta(days=1), days=10, on=TODAY)
    with pytest.raises(ValidationError, match="须在项目验收后发布"):
        announcements.publish(actor=users["county"], project=project, kind="result", start_date=TODAY, days=10,
                              on=TODAY)
    a = announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY, days=10,
                              on=TODAY)
    assert (a.start_date, a.end_date, a.days, a.title) == (TODAY, TODAY + dt.timedelta(days=9), 10,
                                                           f"{project.name}立项公告")


def test_the_standards_announcement_days_are_the_least_period(users):
    from sunshine.policy.models import PolicyStandard

    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    assert lifecycle.announcement_days(project) == 10
    province = PolicyStandard.objects.filter(year_from__lte=2020, year_to__gte=2020).order_by("-created_at").first()
    PolicyStandard.objects.create(version="county-15-days", name="丰县标准", year_from=2020, year_to=2020,
                                  region_id=f.COUNTY, base=province,
                                  parameters={**province.parameters, "announcement_days": 15})
    assert lifecycle.announcement_days(project) == 15
    with pytest.raises(ValidationError, match="不能少于15天"):
        announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY,
                              days=10, on=TODAY)
    announcements.publish(actor=users["county"], project=project, kind="approval", start_date=TODAY, days=15,
                          on=TODAY)


def test_public_comments_are_rate_limited_and_handled_by_the_county(users, settings):
    settings.SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR = 2
    settings.SUNSHINE_OBJECTIONS_PER_CASE_DAY = 3
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    a = announce(project, start=TODAY)
    with pytest.raises(ValidationError):
        announcements.submit_comment(announcement=a, kind="objection", text=" ", address="1.1.1.1", on=TODAY)
    with pytest.raises(ValidationError, match="尚未开始"):
        announcements.submit_comment(announcement=a, kind="comment", text="好", on=TODAY - dt.timedelta(days=1))
    first = announcements.submit_comment(announcement=a, kind="objection", text="选址占用基本农田", name="李四",
                                         phone="13812345678", address="1.1.1.1", on=TODAY)
    announcements.submit_comment(announcement=a, kind="comment", text="支持", address="1.1.1.1", on=TODAY)
    with pytest.raises(RateLimited, match="一小时内最多"):
        announcements.submit_comment(announcement=a, kind="comment", text="再来", address="1.1.1.1", on=TODAY)
    announcements.submit_comment(announcement=a, kind="comment", text="另一人", address="2.2.2.2", on=TODAY)
    with pytest.raises(RateLimited, match="今日收到的意见已达3条"):
        announcements.submit_comment(announcement=a, kind="comment", text="第四条", address="3.3.3.3", on=TODAY)
    assert first.client_hash and "1.1.1.1" not in first.client_hash
    assert AnnouncementComment.objects.get(pk=first.pk).phone == "13812345678"

    for role in ("clerk", "township"):
        with pytest.raises(PermissionDenied):
            announcements.handle_comment(actor=users[role], comment=first, reply="已核实")
    with pytest.raises(Http404):
        announcements.handle_comment(actor=users["clerk_b"], comment=first, reply="已核实")
    with pytest.raises(ValidationError):
        announcements.handle_comment(actor=users["county"], comment=first, reply="")
    done = announcements.handle_comment(actor=users["county"], comment=first, reply="经核实不占基本农田")
    assert done.handled_by == users["county"] and done.handled_at is not None
    with pytest.raises(ValidationError, match="已处理"):
        announcements.handle_comment(actor=users["county"], comment=first, reply="再次")
    assert announcements.open_objections(Project.objects.all()) == {}


def test_history_rows_are_only_written_by_successful_steps(users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    before = ProjectTransition.objects.count()
    with pytest.raises(ValidationError):
        _sign(users["county"], project, S.IMPLEMENTING)
    assert ProjectTransition.objects.count() == before


def test_beneficiaries_are_registry_households_of_the_projects_place(users, household_a, household_b):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.IN_LIBRARY)
    number_a, number_b = household_a.household.household_no, household_b.household.household_no
    lifecycle.add_beneficiary(actor=users["clerk"], project=project, household_no=number_a)
    assert list(project.beneficiaries.values_list("household__household_no", flat=True)) == [number_a]
    with pytest.raises(ValidationError, match="已是本项目受益户"):
        lifecycle.add_beneficiary(actor=users["clerk"], project=project, household_no=number_a)
    for number in (number_b, "NO-SUCH"):  # another village's household, or none: the same answer
        with pytest.raises(ValidationError, match="户编号不存在"):
            lifecycle.add_beneficiary(actor=users["county"], project=project, household_no=number)
    with pytest.raises(PermissionDenied):
        lifecycle.add_beneficiary(actor=users["township"], project=project, household_no=number_a)
    county_wide = make_project(actor=users["county"], division=f.COUNTY, status=S.PROPOSED)
    lifecycle.add_beneficiary(actor=users["county"], project=county_wide, household_no=number_b)
    lifecycle.remove_beneficiary(actor=users["clerk"], project=project, household_no=number_a)
    assert not project.beneficiaries.exists()
    Project.objects.filter(pk=project.pk).update(status=S.ACCEPTED)
    project.refresh_from_db()
    with pytest.raises(ValidationError, match="已验收或出库"):
        lifecycle.add_beneficiary(actor=users["county"], project=project, household_no=number_a)
