"""Status, identification and exit year, member status and membership change only through an approved case
(issue 11, 虚假脱贫): every way in is refused — services, pages, API (test_api.py), imports
(test_transfer_procedure.py) — except the workflow's apply path and the administrator's correction path."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.registry import choices as c
from sunshine.registry import services
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
EDITORS = ["clerk", "township", "county", "admin"]


def _child(household_year: HouseholdYear) -> MemberYear:
    return household_year.members.exclude(relation=c.Relation.HEAD).select_related("person").first()


# --- services -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
@pytest.mark.parametrize(("fields", "case_type"), [
    ({"status": c.HouseholdStatus.EXITED, "exit_year": 2020}, "标注脱贫"),
    ({"status": c.HouseholdStatus.RETURNED}, "返贫"),
    ({"status": c.HouseholdStatus.CLOSED}, "销户"),
    ({"exit_year": 2019}, "标注脱贫"),
    ({"identified_year": 2018}, "纳入"),
])
def test_household_status_and_years_need_a_case(users, household_a, role, fields, case_type):
    with pytest.raises(services.ProcedureRequired) as exc:
        services.update_household_year(actor=users[role], household_year=household_a, **fields)
    assert set(exc.value.message_dict) == set(fields)
    assert case_type in exc.value.message_dict[next(iter(fields))][0]
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.exit_year, row.identified_year) == (c.HouseholdStatus.IN_POVERTY, None, 2016)


@pytest.mark.parametrize("role", EDITORS)
@pytest.mark.parametrize("status", [c.MemberStatus.DECEASED, c.MemberStatus.MOVED_OUT])
def test_member_status_needs_a_change_case(users, household_a, role, status):
    member = _child(household_a)
    with pytest.raises(services.ProcedureRequired, match="自然变更"):
        services.update_member(actor=users[role], member=member, member_status=status,
                               change_date=dt.date(2020, 5, 1))
    assert MemberYear.objects.get(pk=member.pk).member_status == c.MemberStatus.ACTIVE


@pytest.mark.parametrize("role", EDITORS)
def test_adding_a_member_or_a_household_needs_a_case(users, household_a, role):
    count = household_a.members.count()
    with pytest.raises(services.ProcedureRequired, match="自然变更"):
        services.add_member(actor=users[role], household_year=household_a, name="新生儿", id_number=f.new_id(),
                            relation=c.Relation.CHILD)
    assert household_a.members.count() == count
    with pytest.raises(services.ProcedureRequired, match="纳入"):
        services.create_household(actor=users[role], household_no="NEW-1", village_code=f.VILLAGE_A, year=2020,
                                  head={"name": "新户主", "id_number": f.new_id()},
                                  status=c.HouseholdStatus.IN_POVERTY)
    assert not HouseholdYear.objects.filter(household__household_no="NEW-1").exists()


def test_unchanged_values_and_other_fields_still_save(users, household_a):
    services.update_household_year(actor=users["clerk"], household_year=household_a, phone="13900000001",
                                   status=household_a.status, identified_year=household_a.identified_year)
    member = _child(household_a)
    services.update_member(actor=users["clerk"], member=member, member_status=member.member_status,
                           health=c.Health.CHRONIC)
    assert HouseholdYear.objects.get(pk=household_a.pk).phone == "13900000001"


def test_a_case_procedure_changes_status(users, household_a):
    class Case:  # what sunshine.workflow.apply passes: the approved case
        pk = 7

    services.update_household_year(actor=users["county"], household_year=household_a,
                                   procedure=services.Procedure.of_case(Case()),
                                   status=c.HouseholdStatus.EXITED, exit_year=2020)
    assert HouseholdYear.objects.get(pk=household_a.pk).status == c.HouseholdStatus.EXITED


# --- the correction path --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "township", "county"])
def test_only_an_administrator_corrects(users, household_a, role):
    with pytest.raises(PermissionDenied):
        services.correct_household_year(actor=users[role], household_year=household_a, reason="录入错误",
                                        status=c.HouseholdStatus.EXITED, exit_year=2020)
    with pytest.raises(ValidationError, match="理由"):
        services.correct_household_year(actor=users["admin"], household_year=household_a, reason="  ",
                                        status=c.HouseholdStatus.EXITED, exit_year=2020)
    assert HouseholdYear.objects.get(pk=household_a.pk).status == c.HouseholdStatus.IN_POVERTY


def test_correction_is_in_the_history_with_reason_and_administrator(client, users, household_a):
    services.correct_household_year(actor=users["admin"], household_year=household_a, reason="2019年已批准,漏录",
                                    status=c.HouseholdStatus.EXITED, exit_year=2019)
    latest = HouseholdYear.objects.get(pk=household_a.pk).history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        c.HouseholdStatus.EXITED, users["admin"], "更正:2019年已批准,漏录")
    client.force_login(users["county"])
    page = client.get(f"/households/{household_a.household.household_no}/?year=2020").content.decode()
    assert "更正:2019年已批准,漏录" in page


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_correct_command_household_and_member(users, household_a):
    no = household_a.household.household_no
    out = run("registry", "correct", no, "2020", "--set", "status=已脱贫", "--set", "exit_year=2020",
              "--reason", "县级审定后漏录", "--user", "admin")
    assert "已更正户" in out
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.exit_year) == (c.HouseholdStatus.EXITED, 2020)
    assert row.history.first().history_change_reason == "更正:县级审定后漏录"
    member = _child(household_a)
    run("registry", "correct", no, "2020", "--member", member.person.id_number, "--set", "member_status=deceased",
        "--set", "change_date=2020-03-01", "--reason", "死亡证明已核", "--user", "admin")
    member.refresh_from_db()
    assert (member.member_status, member.change_date) == (c.MemberStatus.DECEASED, dt.date(2020, 3, 1))
    assert member.history.first().history_user == users["admin"]


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "status=exited", "--set", "exit_year=2020", "--reason", "x", "--user", "county"], "管理员"),
    (["--set", "status=exited", "--reason", "x", "--user", "admin"], "exit_year"),
    (["--set", "status=rich", "--reason", "x", "--user", "admin"], "允许"),
    (["--set", "phone=1", "--reason", "x", "--user", "admin"], "可更正的字段"),
    (["--set", "status=exited", "--set", "exit_year=2020", "--reason", " ", "--user", "admin"], "理由"),
])
def test_correct_command_refuses(users, household_a, args, message):
    with pytest.raises(CommandError, match=message):
        run("registry", "correct", household_a.household.household_no, "2020", *args)
    assert HouseholdYear.objects.get(pk=household_a.pk).status == c.HouseholdStatus.IN_POVERTY


# --- pages ----------------------------------------------------------------------------------------


def _edit_url(record: HouseholdYear) -> str:
    return f"/households/{record.household.household_no}/{record.year}/edit/"


def _form_data(record: HouseholdYear, **override: str) -> dict[str, str]:
    data = {"y-phone": "", "y-household_type": record.household_type, "y-support_category": record.support_category,
            "y-main_cause": record.main_cause, "y-wage_income": "12000.00", "y-business_income": "3000.00",
            "y-business_expense": "1000.00", "y-property_income": "200.00", "y-transfer_income": "2400.00",
            "y-transfer_expense": "0.00", "y-food_clothing_secure": "true", "y-housing_grade": "B",
            "y-renovation_status": record.renovation_status, "y-water_safe": "true", "y-has_electricity": "true"}
    return data | override


@pytest.mark.parametrize("role", ["clerk", "township", "county"])
def test_edit_page_shows_status_read_only_and_ignores_a_tampered_post(client, users, household_a, role):
    client.force_login(users[role])
    page = client.get(_edit_url(household_a)).content.decode()
    assert 'name="y-status"' not in page and 'name="y-exit_year"' not in page
    assert 'name="y-identified_year"' not in page
    assert "procedure-fields" in page and "/cases/new/?case_type=exit" in page
    tampered = _form_data(household_a, **{"y-status": "exited", "y-exit_year": "2020", "y-identified_year": "2019",
                                          "y-main_cause": c.MainCause.LAND})
    assert client.post(_edit_url(household_a), tampered).status_code == 302
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.exit_year, row.identified_year, row.main_cause) == (
        c.HouseholdStatus.IN_POVERTY, None, 2016, c.MainCause.LAND)


def test_member_pages_offer_no_status_and_no_direct_add(client, users, household_a):
    client.force_login(users["clerk"])
    member = _child(household_a)
    page = client.get(f"/members/{member.pk}/edit/").content.decode()
    assert 'name="member_status"' not in page and 'name="change_date"' not in page
    assert "case_type=change" in page
    url = f"/households/{household_a.household.household_no}/2020/members/new/"
    page = client.get(url).content.decode()
    assert "自然变更" in page and "case_type=change" in page and 'name="id_number"' not in page
    response = client.post(url, {"name": "新成员", "id_number": f.new_id(), "relation": "child"})
    assert response.status_code == 409
    assert household_a.members.count() == 3


@pytest.mark.parametrize("role", ["clerk", "township", "county"])
def test_new_household_leads_non_administrators_to_an_entry_case(client, users, region, role):
    client.force_login(users[role])
    response = client.get("/households/new/")
    assert response.status_code == 302 and response["Location"] == "/cases/new/?case_type=entry"
    response = client.post("/households/new/", {"h-household_no": "X-1"})
    assert response.status_code == 302 and not HouseholdYear.objects.exists()


def test_administrator_registers_a_household_with_a_reason(client, users, region):
    client.force_login(users["admin"])
    head_id = f.new_id()
    data = {"h-household_no": "ADM-1", "h-village_code": f.VILLAGE_A, "h-year": "2020", "head-name": "补录户主",
            "head-id_number": head_id, "y-status": "in_poverty", "y-identified_year": "2020"}
    page = client.post("/households/new/", data).content.decode()
    assert "更正理由" in page and not HouseholdYear.objects.exists()
    response = client.post("/households/new/", data | {"c-reason": "导入时漏报"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = HouseholdYear.objects.get(household__household_no="ADM-1")
    assert row.history.first().history_change_reason == "更正:导入时漏报"


# --- the phone of masked editors (issue 11) -------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "township"])
def test_edit_form_does_not_prefill_the_full_phone_for_masked_editors(client, users, household_a, role):
    """Was pre-filled in full (13800001234) for the village clerk and the township reviewer."""
    client.force_login(users[role])
    page = client.get(_edit_url(household_a)).content.decode()
    assert "13800001234" not in page
    assert client.post(_edit_url(household_a), _form_data(household_a)).status_code == 302
    assert HouseholdYear.objects.get(pk=household_a.pk).phone == "13800001234"  # blank: unchanged
    client.post(_edit_url(household_a), _form_data(household_a, **{"y-phone": "13900002222"}))
    assert HouseholdYear.objects.get(pk=household_a.pk).phone == "13900002222"  # retyped: changed


def test_edit_form_prefills_the_phone_for_full_readers(client, users, household_a):
    client.force_login(users["county"])
    assert "13800001234" in client.get(_edit_url(household_a)).content.decode()


# --- list and history -----------------------------------------------------------------------------


def test_household_list_region_picker_with_the_clerks_village_preselected(client, users, household_a, household_b):
    client.force_login(users["clerk"])
    page = client.get("/households/").content.decode()
    assert 'name="division"' in page and "<select" in page
    assert f'<option value="{f.VILLAGE_A}" selected>' in page
    assert 'inputmode="numeric"' not in page
    client.force_login(users["county"])
    page = client.get(f"/households/?division={f.TOWNSHIP_B}").content.decode()
    assert "乙户主" in page and "甲户主" not in page
    assert "测试甲镇" in page  # the township groups of the picker


def test_history_shows_the_user_by_name_and_money_with_separators(client, users, household_a):
    users["clerk"].full_name = "胡红霞"
    users["clerk"].save()
    services.update_household_year(actor=users["clerk"], household_year=household_a, wage_income=15000)
    client.force_login(users["county"])
    page = client.get(f"/households/{household_a.household.household_no}/?year=2020").content.decode()
    assert "<strong>胡红霞</strong>" in page
    assert "12,000.00 → 15,000.00" in page


def test_import_job_errors_link_the_households_the_reader_may_open(client, users, household_a, household_b):
    from sunshine.registry.models_transfer import ImportJob

    a_no, b_no = household_a.household.household_no, household_b.household.household_no
    rows = [["households.csv", "", 2, "状态", a_no, "须发起“标注脱贫”案件"],
            ["households.csv", "", 3, "户编号", b_no, "不在您的管辖范围内"]]
    job = ImportJob.objects.create(user=users["clerk"], status=ImportJob.Status.DONE, errors=rows, error_count=2)
    client.force_login(users["clerk"])
    page = client.get(f"/transfer/jobs/{job.pk}/").content.decode()
    assert f'<a href="/households/{a_no}/">{a_no}</a>' in page
    assert f'href="/households/{b_no}/"' not in page and b_no in page  # another village: no dead link


def test_household_list_takes_a_division_deeper_than_the_picker(client, users, household_a, household_b):
    """The division page links to the list with a village code; a provincial reader's picker stops at counties."""
    client.force_login(users["analyst"])
    page = client.get(f"/households/?division={f.VILLAGE_A}").content.decode()
    assert "甲户主" in page and "乙户主" not in page
    assert f'<option value="{f.VILLAGE_A}" selected>甲一村</option>' in page
