"""GET /api/indicators: the stored figures of a division the reader may see, every declared key listed,
shares with their denominators and targets, 404 outside the reader's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from sunshine.core.choices import Role
from sunshine.core.models import ApiToken
from sunshine.dashboard.indicators import CATALOGUE, Kind
from sunshine.dashboard.refresh import refresh
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.testing import factories as f
from tests.test_api_fuzz import keep_test_connection  # noqa: F401 - the fixture, for the fuzzing below

pytestmark = pytest.mark.django_db
YEAR = 2020


@pytest.fixture
def refreshed(users, household_a, household_b) -> None:
    f.make_household(users["county"], village=f.VILLAGE_A2, head_name="丙户主", members=4,
                     status=rc.HouseholdStatus.EXITED, exit_year=2019)
    refresh(year=YEAR)


def get(client: Client, user: Any, query: str = "") -> Any:
    client.force_login(user)
    return client.get(f"/api/indicators{query}")


def by_code(body: dict[str, Any], code: str) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in body["items"] if item["code"] == code}


def test_county_figures_equal_plain_counts(client: Client, users, refreshed) -> None:
    response = get(client, users["county"], "?code=households,people")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["division_code"], body["level"], body["year"]) == (f.COUNTY, "county", YEAR)
    assert body["refreshed_at"] is not None
    households = by_code(body, "households")
    # Every status is listed, a status without households as 0 (zeros are not stored).
    assert list(households) == list(CATALOGUE["households"].keys)
    for status in rc.HouseholdStatus.values:
        expected = HouseholdYear.objects.filter(year=YEAR, status=status,
                                                household__village__code__startswith="320321").count()
        assert Decimal(str(households[status]["value"])) == expected, status
    assert Decimal(str(households[rc.HouseholdStatus.EXITED]["value"])) == 1
    people = sum(Decimal(str(i["value"])) for i in by_code(body, "people").values())
    assert people == MemberYear.objects.filter(year=YEAR, member_status=rc.MemberStatus.ACTIVE).count()
    item = households[rc.HouseholdStatus.IN_POVERTY]
    assert item["name"] == str(CATALOGUE["households"].name) and item["key_label"] == "未脱贫"
    assert item["division_name"] == "丰县" and item["denominator"] is None and item["share"] is None
    assert {i["code"] for i in body["items"]} == {"households", "people"} and body["count"] == len(body["items"])


def test_every_indicator_by_default_and_shares_carry_their_base(client: Client, users, refreshed) -> None:
    body = get(client, users["county"]).json()
    assert {i["code"] for i in body["items"]} == set(CATALOGUE)
    for item in body["items"]:
        if item["kind"] == Kind.SHARE and item["denominator"]:
            expected = Decimal(str(item["value"])) / Decimal(str(item["denominator"]))
            assert abs(Decimal(str(item["share"])) - expected) < Decimal("0.000001"), item
        else:
            assert item["share"] is None, item


def test_share_target_comes_from_the_policy_standard(client: Client, users, refreshed) -> None:
    from sunshine.policy.selectors import standard_for

    body = get(client, users["analyst"], f"?division={f.COUNTY}&code=key_county_household_share").json()
    targets = {i["target"] for i in body["items"]}
    expected = standard_for(YEAR, f.COUNTY).params.county_household_share
    assert len(targets) == 1 and Decimal(str(targets.pop())) == Decimal(expected)


def test_township_reviewer_sees_only_the_township(client: Client, users, refreshed) -> None:
    """The default division is the reader's own; the county above and the other township are 404."""
    body = get(client, users["township"], "?code=households").json()
    assert body["division_code"] == f.TOWNSHIP_A
    total = sum(Decimal(str(i["value"])) for i in body["items"])
    assert total == HouseholdYear.objects.filter(year=YEAR, household__village__code__startswith="320321101").count()
    assert total < HouseholdYear.objects.filter(year=YEAR).count()  # village B's household is not counted
    for division in (f.COUNTY, f.TOWNSHIP_B, f.VILLAGE_B, "320000000000", "999999999999", "x"):
        response = get(client, users["township"], f"?division={division}")
        assert response.status_code == 404, division
        assert "320321102" not in response.content.decode()
    assert get(client, users["township"], f"?division={f.VILLAGE_A}").status_code == 200


def test_clerk_of_village_a_never_reads_village_b(client: Client, users, refreshed) -> None:
    assert get(client, users["clerk"], f"?division={f.VILLAGE_B}").status_code == 404
    body = get(client, users["clerk"]).json()
    assert body["division_code"] == f.VILLAGE_A
    assert all(i["division_code"] == f.VILLAGE_A for i in body["items"])


def test_bearer_token_and_errors(client: Client, users, refreshed) -> None:
    _, raw = ApiToken.issue(users["county"], name="dashboard")
    response = client.get("/api/indicators?code=households", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["division_code"] == f.COUNTY
    client.logout()
    assert client.get("/api/indicators").status_code == 401
    unknown = get(client, users["county"], "?code=households,nonsense")
    assert unknown.status_code == 422 and "nonsense" in unknown.content.decode()
    assert get(client, users["county"], "?year=1900").status_code == 422


def test_a_user_without_a_division_sees_nothing(client: Client, users, refreshed) -> None:
    nobody = f.make_user("nobody", Role.COUNTY_MANAGER, f.COUNTY)
    nobody.division = None
    nobody.save()
    assert get(client, nobody).status_code == 404


def test_other_years_read_as_zero_not_as_an_error(client: Client, users, refreshed) -> None:
    body = get(client, users["county"], "?year=2019&code=households").json()
    assert body["refreshed_at"] is None
    assert {Decimal(str(i["value"])) for i in body["items"]} == {Decimal(0)}


@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize("role", ["analyst", "clerk"])
def test_the_operation_survives_fuzzing(role: str, users, refreshed) -> None:
    """The fuzzing of tests/test_api_fuzz.py on this one operation (that test fuzzes every operation): no 5xx,
    declared statuses and bodies, and village B's code never in the clerk's answers unless asked for."""
    from schemathesis import GenerationMode

    from tests.test_api_fuzz import bearer, fuzz, load_schema

    operation = next(r.ok() for r in load_schema().get_all_operations() if r.ok().label == "GET /api/indicators")
    secrets = {f.VILLAGE_B} if role == "clerk" else set()
    failures: list[str] = []
    seen: list[int] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        fuzz(operation, bearer(users[role]), secrets, failures, seen, mode=mode)
    assert not failures, "\n\n".join(failures)
    assert 200 in seen
