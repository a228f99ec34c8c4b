"""Project pages, the public announcement site and the projects API: scope, counts, the buttons of the steps
the reader may sign (and a tampered POST refused), the announcement guard shown, the public page (no login,
nothing private), objections reaching the county, and the API's list and detail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from sunshine.funds.choices import ProjectStatus as S
from sunshine.funds.models import Allocation, AnnouncementComment, Expenditure, Fund, Project, ProjectBeneficiary
from sunshine.funds.tests.project_factories import announce, make_project
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


def test_the_list_is_scoped_and_counts_by_state_and_category(client: Client, users):
    make_project(actor=users["county"], division=f.VILLAGE_A, name="甲村道路", status=S.PROPOSED)
    make_project(actor=users["county"], division=f.VILLAGE_A, name="甲村光伏", category="asset_income",
                 status=S.APPROVED)
    make_project(actor=users["county"], division=f.VILLAGE_B, name="乙村道路", status=S.PROPOSED)
    make_project(actor=users["county"], division=f.VILLAGE_A, name="往年项目", year=2019)
    client.force_login(users["clerk"])
    body = client.get("/projects/?year=2020").content.decode()
    assert "甲村道路" in body and "甲村光伏" in body and "乙村道路" not in body and "往年项目" not in body
    assert 'data-status="proposed">申报 1<' in body and 'data-status="approved">批复 1<' in body
    body = client.get("/projects/?year=2020&status=approved").content.decode()
    counts, results = body.split('id="results"')
    assert "甲村光伏" in results and "甲村道路" not in results
    assert 'data-status="proposed">申报 1<' in counts  # the counts stay over the other filters
    client.force_login(users["county"])
    body = client.get(f"/projects/?year=2020&division={f.TOWNSHIP_B}").content.decode()
    assert "乙村道路" in body and "甲村道路" not in body
    assert client.get("/projects/").status_code == 200


def test_buttons_are_the_readers_steps_and_a_tampered_post_is_refused(client: Client, users):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.PROPOSED)
    client.force_login(users["clerk"])
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="step-vetted"' not in body and "修改项目" in body
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "vetted",
                                                                   "expected_status": "proposed"})
    assert response.status_code == 403
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "approved",
                                                                   "expected_status": "proposed"})
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == S.PROPOSED
    client.force_login(users["township"])
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="step-vetted"' in body and 'data-testid="step-removed"' not in body
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "vetted",
                                                                   "expected_status": "proposed",
                                                                   "note": "论证可行"})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == S.VETTED
    # The same form again (a double click): refused, the project unchanged.
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "vetted",
                                                                   "expected_status": "proposed"})
    assert response.status_code in (400, 403)
    assert Project.objects.get(pk=project.pk).transitions.filter(to_status="vetted").count() == 1


def test_implementation_refused_while_the_announcement_runs(client: Client, users, today):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    a = announce(project, start=today - dt.timedelta(days=9), days=10)  # ends today
    client.force_login(users["county"])
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"立项公告公示期至{today.year}年{today.month}月{today.day}日结束" in body
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "implementing",
                                                                   "expected_status": "approved"})
    assert response.status_code == 400 and "立项公告公示期至" in response.content.decode()
    assert Project.objects.get(pk=project.pk).status == S.APPROVED
    a.start_date -= dt.timedelta(days=1)
    a.end_date -= dt.timedelta(days=1)
    a.save()
    response = client.post(f"/projects/{project.pk}/transition/", {"to_status": "implementing",
                                                                   "expected_status": "approved"})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == S.IMPLEMENTING


def test_acceptance_form_and_scanned_page(client: Client, users, settings, tmp_path, today):
    settings.MEDIA_ROOT = tmp_path
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.COMPLETED)
    client.force_login(users["county"])
    response = client.post(f"/projects/{project.pk}/transition/", {
        "to_status": "accepted", "expected_status": "completed", "performance_result": "met"})
    assert response.status_code == 400 and "请填写验收日期" in response.content.decode()
    scan = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    response = client.post(f"/projects/{project.pk}/transition/", {
        "to_status": "accepted", "expected_status": "completed", "accepted_date": today.isoformat(),
        "performance_result": "partly", "performance_note": "带动60户", "attachment": scan})
    assert response.status_code == 302
    step = Project.objects.get(pk=project.pk).transitions.last()
    assert step.to_status == "accepted" and step.attachment
    response = client.get(f"/projects/transitions/{step.pk}/attachment/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(users["clerk_b"])
    assert client.get(f"/projects/transitions/{step.pk}/attachment/").status_code == 404


def test_clerk_proposes_and_edits_while_proposed(client: Client, users):
    client.force_login(users["clerk"])
    assert client.get("/projects/new/").status_code == 200
    data = {"division": f.VILLAGE_A, "project_no": "XM-NEW", "name": "养殖小区", "category": "industry",
            "year": 2020, "budget": "300000", "note": "村民大会通过"}
    response = client.post("/projects/new/", {**data, "division": f.VILLAGE_B})
    assert response.status_code == 400 and not Project.objects.exists()
    response = client.post("/projects/new/", data)
    project = Project.objects.get(project_no="XM-NEW")
    assert response.status_code == 302 and project.division_id == f.VILLAGE_A
    response = client.post(f"/projects/{project.pk}/edit/", {**data, "name": "养殖小区二期"})
    assert response.status_code == 302 and Project.objects.get(pk=project.pk).name == "养殖小区二期"
    Project.objects.filter(pk=project.pk).update(status=S.VETTED)
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 403
    client.force_login(users["township"])
    assert client.get("/projects/new/").status_code == 403


def test_county_publishes_and_public_sees_it_without_login(client: Client, users, household_a, today):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED, name="甲村光伏电站",
                           content="建设光伏电站,联系人电话13912345678")
    ProjectBeneficiary.objects.create(project=project, household=household_a.household)
    fund = Fund.objects.create(county_id=f.COUNTY, fund_no="ZJ1", source="central", year=2020,
                               issued_date=dt.date(2020, 1, 2), amount=Decimal("900000"))
    Allocation.objects.create(fund=fund, project=project, date=dt.date(2020, 2, 1), amount=Decimal("400000"))
    Expenditure.objects.create(project=project, date=dt.date(2020, 3, 1), amount=Decimal("1000"), payee="某公司")
    client.force_login(users["township"])
    assert client.get(f"/projects/{project.pk}/announce/").status_code == 403
    client.force_login(users["county"])
    response = client.post(f"/projects/{project.pk}/announce/", {"kind": "approval", "start_date": today.isoformat(),
                                                                 "days": 9})
    assert response.status_code == 400 and "不能少于10天" in response.content.decode()
    response = client.post(f"/projects/{project.pk}/announce/", {"kind": "approval", "start_date": today.isoformat(),
                                                                 "days": 10})
    assert response.status_code == 302
    a = project.announcements.get()

    anonymous = Client()
    body = anonymous.get("/public/projects/").content.decode()
    assert "甲村光伏电站立项公告" in body and "公示中" in body
    body = anonymous.get(f"/public/projects/{f.TOWNSHIP_A}/").content.decode()
    assert "甲村光伏电站立项公告" in body
    assert anonymous.get(f"/public/projects/{f.VILLAGE_B}/").status_code == 404
    body = anonymous.get(f"/public/projects/announcements/{a.pk}/").content.decode()
    assert "甲村光伏电站" in body and "400,000.00" in body and "中央财政" in body
    assert "13912345678" not in body and household_a.head_id_number not in body
    assert "甲*主" in body and "甲户主" not in body
    assert household_a.household.household_no not in body

    response = anonymous.post(f"/public/projects/announcements/{a.pk}/", {
        "kind": "objection", "text": "电站选址离学校太近", "name": "王五", "phone": "13700000000"})
    assert response.status_code == 302
    comment = AnnouncementComment.objects.get()
    assert comment.kind == "objection" and comment.phone == "13700000000"
    assert "13700000000" not in anonymous.get(f"/public/projects/announcements/{a.pk}/").content.decode()

    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert "电站选址离学校太近" in body and "13700000000" in body and 'data-testid="open-objections"' in body
    client.force_login(users["clerk"])
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert "电站选址离学校太近" in body and "13700000000" not in body and "handle-comment" not in body
    response = client.post(f"/projects/comments/{comment.pk}/handle/", {"reply": "越权"})
    comment.refresh_from_db()
    assert comment.handled_at is None
    client.force_login(users["county"])
    response = client.post(f"/projects/comments/{comment.pk}/handle/", {"reply": "已现场核实,距离符合规定"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.handled_by == users["county"] and comment.reply == "已现场核实,距离符合规定"


def test_public_pages_hide_announcements_not_started_and_rate_limit(client: Client, users, settings, today):
    settings.SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR = 1
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED)
    later = announce(project, start=today + dt.timedelta(days=1))
    assert client.get(f"/public/projects/announcements/{later.pk}/").status_code == 404
    assert "公告" in client.get("/public/projects/").content.decode()
    past = announce(project, start=today - dt.timedelta(days=30))
    body = client.get(f"/public/projects/announcements/{past.pk}/").content.decode()
    assert "公示期已满" in body
    # Past announcements stay public: on their county's page, not among the running ones of the front page.
    assert f'data-announcement="{past.pk}"' not in client.get("/public/projects/").content.decode()
    body = client.get(f"/public/projects/{f.COUNTY}/").content.decode()
    assert f'data-announcement="{past.pk}"' in body and f'data-announcement="{later.pk}"' not in body
    url = f"/public/projects/announcements/{past.pk}/"
    assert client.post(url, {"kind": "comment", "text": "很好"}).status_code == 302
    assert client.post(url, {"kind": "comment", "text": "还是很好"}).status_code == 429
    assert client.post(url, {"kind": "x", "text": ""}).status_code == 400


def test_api_list_and_detail_are_scoped_and_masked(client: Client, users, today):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.APPROVED,
                           content="联系人身份证320321197005170011")
    make_project(actor=users["county"], division=f.VILLAGE_B, name="乙村项目")
    a = announce(project, start=today)
    AnnouncementComment.objects.create(announcement=a, kind="objection", text="有问题", phone="13612345678")
    client.force_login(users["clerk"])
    data = client.get("/api/projects?year=2020").json()
    assert data["count"] == 1 and data["items"][0]["id"] == project.pk
    assert data["counts_by_status"]["approved"] == 1
    detail = client.get(f"/api/projects/{project.pk}").json()
    assert [t["to_status"] for t in detail["transitions"]] == ["proposed", "vetted", "in_library", "approved"]
    assert detail["available"] == [] and detail["announcements"][0]["state"] == "current"
    assert "320321197005170011" not in str(detail) and "13612345678" not in str(detail)
    client.force_login(users["county"])
    detail = client.get(f"/api/projects/{project.pk}").json()
    assert detail["available"] == ["implementing", "removed"]
    assert detail["comments"][0]["phone"] == "13612345678"
    assert client.get("/api/projects?status=approved&year=2020").json()["count"] == 1
    assert client.get("/api/projects?status=nope").status_code == 422


def test_my_todo_lists_the_projects_waiting_for_my_step(client: Client, users, today):
    from sunshine.funds import todo_projects

    def make(name: str, status: str, division: str = f.VILLAGE_A) -> Project:
        return make_project(actor=users["county"], division=division, status=status, name=name)

    make("待论证", S.PROPOSED)
    make("县级待论证", S.PROPOSED, division=f.COUNTY)
    make("待入库", S.VETTED)
    make("待发布立项公告", S.APPROVED)
    announce(make("公示中", S.APPROVED), start=today - dt.timedelta(days=9))
    announce(make("公示期满", S.APPROVED), start=today - dt.timedelta(days=10))
    make("实施中", S.IMPLEMENTING)
    make("待验收", S.COMPLETED)
    make("待发布结果公告", S.ACCEPTED)
    done = make("已公告结果", S.ACCEPTED)
    announce(done, kind="result", start=today)
    make("乙村待论证", S.PROPOSED, division=f.VILLAGE_B)

    def names(role: str) -> set[str]:
        return set(todo_projects.awaiting(users[role], today).values_list("name", flat=True))

    assert names("township") == {"待论证", "公示期满"}
    assert names("county") == {"县级待论证", "待入库", "待发布立项公告", "公示期满", "待验收", "待发布结果公告"}
    assert names("clerk") == set() and names("supervisor") == set()
    notes = {i.label.split(" · ")[1]: i.note for g in todo_projects.items(users["county"], today) for i in g.items}
    assert notes["待发布立项公告"] == "发布立项公告" and notes["公示期满"] == "开始实施"
    AnnouncementComment.objects.create(announcement=done.announcements.get(), kind="objection", text="有异议")
    groups = todo_projects.items(users["county"], today)
    assert [g.title for g in groups] == ["待我办理的扶贫项目", "项目公告异议"] and groups[1].urgent_count == 1
    client.force_login(users["county"])
    body = client.get("/").content.decode()
    assert "待我办理的扶贫项目" in body and "项目公告异议" in body


def test_beneficiaries_are_added_and_removed_on_the_project_page(client: Client, users, household_a, household_b):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status=S.PROPOSED)
    client.force_login(users["clerk"])
    url = f"/projects/{project.pk}/beneficiaries/"
    number = household_a.household.household_no
    assert client.post(url, {"action": "add", "household_no": number}).status_code == 302
    body = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="beneficiary"' in body and household_a.head_name in body
    response = client.post(url, {"action": "add", "household_no": household_b.household.household_no}, follow=True)
    assert "户编号不存在" in response.content.decode() and project.beneficiaries.count() == 1
    client.post(url, {"action": "remove", "household_no": number})
    assert not project.beneficiaries.exists()
    client.force_login(users["clerk_b"])
    assert client.post(url, {"action": "add", "household_no": household_b.household.household_no}).status_code == 404
