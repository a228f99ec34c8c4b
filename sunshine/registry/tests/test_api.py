"""JSON API for households and members: lists, details, writes, scope, masking and error bodies."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from sunshine.core.ids import FULL_ID_PATTERN
from sunshine.core.models import AccessLog, ApiToken
from sunshine.registry.models import HouseholdYear, MemberYear, Person
from sunshine.testing import factories as f

MASKED_ROLES = ["clerk", "township", "analyst"]
FULL_ROLES = ["county", "supervisor", "admin"]
BAD_CHECK_ID = "110105194912310021"
GOOD_X_ID = "11010519491231002X"


@pytest.fixture
def api(users):
    """api("clerk") → a client that sends that user's bearer token."""
    clients: dict[str, Client] = {}

    def client_for(key: str) -> Client:
        if key not in clients:
            _, raw = ApiToken.issue(users[key], name="test")
            clients[key] = Client(headers={"Authorization": f"Bearer {raw}"})
        return clients[key]

    return client_for


def post(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body: dict):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def fields_of(response) -> list[str | None]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["detail"]]


def no_of(record: HouseholdYear) -> str:
    return record.household.household_no


def a_member(record: HouseholdYear) -> MemberYear:
    return record.members.exclude(relation="head").first()


# --- household list ---


def test_list_is_scoped_to_the_reader(api, household_a, household_b):
    assert [h["household_no"] for h in api("clerk").get("/api/households").json()["items"]] == [no_of(household_a)]
    assert api("clerk_b").get("/api/households").json()["count"] == 1
    assert api("township").get("/api/households").json()["count"] == 1
    for role in ("county", "supervisor", "analyst", "admin"):
        assert api(role).get("/api/households").json()["count"] == 2, role


def test_list_filters(api, users, household_a, household_b):
    exited = f.make_household(users["county"], village=f.VILLAGE_A2, status="exited", exit_year=2019,
                              household_type="dibao", main_cause="disability")
    f.make_household(users["county"], village=f.VILLAGE_A, year=2019)
    county = api("county")

    def numbers(query: str) -> list[str]:
        response = county.get(f"/api/households?{query}")
        assert response.status_code == 200, response.content
        return [h["household_no"] for h in response.json()["items"]]

    assert len(numbers("")) == 3  # the default year, 2020
    assert len(numbers("year=2019")) == 1
    assert numbers(f"division={f.TOWNSHIP_B}") == [no_of(household_b)]
    assert numbers(f"division={f.VILLAGE_A2}") == [no_of(exited)]
    assert numbers("status=exited") == [no_of(exited)]
    assert numbers("household_type=dibao") == [no_of(exited)]
    assert numbers("main_cause=disability") == [no_of(exited)]
    assert numbers(f"q={no_of(household_b)}") == [no_of(household_b)]
    assert numbers("q=甲户主") == [no_of(household_a)]
    assert numbers(f"q={household_a.head_id_number}") == [no_of(household_a)]
    assert numbers("q=成员1") == sorted([no_of(household_a), no_of(household_b), no_of(exited)])
    assert county.get("/api/households?status=rich").status_code == 422


def test_list_pagination(api, users, household_a, household_b):
    f.make_household(users["county"], village=f.VILLAGE_A2)
    county = api("county")
    everything = [h["household_no"] for h in county.get("/api/households").json()["items"]]
    assert everything == sorted(everything) and len(everything) == 3
    first = county.get("/api/households?page_size=2").json()
    second = county.get("/api/households?page_size=2&page=2").json()
    assert (first["count"], first["page"], first["page_size"]) == (3, 1, 2)
    assert [h["household_no"] for h in first["items"] + second["items"]] == everything
    assert county.get("/api/households?page=9").json()["items"] == []
    too_big = county.get("/api/households?page_size=501")
    assert fields_of(too_big) == ["page_size"]
    assert county.get("/api/households?page=0").status_code == 422


def test_list_item_fields(api, household_a):
    item = api("county").get("/api/households").json()["items"][0]
    assert item["village_code"] == f.VILLAGE_A
    assert item["village_name"] == "甲一村"
    assert item["status"] == "in_poverty"
    assert item["household_type"] == "general"
    assert item["active_members"] == 3
    assert Decimal(item["disposable_income"]) == Decimal("16600.00")
    assert Decimal(item["per_capita_disposable_income"]) == Decimal("5533.33")


# --- household detail ---


def test_detail_embeds_members_years_and_per_capita_income(api, users, household_a):
    number = no_of(household_a)
    f.make_household(users["county"], village=f.VILLAGE_A, year=2019, household_no=number)
    body = api("county").get(f"/api/households/{number}?year=2020").json()
    assert body["year"] == 2020
    assert body["years"] == [2019, 2020]
    assert len(body["members"]) == 3
    assert body["members"][0]["relation"] == "head"
    assert body["members"][0]["name"] == "甲户主"
    assert body["head_id_number"] == household_a.head_id_number
    assert body["phone"] == "13800001234"
    assert Decimal(body["wage_income"]) == Decimal("12000.00")
    assert Decimal(body["per_capita_disposable_income"]) == Decimal("5533.33")
    latest = api("county").get(f"/api/households/{number}").json()
    assert latest["year"] == 2020
    assert api("county").get(f"/api/households/{number}/2019").json()["year"] == 2019
    assert api("county").get(f"/api/households/{number}/2018").status_code == 404


def test_per_capita_income_counts_active_members_and_is_null_when_unknown(api, users, household_a):
    member = a_member(household_a)
    member.member_status = "moved_out"
    member.save()
    body = api("county").get(f"/api/households/{no_of(household_a)}").json()
    assert body["active_members"] == 2
    assert Decimal(body["per_capita_disposable_income"]) == Decimal("8300.00")
    HouseholdYear.objects.filter(pk=household_a.pk).update(wage_income=None)
    body = api("county").get(f"/api/households/{no_of(household_a)}").json()
    assert body["disposable_income"] is None and body["per_capita_disposable_income"] is None


def test_unknown_household_is_404_in_chinese(api, region):
    response = api("county").get("/api/households/NOPE")
    assert response.status_code == 404
    assert response.json() == {"detail": "农户不存在或不在您的管辖范围内"}


# --- create ---


def new_household(**override) -> dict:
    return {
        "household_no": "API-NEW-1", "village_code": f.VILLAGE_A, "year": 2020, "status": "in_poverty",
        "household_type": "dibao", "main_cause": "illness", "phone": "13912345678",
        "wage_income": "8000.50", "business_income": 0, "business_expense": 0, "property_income": 0,
        "transfer_income": "1200", "transfer_expense": 0, "housing_grade": "C", "water_safe": True,
        "head": {"name": "新户主", "id_number": GOOD_X_ID.lower(), "health": "chronic",
                 "labour_ability": "weak", "medical_insured": True},
    } | override


@pytest.mark.parametrize("role", ["clerk", "township", "county", "admin"])
def test_create_household_outside_an_entry_case_is_refused(api, role):
    """A new household is an entry into the registry: only an approved entry case (纳入) makes one."""
    response = post(api(role), "/api/households", new_household())
    assert fields_of(response) == ["household_no"]
    assert "纳入" in response.json()["detail"][0]["message"]
    assert not HouseholdYear.objects.filter(household__household_no="API-NEW-1").exists()
    assert not Person.objects.filter(id_number=GOOD_X_ID).exists()


@pytest.mark.parametrize(("override", "field"), [
    ({"head": {"name": "坏号", "id_number": BAD_CHECK_ID}}, "id_number"),
    ({"status": "exited"}, "exit_year"),
    ({"phone": "12345"}, "phone"),
    ({"wage_income": "-1"}, "wage_income"),
    ({"year": 1999}, "year"),
    ({"household_no": "  "}, "household_no"),
])
def test_create_refuses_bad_values_naming_the_field(api, override, field):
    response = post(api("clerk"), "/api/households", new_household(**override))
    assert fields_of(response) == [field]
    assert response.json()["detail"][0]["message"]  # a Chinese sentence
    assert not HouseholdYear.objects.filter(household__household_no="API-NEW-1").exists()


def test_create_refuses_a_code_that_is_not_a_village(api):
    for code in (f.TOWNSHIP_A, "320321101099"):
        response = post(api("township"), "/api/households", new_household(village_code=code))
        assert fields_of(response) == ["village_code"]
        assert response.json()["detail"][0]["message"] == "区划代码不是已知的村"


@pytest.mark.parametrize(("override", "field"), [
    ({"status": "rich"}, "status"),
    ({"wage_income": "1.234"}, "wage_income"),
    ({"head_name": "多余"}, "head_name"),
    ({"head": {"id_number": GOOD_X_ID}}, "name"),
])
def test_create_refuses_malformed_input(api, override, field):
    response = post(api("clerk"), "/api/households", new_household(**override))
    assert field in fields_of(response)


def test_create_refuses_a_year_that_exists(api, household_a):
    body = new_household(household_no=no_of(household_a), head={"name": "甲", "id_number": f.new_id()})
    assert fields_of(post(api("clerk"), "/api/households", body)) == ["year"]


def test_create_refuses_a_head_already_in_another_household(api, household_a):
    body = new_household(head={"name": "甲户主", "id_number": household_a.head_id_number})
    response = post(api("clerk"), "/api/households", body)
    assert fields_of(response) == ["id_number"]
    assert household_a.head_id_number not in response.content.decode()


# --- update household ---


def test_patch_changes_only_the_fields_sent(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020"
    response = patch(api("clerk"), url, {"main_cause": "disability", "household_type": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["main_cause"], body["household_type"]) == ("disability", None)
    household_a.refresh_from_db()
    assert (household_a.main_cause, household_a.household_type) == ("disability", "")
    assert household_a.wage_income == Decimal("12000.00")
    assert household_a.phone == "13800001234"


@pytest.mark.parametrize(("role", "body", "case_type"), [
    ("clerk", {"status": "exited", "exit_year": 2020}, "标注脱贫"),
    ("township", {"status": "exited", "exit_year": 2020}, "标注脱贫"),
    ("county", {"status": "closed"}, "销户"),
    ("admin", {"status": "returned"}, "返贫"),
    ("clerk", {"exit_year": 2019}, "标注脱贫"),
    ("township", {"identified_year": 2019}, "纳入"),
])
def test_patch_status_and_years_is_refused_naming_the_case(api, household_a, role, body, case_type):
    """Was accepted with no case (issue 11): 未脱贫 → 已脱贫 by a PATCH."""
    url = f"/api/households/{no_of(household_a)}/2020"
    response = patch(api(role), url, body | {"main_cause": "land"})
    assert response.status_code == 422
    assert set(fields_of(response)) == set(body)
    assert all(case_type in e["message"] or "案件" in e["message"] for e in response.json()["detail"])
    assert case_type in response.json()["detail"][0]["message"]
    household_a.refresh_from_db()
    assert (household_a.status, household_a.exit_year, household_a.identified_year, household_a.main_cause) == (
        "in_poverty", None, 2016, "illness")


def test_patch_with_unchanged_status_is_accepted(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020"
    response = patch(api("clerk"), url, {"status": "in_poverty", "identified_year": 2016, "main_cause": "land"})
    assert response.status_code == 200, response.content


def test_patch_refuses_null_status_unknown_fields_and_bad_values(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020"
    assert fields_of(patch(api("clerk"), url, {"status": None})) == ["status"]
    assert fields_of(patch(api("clerk"), url, {"head_id_number": f.new_id()})) == ["head_id_number"]
    assert fields_of(patch(api("clerk"), url, {"transfer_expense": "-5"})) == ["transfer_expense"]
    household_a.refresh_from_db()
    assert household_a.status == "in_poverty"


# --- members ---


@pytest.mark.parametrize("role", ["clerk", "county", "admin"])
def test_add_member_outside_a_change_case_is_refused(api, household_a, role):
    """A valid new member (an X check character) is still refused: members join through 自然变更."""
    url = f"/api/households/{no_of(household_a)}/2020/members"
    response = post(api(role), url, {"name": "新成员", "id_number": GOOD_X_ID, "relation": "parent",
                                     "health": "disabled", "disability_level": "level2"})
    assert fields_of(response) == ["relation"]
    assert "自然变更" in response.json()["detail"][0]["message"]
    assert not Person.objects.filter(id_number=GOOD_X_ID).exists()
    assert household_a.members.count() == 3


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_patch_member_status_is_refused(api, household_a, status):
    member = a_member(household_a)
    response = patch(api("clerk"), f"/api/members/{member.pk}", {"member_status": status})
    assert fields_of(response) == ["member_status"]
    assert "自然变更" in response.json()["detail"][0]["message"]
    member.refresh_from_db()
    assert member.member_status == "active"


def test_add_member_refuses_a_bad_check_character(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020/members"
    response = post(api("clerk"), url, {"name": "坏号", "id_number": BAD_CHECK_ID, "relation": "child"})
    assert fields_of(response) == ["id_number"]
    assert "校验" in response.json()["detail"][0]["message"]
    assert BAD_CHECK_ID not in response.content.decode()
    assert household_a.members.count() == 3


def test_add_member_refuses_a_second_head(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020/members"
    response = post(api("clerk"), url, {"name": "二户主", "id_number": f.new_id(), "relation": "head"})
    assert fields_of(response) == ["relation"]
    assert household_a.members.filter(relation="head").count() == 1


def test_add_member_refuses_disability_level_without_disability(api, household_a):
    url = f"/api/households/{no_of(household_a)}/2020/members"
    body = {"name": "甲", "id_number": f.new_id(), "relation": "child", "disability_level": "level1"}
    assert fields_of(post(api("clerk"), url, body)) == ["disability_level"]
    body = {"name": "甲", "id_number": f.new_id(), "relation": "cousin"}
    assert fields_of(post(api("clerk"), url, body)) == ["relation"]


def test_member_list_and_detail(api, users, household_a, household_b):
    f.make_household(users["county"], village=f.VILLAGE_A, year=2019, members=1)
    county = api("county")
    listed = county.get("/api/members").json()
    assert listed["count"] == 5
    assert county.get("/api/members?year=2019").json()["count"] == 1
    only_a = county.get(f"/api/members?household_no={no_of(household_a)}").json()
    assert only_a["count"] == 3 and {m["household_no"] for m in only_a["items"]} == {no_of(household_a)}
    assert county.get(f"/api/members?division={f.VILLAGE_B}").json()["count"] == 2
    page = county.get("/api/members?page_size=2&page=3").json()
    assert (page["count"], len(page["items"])) == (5, 1)
    member = a_member(household_a)
    body = county.get(f"/api/members/{member.pk}").json()
    assert body["id_number"] == member.person.id_number
    assert body["birth_date"] == str(member.person.birth_date)
    assert body["school_status"] == "junior"
    assert body["member_status"] == "active"
    assert county.get("/api/members/999999").status_code == 404


def test_patch_member(api, household_a):
    member = a_member(household_a)
    url = f"/api/members/{member.pk}"
    response = patch(api("clerk"), url, {"education_level": "primary", "school_status": None})
    assert response.status_code == 200, response.content
    assert (response.json()["education_level"], response.json()["school_status"]) == ("primary", None)
    member.refresh_from_db()
    assert (member.education_level, member.school_status, member.medical_insured) == ("primary", "", True)
    assert fields_of(patch(api("clerk"), url, {"relation": "head"})) == ["relation"]
    assert fields_of(patch(api("clerk"), url, {"id_number": BAD_CHECK_ID})) == ["id_number"]
    assert fields_of(patch(api("clerk"), url, {"name": None})) == ["name"]
    assert fields_of(patch(api("clerk"), url, {"gender": "male" if member.person.gender == "female" else "female"})
                     ) == ["gender"]


def test_patch_member_name_follows_to_the_head(api, household_a):
    head = household_a.members.get(relation="head")
    response = patch(api("clerk"), f"/api/members/{head.pk}", {"name": "甲户主新名"})
    assert response.status_code == 200
    assert api("clerk").get(f"/api/households/{no_of(household_a)}").json()["head_name"] == "甲户主新名"
    assert fields_of(patch(api("clerk"), f"/api/members/{head.pk}", {"relation": "spouse"})) == ["relation"]


# --- scope and permissions ---


def test_clerk_of_another_village_gets_404_for_every_route(api, household_b):
    clerk = api("clerk")
    number = no_of(household_b)
    member = a_member(household_b)
    assert clerk.get(f"/api/households/{number}").status_code == 404
    assert clerk.get(f"/api/households/{number}/2020").status_code == 404
    assert patch(clerk, f"/api/households/{number}/2020", {"main_cause": "land"}).status_code == 404
    new = {"name": "外村", "id_number": f.new_id(), "relation": "child"}
    assert post(clerk, f"/api/households/{number}/2020/members", new).status_code == 404
    assert clerk.get(f"/api/members/{member.pk}").status_code == 404
    assert patch(clerk, f"/api/members/{member.pk}", {"education_level": "primary"}).status_code == 404
    assert clerk.get(f"/api/members?household_no={number}").json()["count"] == 0
    assert clerk.get(f"/api/households?q={number}").json()["count"] == 0
    response = post(clerk, "/api/households", new_household(village_code=f.VILLAGE_B))
    assert response.status_code == 403
    assert response.json()["detail"] == "该户不在您的管辖范围内"
    household_b.refresh_from_db()
    assert household_b.main_cause == "illness"
    assert household_b.members.count() == 2


@pytest.mark.parametrize("role", ["supervisor", "analyst"])
def test_read_only_roles_get_403_on_every_write(api, household_a, role):
    client = api(role)
    number = no_of(household_a)
    member = a_member(household_a)
    writes = [
        post(client, "/api/households", new_household()),
        patch(client, f"/api/households/{number}/2020", {"main_cause": "land"}),
        post(client, f"/api/households/{number}/2020/members",
             {"name": "甲", "id_number": f.new_id(), "relation": "child"}),
        patch(client, f"/api/members/{member.pk}", {"education_level": "primary"}),
    ]
    for response in writes:
        assert response.status_code == 403, response.content
        assert response.json()["detail"] == "您的角色不能修改建档立卡数据"
    assert client.get(f"/api/households/{number}").status_code == 200


# --- masking ---


def _bodies(client: Client, record: HouseholdYear) -> list[str]:
    number = no_of(record)
    member = a_member(record)
    urls = ["/api/households", f"/api/households/{number}", f"/api/households/{number}/2020",
            "/api/members", f"/api/members?household_no={number}", f"/api/members/{member.pk}"]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        bodies.append(response.content.decode())
    response = patch(client, f"/api/households/{number}/2020", {"phone": "13800001234"})
    if response.status_code == 200:
        bodies.append(response.content.decode())
    return bodies


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_masked_roles_never_receive_a_full_id_number(api, household_a, household_b, role):
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(numbers) == 5
    for body in _bodies(api(role), household_a):
        assert FULL_ID_PATTERN.search(body) is None, body
        assert not any(n in body for n in numbers)
        assert "13800001234" not in body
        assert '"birth_date": "' not in body and '"birth_date":"' not in body
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("role", FULL_ROLES)
def test_full_roles_receive_full_numbers_and_are_logged(api, household_a, role):
    detail = api(role).get(f"/api/households/{no_of(household_a)}").content.decode()
    for number in household_a.members.values_list("person__id_number", flat=True):
        assert number in detail
    assert "13800001234" in detail
    assert AccessLog.objects.filter(object_type="household", object_ref=no_of(household_a)).count() == 1
    api(role).get("/api/households")
    assert AccessLog.objects.filter(object_type="household_list", action="api_read").count() == 1
