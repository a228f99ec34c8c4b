"""Comparison pages: run list and summary, the finding list with its filters, the finding page (masking,
scope, verification with an attachment), attachments, and the section on the household page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sunshine.comparison.choices import FindingStatus, JobStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.comparison.tests import factories as cf
from sunshine.core import jobs
from sunshine.core.models import AccessLog
from sunshine.testing import factories as f

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run(users):
    loads = [cf.make_load("deaths", as_of=dt.date(2020, 12, 31)), cf.make_load("vehicles", rows=99)]
    return cf.make_run(actor=users["county"], rules=["C-DEAD", "C-CAR", "C-NOMED"], loads=loads,
                       counts={"seconds_by_rule": {"C-DEAD": 0.25}}, seconds=3.5)


@pytest.fixture
def findings(run, household_a, household_b):
    """Village A: a death (pending) and a car (confirmed); village B: a death; the county: a dibao person
    outside the registry."""
    return {
        "dead_a": cf.make_finding(run=run, household_year=household_a, evidence=[
            {"身份证号": None, "姓名": "x", "死亡日期": "2020-03-01"}]),
        "car_a": cf.make_finding(run=run, household_year=household_a, head=True, rule="C-CAR",
                                 status=FindingStatus.CONFIRMED, match="probabilistic", probability=0.987),
        "dead_b": cf.make_finding(run=run, household_year=household_b),
        "county": cf.make_finding(run=run, rule="C-DIBAO-MISSING", division=f.COUNTY, name="档外甲"),
    }


def body(response) -> str:
    return response.content.decode()


# --- runs ---------------------------------------------------------------------------------------------


def test_run_list_shows_visible_runs_and_the_start_form_only_to_allowed_roles(client, users, run):
    run_b = cf.make_run(actor=users["county"], division=f.VILLAGE_B)
    client.force_login(users["clerk"])
    page = body(client.get("/comparison/"))
    assert f"/comparison/runs/{run.pk}/" in page and f"/comparison/runs/{run_b.pk}/" not in page
    assert 'data-testid="run-form"' not in page and "数据比对" in page
    assert client.post("/comparison/", {"year": 2020}).status_code == 403
    client.force_login(users["county"])
    page = body(client.get("/comparison/"))
    assert 'data-testid="run-form"' in page and "已死亡人员仍在册(C-DEAD)" in page


def test_run_summary_counts_by_rule_and_county_over_what_the_reader_sees(client, users, run, findings):
    cf.recur(findings["dead_a"], cf.make_run(actor=users["county"]))  # another run: not counted here
    client.force_login(users["county"])
    response = client.get(f"/comparison/runs/{run.pk}/")
    page = body(response)
    summary = response.context["summary"]
    assert (summary.total, summary.new, summary.recurring) == (4, 4, 0)
    assert {r["code"]: r["n"] for r in summary.by_rule} == {"C-DEAD": 2, "C-CAR": 1, "C-NOMED": 0,
                                                            "C-DIBAO-MISSING": 1}
    assert [(c["name"], c["n"]) for c in summary.by_county] == [("丰县", 4)]
    assert summary.by_status[FindingStatus.CONFIRMED] == 1
    assert "已死亡人员仍在册" in page and "户籍死亡人员" in page and "v1" in page and "2020-12-31" in page
    assert "0.25" in page and "重新比对" in page
    client.force_login(users["clerk"])
    response = client.get(f"/comparison/runs/{run.pk}/")
    summary = response.context["summary"]
    assert summary.total == 2 and {r["code"]: r["n"] for r in summary.by_rule}["C-DEAD"] == 1
    assert "只统计您管辖范围内的发现" in body(response) and "重新比对" not in body(response)


def test_a_recurring_finding_counts_as_recurring_in_the_later_run(client, users, run, findings):
    later = cf.make_run(actor=users["county"])
    cf.recur(findings["dead_a"], later)
    cf.make_finding(run=later, rule="C-NOMED", division=f.VILLAGE_A2, name="新人")
    client.force_login(users["township"])
    summary = client.get(f"/comparison/runs/{later.pk}/").context["summary"]
    assert (summary.total, summary.new, summary.recurring) == (2, 1, 1)


def test_a_running_run_polls_its_progress(client, users):
    running = cf.make_run(actor=users["county"], status=JobStatus.RUNNING, progress=40, stage="比对规则 C-DEAD",
                          **jobs.claim())  # run by a live process (this one)
    client.force_login(users["county"])
    page = body(client.get(f"/comparison/runs/{running.pk}/"))
    assert 'hx-trigger="every 1s"' in page and "比对规则 C-DEAD" in page and "发现合计" not in page
    partial = client.get(f"/comparison/runs/{running.pk}/", HTTP_HX_REQUEST="true")
    assert body(partial).lstrip().startswith('<div id="run-status"')
    running.status = JobStatus.DONE
    running.save()
    partial = body(client.get(f"/comparison/runs/{running.pk}/", HTTP_HX_REQUEST="true"))
    assert "hx-trigger" not in partial and "发现合计" in partial


def test_runs_outside_scope_are_404(client, users):
    run_b = cf.make_run(actor=users["county"], division=f.VILLAGE_B)
    client.force_login(users["clerk"])
    assert client.get(f"/comparison/runs/{run_b.pk}/").status_code == 404
    assert client.post(f"/comparison/runs/{run_b.pk}/rerun/").status_code == 404
    assert client.get(f"/comparison/findings/?run={run_b.pk}").context["run"] is None


# --- finding list -------------------------------------------------------------------------------------


def listed(client, **params) -> set[int]:
    response = client.get("/comparison/findings/", params)
    assert response.status_code == 200
    return {row["id"] for row in response.context["rows"]}


def test_list_is_scoped_and_masked(client, users, findings):
    client.force_login(users["clerk"])
    assert listed(client) == {findings["dead_a"].pk, findings["car_a"].pk}
    page = body(client.get("/comparison/findings/"))
    assert findings["dead_a"].id_number not in page and findings["dead_a"].id_number[:6] + "********" in page
    assert findings["dead_b"].household.household_no not in page and "档外甲" not in page
    assert not AccessLog.objects.filter(user=users["clerk"]).exists()
    client.force_login(users["county"])
    assert listed(client) == {f_.pk for f_ in findings.values()}
    assert findings["dead_b"].id_number in body(client.get("/comparison/findings/"))
    assert AccessLog.objects.filter(user=users["county"], object_type="finding_list").exists()


def test_filters(client, users, run, findings):
    client.force_login(users["county"])
    a, car, b, county = (findings[k].pk for k in ("dead_a", "car_a", "dead_b", "county"))
    assert listed(client, rule="C-DEAD") == {a, b}
    assert listed(client, status="confirmed") == {car}
    assert listed(client, severity="medium") == {car, county}
    assert listed(client, match="probabilistic") == {car}
    assert listed(client, dataset="dibao") == {county}
    assert listed(client, division=f.VILLAGE_A) == {a, car}
    assert listed(client, division=f.TOWNSHIP_B) == {b}
    assert listed(client, year=2020) == {a, car, b, county} and listed(client, year=2019) == set()
    assert listed(client, run=run.pk) == {a, car, b, county}
    assert listed(client, run=cf.make_run(actor=users["county"]).pk) == set()
    assert listed(client, q="档外甲") == {county}
    assert listed(client, q=findings["dead_b"].household.household_no) == {b}
    assert listed(client, q=findings["car_a"].id_number) == {car}
    assert listed(client, rule="C-NOPE", status="nonsense") == {a, car, b, county}  # bad values are dropped


def test_overdue_filter_and_page(client, users, run, household_a):
    late = cf.make_finding(run=run, household_year=household_a, deadline=dt.date.today() - dt.timedelta(days=3))
    cf.make_finding(run=run, household_year=household_a, head=True)
    cf.make_finding(run=run, household_year=household_a, deadline=dt.date.today() - dt.timedelta(days=3),
                    status=FindingStatus.REJECTED)
    client.force_login(users["clerk"])
    assert listed(client, overdue="on") == {late.pk}
    response = client.get("/comparison/findings/overdue/")
    assert {r["id"] for r in response.context["rows"]} == {late.pk} and "逾期" in body(response)


def test_division_drill_down_counts(client, users, findings):
    client.force_login(users["county"])
    drill = client.get("/comparison/findings/").context["drill"]
    assert drill.division.code == f.COUNTY
    assert [(c["name"], c["n"]) for c in drill.children] == [("丰县", 1), ("测试甲镇", 2), ("测试乙镇", 1)]
    drill = client.get("/comparison/findings/", {"division": f.TOWNSHIP_A}).context["drill"]
    assert [(c["code"], c["n"]) for c in drill.children] == [(f.VILLAGE_A, 2)]
    assert [d.code for d in drill.breadcrumbs] == [f.COUNTY]  # from the reader's own division down
    client.force_login(users["clerk"])
    drill = client.get("/comparison/findings/", {"division": f.TOWNSHIP_B}).context["drill"]
    assert drill.division.code == f.VILLAGE_A and drill.children == []  # never outside the scope


def test_pagination(client, users, run, household_a):
    for _ in range(51):
        cf.make_finding(run=run, household_year=household_a)
    client.force_login(users["clerk"])
    first = client.get("/comparison/findings/", {"rule": "C-DEAD"})
    assert len(first.context["rows"]) == 50 and "1/2" in body(first) and "rule=C-DEAD&amp;page=2" in body(first)
    assert len(client.get("/comparison/findings/", {"rule": "C-DEAD", "page": 2}).context["rows"]) == 1


# --- finding page -------------------------------------------------------------------------------------


def evidence_finding(run, household_a):
    number = household_a.head_id_number
    member = household_a.members.get(person__id_number=number).person
    old_15 = number[:6] + number[8:17]
    return cf.make_finding(run=run, household_year=household_a, head=True, rule="C-CAR", evidence=[
        {"身份证号": number, "姓名": member.name, "出生日期": f"{member.birth_date:%Y-%m-%d}",
         "身份证号哈希": "ab" * 32, "号牌": "苏C12345", "备注": f"原证号{old_15}; 户主 {number}"},
        {"身份证号": old_15, "姓名": member.name, "车辆类型": "货车"},
    ])


def test_finding_page_masks_ids_in_fields_and_evidence_for_masked_roles(client, users, run, household_a):
    finding = evidence_finding(run, household_a)
    number = finding.id_number
    birth = f"{finding.person.birth_date:%Y-%m-%d}"
    for who in ("clerk", "township", "analyst"):
        client.force_login(users[who])
        page = body(client.get(f"/comparison/findings/{finding.pk}/"))
        assert number not in page and number[:6] + "********" + number[14:] in page, who
        assert number[:6] + number[8:17] not in page and number[:6] + "******" + number[14:17] in page, who
        assert birth not in page and "****-**-**" in page, who
        assert "ab" * 32 in page and "苏C12345" in page and "货车" in page, who
        assert not AccessLog.objects.filter(user=users[who]).exists()
    client.force_login(users["supervisor"])
    page = body(client.get(f"/comparison/findings/{finding.pk}/"))
    assert number in page and birth in page
    assert AccessLog.objects.filter(user=users["supervisor"], object_type="finding",
                                    object_ref=str(finding.pk)).exists()


def test_finding_page_shows_both_sides_history_runs_and_links(client, users, run, household_a):
    earlier = cf.make_finding(run=run, household_year=household_a, status=FindingStatus.RECTIFIED)
    later_run = cf.make_run(actor=users["county"], year=2021)
    finding = cf.make_finding(run=later_run, household_year=household_a, previous=earlier)
    cf.recur(finding, cf.make_run(actor=users["county"], year=2021))
    client.force_login(users["clerk"])
    response = client.get(f"/comparison/findings/{finding.pk}/")
    page = body(response)
    assert household_a.household.household_no in page and "甲一村" in page and "死亡日期" in page
    assert f"/households/{household_a.household.household_no}/?year=2021" in page
    assert f"/comparison/findings/{earlier.pk}/" in page and len(response.context["occurrences"]) == 2
    assert "再次发现" in page and "比对发现" in page and 'data-testid="verify"' in page
    assert f"/comparison/findings/{finding.pk}/" in body(client.get(f"/comparison/findings/{earlier.pk}/"))


def test_supervisor_reads_but_cannot_act(client, users, findings):
    finding = findings["dead_a"]
    client.force_login(users["supervisor"])
    page = body(client.get(f"/comparison/findings/{finding.pk}/"))
    assert 'data-testid="verify"' not in page and "您的角色只能查看" in page
    response = client.post(f"/comparison/findings/{finding.pk}/verify/",
                           {"verify-result": "true", "verify-note": "越权"})
    assert response.status_code == 403 and Finding.objects.get(pk=finding.pk).status == FindingStatus.PENDING


def test_clerk_of_village_a_cannot_see_or_act_on_village_b(client, users, findings):
    finding = findings["dead_b"]
    client.force_login(users["clerk"])
    for url in (f"/comparison/findings/{finding.pk}/", f"/comparison/findings/{finding.pk}/verify/",
                f"/comparison/findings/{finding.pk}/rectify/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"verify-result": "true", "verify-note": "越权", "rectify-note": "越权"}
                           ).status_code == 404
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.PENDING
    county = findings["county"]  # owned by the county: above the clerk's village
    assert client.get(f"/comparison/findings/{county.pk}/").status_code == 404


def test_verify_with_attachment_then_rectify_on_the_page(client, users, findings, media):
    finding = findings["dead_a"]
    client.force_login(users["clerk"])
    url = f"/comparison/findings/{finding.pk}/"
    response = client.post(url + "verify/", {"verify-result": "true", "verify-note": "入户核实,确已死亡",
                                             "verify-attachment": SimpleUploadedFile("核实表.png", PNG)})
    assert response.status_code == 302 and response["Location"] == url
    page = body(client.get(url))
    assert "核实属实" in page and "入户核实,确已死亡" in page and 'data-testid="rectify"' in page
    event = FindingEvent.objects.get(finding=finding, action="verify")
    assert f"/comparison/attachments/{event.pk}/" in page and "/media/" not in page
    response = client.post(url + "rectify/", {"rectify-note": "已办理销户"})
    assert response.status_code == 302
    page = body(client.get(url))
    assert "已整改" in page and "已办理销户" in page
    assert 'data-testid="verify"' not in page and 'data-testid="rectify"' not in page
    actions = list(FindingEvent.objects.filter(finding=finding).values_list("action", "from_status", "to_status"))
    assert actions[1:] == [("verify", "pending", "confirmed"), ("rectify", "confirmed", "rectified")]


def test_page_errors_keep_the_status(client, users, findings):
    finding = findings["dead_a"]
    client.force_login(users["clerk"])
    url = f"/comparison/findings/{finding.pk}/verify/"
    response = client.post(url, {"verify-result": "true", "verify-note": ""})
    assert response.status_code == 200 and "核实情况说明" in body(response) and 'role="alert"' in body(response)
    response = client.post(url, {"verify-result": "true", "verify-note": "核实",
                                 "verify-attachment": SimpleUploadedFile("x.png", b"not a png")})
    assert "附件内容与文件类型不符" in body(response)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.PENDING
    response = client.post(f"/comparison/findings/{finding.pk}/rectify/", {"rectify-note": "抢先整改"})
    assert "只有核实属实的发现可以整改" in body(response)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.PENDING
    assert client.get(url).status_code == 302  # the step URLs take POST only


def test_attachment_is_served_only_inside_the_scope(client, users, findings):
    finding = findings["dead_a"]
    client.force_login(users["clerk"])
    client.post(f"/comparison/findings/{finding.pk}/verify/", {
        "verify-result": "false", "verify-note": "误报", "verify-attachment": SimpleUploadedFile("证明.png", PNG)})
    event = FindingEvent.objects.get(finding=finding, action="verify")
    response = client.get(f"/comparison/attachments/{event.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG and "no-store" in response["Cache-Control"]
    assert AccessLog.objects.filter(user=users["clerk"], object_type="finding_attachment").exists()
    for who in ("clerk_b",):
        client.force_login(users[who])
        assert client.get(f"/comparison/attachments/{event.pk}/").status_code == 404
    raised = FindingEvent.objects.get(finding=finding, action="raised")
    client.force_login(users["clerk"])
    assert client.get(f"/comparison/attachments/{raised.pk}/").status_code == 404  # no file


def test_a_pdf_attachment_may_open_in_the_browsers_viewer(client, users, findings):
    """The site-wide object-src 'none' would block Chrome's PDF viewer; a PDF's own response allows it, and an
    image keeps the site's policy."""
    finding = findings["dead_a"]
    client.force_login(users["clerk"])
    client.post(f"/comparison/findings/{finding.pk}/verify/", {
        "verify-result": "false", "verify-note": "误报",
        "verify-attachment": SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n%%EOF\n")})
    event = FindingEvent.objects.get(finding=finding, action="verify")
    response = client.get(f"/comparison/attachments/{event.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    policy = response["Content-Security-Policy"]
    assert "object-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in client.get(f"/comparison/findings/{finding.pk}/")["Content-Security-Policy"]


def test_household_page_lists_its_findings(client, users, findings, household_a):
    client.force_login(users["clerk"])
    page = body(client.get(f"/households/{household_a.household.household_no}/"))
    assert 'data-testid="household-findings"' in page and "已死亡人员仍在册" in page and "家庭成员拥有汽车" in page
    assert f"/comparison/findings/{findings['dead_a'].pk}/" in page
    assert f"/comparison/findings/{findings['dead_b'].pk}/" not in page


def test_ids_typed_into_notes_are_masked_for_masked_readers(client, users, findings):
    finding = findings["dead_a"]
    number = finding.id_number
    client.force_login(users["county"])
    client.post(f"/comparison/findings/{finding.pk}/verify/", {
        "verify-result": "true", "verify-note": f"经查 {number} 已于3月死亡"})
    assert f"经查 {number} 已于3月死亡" in body(client.get(f"/comparison/findings/{finding.pk}/"))
    client.force_login(users["township"])
    page = body(client.get(f"/comparison/findings/{finding.pk}/"))
    assert number not in page and f"经查 {number[:6]}********{number[14:]} 已于3月死亡" in page


def test_a_failed_run_shows_its_message_masked(client, users):
    failed = cf.make_run(actor=users["county"], status=JobStatus.FAILED,
                         message="部门数据第3行身份证号 320321197005170055 无法读取")
    client.force_login(users["county"])
    page = body(client.get(f"/comparison/runs/{failed.pk}/"))
    assert "失败" in page and "320321********0055 无法读取" in page and "320321197005170055" not in page
    assert "发现合计" not in page and 'hx-trigger' not in page
