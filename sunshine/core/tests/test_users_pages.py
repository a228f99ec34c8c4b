"""User administration pages: administrators manage everyone, a county manager their county's staff only;
bulk creation from an xlsx is all or nothing; every change is a history row naming the actor (issue 12)."""

from __future__ import annotations

import io
import re

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.testing import factories as f

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OTHER_COUNTY = "320322000000"


def as_user(client: Client, user: User) -> Client:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def other_county(users):
    """A county manager of another county, with one clerk there."""
    county = Division.objects.get(code=OTHER_COUNTY)
    town = Division.objects.create(code="320322101000", name="他县镇", level=DivisionLevel.TOWNSHIP, parent=county)
    village = Division.objects.create(code="320322101001", name="他县村", level=DivisionLevel.VILLAGE, parent=town)
    return {"manager": f.make_user("county2", Role.COUNTY_MANAGER, OTHER_COUNTY),
            "clerk": f.make_user("clerk_far", Role.VILLAGE_CLERK, village.code)}


def xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("账号")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return SimpleUploadedFile("users.xlsx", buffer.getvalue())


def test_only_administrators_and_county_managers_reach_user_administration(client: Client, users):
    for role in ("clerk", "township", "supervisor", "analyst"):
        assert as_user(client, users[role]).get("/users/").status_code == 403, role
    assert as_user(client, users["admin"]).get("/users/").status_code == 200
    assert as_user(client, users["county"]).get("/users/").status_code == 200


def test_admin_lists_everyone_with_filters(client: Client, users, other_county):
    as_user(client, users["admin"])
    page = client.get("/users/").content.decode()
    assert "clerk_far" in page and "clerk_a" in page and "analyst" in page
    page = client.get("/users/", {"role": "village_clerk"}).content.decode()
    assert "clerk_a" in page and "clerk_far" in page and "township_a" not in page
    page = client.get("/users/", {"division": OTHER_COUNTY}).content.decode()
    assert "clerk_far" in page and "clerk_a" not in page
    User.objects.filter(username="clerk_b").update(is_active=False)
    page = client.get("/users/", {"active": "0"}).content.decode()
    assert "clerk_b" in page and "clerk_a" not in page
    assert client.get("/users/", {"page": "9223372036854775807"}).status_code == 200


def test_county_manager_sees_and_manages_only_the_county_staff(client: Client, users, other_county):
    as_user(client, users["county"])
    page = client.get("/users/").content.decode()
    assert "clerk_a" in page and "clerk_far" not in page and ">admin<" not in page
    page = client.get("/users/", {"division": f.TOWNSHIP_A}).content.decode()
    assert "clerk_a" in page and "clerk_b" not in page
    # Outside the county: 404, as if it did not exist; inside but not theirs (supervisor, own account): 403.
    far = other_county["clerk"]
    assert client.get(f"/users/{far.pk}/").status_code == 404
    assert client.post(f"/users/{far.pk}/active/", {"active": "0"}).status_code == 404
    assert client.post(f"/users/{users['admin'].pk}/reset-password/").status_code == 404
    assert client.get(f"/users/{users['supervisor'].pk}/").status_code == 403
    assert client.post(f"/users/{users['county'].pk}/active/", {"active": "0"}).status_code == 403
    far.refresh_from_db()
    assert far.is_active


def test_county_manager_creates_disables_and_resets_a_clerk(client: Client, users):
    as_user(client, users["county"])
    form = client.get("/users/new/").content.decode()
    assert f.VILLAGE_A2 in form and OTHER_COUNTY not in form and 'value="admin"' not in form
    response = client.post("/users/new/", {"username": "clerk_a2", "full_name": "张三", "roles": ["village_clerk"],
                                           "area": f.COUNTY, "division": f.VILLAGE_A2})
    assert response.status_code == 200
    password = re.search(r"<code>([^<]+)</code>", response.content.decode()).group(1)
    user = User.objects.get(username="clerk_a2")
    assert user.check_password(password) and user.must_change_password and user.division_id == f.VILLAGE_A2
    assert client.post(f"/users/{user.pk}/active/", {"active": "0"}).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    response = client.post(f"/users/{user.pk}/reset-password/")
    new_password = re.search(r"<code>([^<]+)</code>", response.content.decode()).group(1)
    user.refresh_from_db()
    assert new_password != password and user.check_password(new_password)
    history = client.get(f"/users/{user.pk}/").content.decode()
    assert "创建账号" in history and "停用账号" in history and "重置密码" in history
    assert set(user.history.values_list("history_user", flat=True)) == {users["county"].pk}


def test_county_manager_cannot_create_an_admin_or_outside_the_county(client: Client, users):
    as_user(client, users["county"])
    for data in ({"roles": ["admin"], "area": f.COUNTY, "division": f.COUNTY},
                 {"roles": ["village_clerk"], "area": OTHER_COUNTY, "division": OTHER_COUNTY},
                 {"roles": ["supervisor"], "area": f.COUNTY, "division": f.COUNTY}):
        response = client.post("/users/new/", {"username": "intruder", **data})
        assert response.status_code == 200 and "error" in response.content.decode()
    assert not User.objects.filter(username="intruder").exists()


def test_county_manager_cannot_promote_a_clerk_to_admin(client: Client, users):
    as_user(client, users["county"])
    clerk = users["clerk"]
    client.post(f"/users/{clerk.pk}/", {"full_name": "x", "roles": ["admin"], "area": f.COUNTY,
                                        "division": f.COUNTY})
    clerk.refresh_from_db()
    assert clerk.roles == ["village_clerk"]


def test_admin_edits_role_and_division_and_the_level_must_fit(client: Client, users):
    as_user(client, users["admin"])
    clerk = users["clerk"]
    # The area picker reloads the divisions of the chosen county.
    page = client.get(f"/users/{clerk.pk}/", {"area": f.COUNTY}).content.decode()
    assert f.TOWNSHIP_B in page
    wrong = client.post(f"/users/{clerk.pk}/", {"full_name": "甲", "roles": ["village_clerk"], "area": f.COUNTY,
                                                "division": f.TOWNSHIP_B})
    assert "应属于村级区划" in wrong.content.decode()
    ok = client.post(f"/users/{clerk.pk}/", {"full_name": "甲", "roles": ["township_reviewer"], "area": f.COUNTY,
                                             "division": f.TOWNSHIP_B})
    assert ok.status_code == 302
    clerk.refresh_from_db()
    assert clerk.roles == ["township_reviewer"] and clerk.division_id == f.TOWNSHIP_B
    assert clerk.history.first().history_user == users["admin"]


def test_admin_creates_an_analyst_at_the_province(client: Client, users):
    as_user(client, users["admin"])
    response = client.post("/users/new/", {"username": "analyst2", "roles": ["provincial_analyst"],
                                           "area": "320000000000", "division": "320000000000"})
    assert response.status_code == 200 and "<code>" in response.content.decode()
    assert User.objects.get(username="analyst2").division_id == "320000000000"


def test_bulk_creation_reports_every_bad_row_and_creates_nothing(client: Client, users):
    as_user(client, users["admin"])
    rows = [["用户名", "姓名", "角色", "区划代码"],
            ["v1", "王一", "村级录入", f.VILLAGE_A],
            ["clerk_a", "重名", "village_clerk", f.VILLAGE_A],     # exists
            ["v3", "王三", "系统管理", f.VILLAGE_A],               # unknown role
            ["v4", "王四", "village_clerk", f.TOWNSHIP_A],         # wrong level
            ["v5", "王五", "village_clerk", "123"],                 # unknown division
            ["v1", "王一二", "village_clerk", f.VILLAGE_A]]        # twice in the file
    response = client.post("/users/bulk/", {"file": xlsx(rows)})
    page = response.content.decode()
    assert response.status_code == 200 and "未创建任何账号" in page
    for row, text in ((3, "用户名已存在"), (4, "未知的角色"), (5, "应属于村级区划"), (6, "区划代码不存在"),
                      (7, "与第 2 行的用户名重复")):
        assert re.search(rf"<td>{row}</td><td>[^<]*</td><td>[^<]*</td><td>[^<]*{text}", page), (row, text)
    assert not User.objects.filter(username__in=["v1", "v3", "v4", "v5"]).exists()


def test_bulk_creation_creates_every_row_with_one_time_passwords(client: Client, users):
    as_user(client, users["county"])
    rows = [["用户名", "姓名", "角色", "区划代码"],
            ["v1", "王一", "村级录入", f.VILLAGE_A],
            ["t1", "李二", "township_reviewer", int(f.TOWNSHIP_B)]]  # a code typed as a number
    response = client.post("/users/bulk/", {"file": xlsx(rows)})
    page = response.content.decode()
    passwords = re.findall(r"<code>([^<]+)</code>", page)
    assert len(passwords) == 2
    v1, t1 = User.objects.get(username="v1"), User.objects.get(username="t1")
    assert v1.check_password(passwords[0]) and v1.must_change_password and v1.full_name == "王一"
    assert t1.division_id == f.TOWNSHIP_B and t1.roles == ["township_reviewer"]
    assert v1.history.get().history_user == users["county"]


def test_bulk_creation_by_a_county_manager_refuses_rows_outside_the_county(client: Client, users):
    as_user(client, users["county"])
    rows = [["用户名", "姓名", "角色", "区划代码"], ["v1", "王一", "村级录入", f.VILLAGE_A],
            ["boss", "", "admin", "320000000000"]]
    page = client.post("/users/bulk/", {"file": xlsx(rows)}).content.decode()
    assert "您不能在这个区划授予这个角色" in page
    assert not User.objects.filter(username__in=["v1", "boss"]).exists()


def test_bulk_creation_refuses_a_file_that_is_not_xlsx_or_lacks_columns(client: Client, users):
    as_user(client, users["admin"])
    page = client.post("/users/bulk/", {"file": SimpleUploadedFile("users.csv", b"a,b")}).content.decode()
    assert "应为 .xlsx 文件" in page
    page = client.post("/users/bulk/", {"file": xlsx([["用户名", "姓名"], ["v1", "王一"]])}).content.decode()
    assert "缺少必填列“角色”" in page and "缺少必填列“区划代码”" in page


def test_superuser_without_division_is_told_what_to_run(client: Client, region):
    root = User.objects.create_superuser("root", password="Xiang-Zhen-2020")
    page = as_user(client, root).get("/").content.decode()
    assert "sunshine users set-role root --role admin --division 320000000000" in page


def test_disable_and_reset_end_the_accounts_open_sessions(client: Client, users):
    clerk_session = Client()
    assert clerk_session.post("/login/", {"username": "clerk_a", "password": f.PASSWORD}).status_code == 302
    assert clerk_session.get("/").status_code == 200
    as_user(client, users["admin"])
    client.post(f"/users/{users['clerk'].pk}/reset-password/")
    assert clerk_session.get("/").status_code == 302  # back to the login page
    township_session = Client()
    assert township_session.post("/login/", {"username": "township_a", "password": f.PASSWORD}).status_code == 302
    client.post(f"/users/{users['township'].pk}/active/", {"active": "0"})
    assert township_session.get("/").status_code == 302
    assert township_session.post("/login/", {"username": "township_a", "password": f.PASSWORD}).status_code == 200


def test_account_page_shows_history_with_actor_and_role_names(client: Client, users):
    as_user(client, users["admin"])
    clerk = users["clerk"]
    client.post(f"/users/{clerk.pk}/", {"full_name": "甲", "roles": ["township_reviewer"], "area": f.COUNTY,
                                        "division": f.TOWNSHIP_A})
    page = client.get(f"/users/{clerk.pk}/").content.decode()
    assert "修改角色或区划" in page and "乡镇审核" in page and "测试甲镇" in page and "admin" in page


def test_a_get_on_an_action_is_refused_only_after_the_checks(client: Client, users):
    as_user(client, users["admin"])
    assert client.get(f"/users/{users['clerk'].pk}/active/").status_code == 405
    as_user(client, users["clerk"])
    assert client.get(f"/users/{users['clerk_b'].pk}/active/").status_code == 403
