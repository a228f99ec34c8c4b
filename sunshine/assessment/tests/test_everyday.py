"""The day's work on the assessment pages (issue 11): results that need work (未达标, 缺数据) first and coloured,
the region picker in the run form, users by name, parameters and criteria by their Chinese names, one number
format."""

from __future__ import annotations

import re

import pytest

from sunshine.assessment.services import run_assessment
from sunshine.testing import factories as f


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def households(users):
    """Numbers chosen so that the household number order (meets, incomplete, fails) is not the result order."""
    return {
        "meets": f.make_household(users["county"], household_no="A0001", head_name="达标户"),
        "incomplete": f.make_household(users["county"], household_no="A0002", head_name="缺数据户", water_safe=None),
        "fails": f.make_household(users["county"], household_no="A0003", head_name="未达标户", water_safe=False),
    }


@pytest.fixture
def what_if(users, households):
    users["county"].full_name = "胡红霞"
    users["county"].save(update_fields=["full_name"])
    return run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY,
                          official=False, overrides={"income_line": 6500})


def test_results_that_need_work_come_first_and_are_coloured(client, users, what_if):
    client.force_login(users["county"])
    response = client.get(f"/assessment/runs/{what_if.pk}/")
    numbers = [row["r"].household.household_no for row in response.context["rows"]]
    assert numbers == ["A0003", "A0002", "A0001"]
    page = response.content.decode()
    assert 'class="status result-fails status-in_poverty"' in page
    assert 'class="status result-incomplete status-returned"' in page


def test_run_page_names_parameters_criteria_and_people(client, users, what_if):
    client.force_login(users["clerk"])
    page = client.get(f"/assessment/runs/{what_if.pk}/").content.decode()
    text = visible(page)
    for word in ("income_line", "H-INC", "H-WATER", "village_income_line"):
        assert word not in text, word
    assert "收入标准(元/人·年)" in text and "6,500.00" in text and "模拟调整" in text
    assert "重点帮扶县达标户占比" in text and "97%" in text
    assert "饮水安全" in text and "胡红霞" in text
    assert "胡红霞" in visible(client.get("/assessment/").content.decode())


def test_run_form_uses_the_region_picker(client, users, households):
    client.force_login(users["clerk"])
    page = client.get("/assessment/").content.decode()
    assert re.search(rf'<select name="division_code"[^>]*>\s*<option value="{f.VILLAGE_A}" selected>', page)
    response = client.post("/assessment/", {"kind": "households", "year": 2020, "division_code": f.VILLAGE_B,
                                            "what_if": "on"})
    assert 'data-field="division_code"' in response.content.decode()  # outside the clerk's scope: refused
    client.force_login(users["county"])
    page = client.get("/assessment/").content.decode()
    assert f'<option value="{f.COUNTY}" selected>' in page and f'<option value="{f.VILLAGE_B}">' in page
