"""Policy standard pages: the list for everyone, the new-version form for admin and provincial analyst only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.policy.models import PolicyStandard
from sunshine.policy.parameters import StandardParameters

BASE = "js-2018-2020-v1"


def form_data(**override):
    base = PolicyStandard.objects.get(version=BASE)
    data = {"base_version": BASE, "version": "js-2020-test", "name": "测试标准", "year_from": "2020",
            "year_to": "2020", "region_code": "320000000000", "notes": ""}
    data |= {f"p_{k}": str(v) for k, v in base.params.to_dict().items()}  # every field the form shows
    return data | override


@pytest.mark.parametrize("role", ["clerk", "county", "supervisor"])
def test_others_see_the_list_but_not_the_form(client, users, role):
    client.force_login(users[role])
    body = client.get("/policy/standards/").content.decode()
    assert BASE in body and "/policy/standards/new/" not in body
    assert client.get("/policy/standards/new/").status_code == 403
    assert client.post("/policy/standards/new/", form_data()).status_code == 403
    assert not PolicyStandard.objects.filter(version="js-2020-test").exists()


def test_form_is_prefilled_from_the_base(client, users):
    client.force_login(users["analyst"])
    body = client.get(f"/policy/standards/new/?base={BASE}").content.decode()
    assert 'value="6000' in body and 'value="180000' in body and 'value="320000000000"' in body


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_new_version_is_created(client, users, role):
    client.force_login(users[role])
    response = client.post("/policy/standards/new/", form_data(p_income_line="6500"))
    assert response.status_code == 302 and response["Location"] == "/policy/standards/"
    standard = PolicyStandard.objects.get(version="js-2020-test")
    assert standard.params.income_line == Decimal("6500") and standard.base.version == BASE
    assert standard.created_by == users[role]
    assert standard.params.village_income_line == StandardParameters().village_income_line
    assert "js-2020-test" in client.get("/policy/standards/").content.decode()


def test_errors_are_shown_on_the_form(client, users):
    client.force_login(users["analyst"])
    response = client.post("/policy/standards/new/", form_data(version=BASE, p_county_household_share="1.5",
                                                               year_from="2021"))
    body = response.content.decode()
    assert response.status_code == 200 and "已存在" in body and "比例应大于0且不超过1" in body
    assert "终止年度不能早于起始年度" in body
    # The region is a select of provinces, cities and counties: a village code is not offered and is refused.
    page = client.get("/policy/standards/new/").content.decode()
    assert 'value="320321000000"' in page and 'value="320321101001"' not in page
    response = client.post("/policy/standards/new/", form_data(region_code="320321101001"))
    assert 'data-field="region_code"' in response.content.decode()
    assert PolicyStandard.objects.count() == 1
