"""The day's work on the comparison pages (issue 11): findings by severity then deadline, household numbers as
links, the township → village picker instead of a typed code, users by name, Chinese names instead of
codes and storage names, one number format, and free text masked for masked roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from sunshine.comparison import workflow
from sunshine.comparison.choices import Engine
from sunshine.comparison.tests import factories as cf
from sunshine.policy.models import PolicyStandard
from sunshine.testing import factories as f

PHONE = "13912345678"


def visible(html: str) -> str:
    """The page's text as a reader sees it: tags, attributes, scripts and styles left out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def run(users):
    loads = [cf.make_load("deaths", as_of=dt.date(2020, 12, 31), rows=12345)]
    return cf.make_run(actor=users["county"], rules=["C-DEAD", "C-CAR"], loads=loads, engine=Engine.DUCKDB,
                       parameters=PolicyStandard.objects.first().parameters, seconds=1.5)


def test_findings_are_listed_by_severity_then_deadline(client, users, run, household_a):
    today = timezone.localdate()
    signal = cf.make_finding(run=run, household_year=household_a, rule="C-MEDCOST",
                             deadline=today + dt.timedelta(days=1))
    medium = cf.make_finding(run=run, household_year=household_a, rule="C-CAR", deadline=today)
    high_later = cf.make_finding(run=run, household_year=household_a, rule="C-DEAD",
                                 deadline=today + dt.timedelta(days=9))
    high_sooner = cf.make_finding(run=run, household_year=household_a, head=True, rule="C-PAYROLL",
                                  deadline=today + dt.timedelta(days=3))
    assert (signal.severity, medium.severity, high_later.severity) == ("signal", "medium", "high")
    client.force_login(users["clerk"])
    ids = [row["id"] for row in client.get("/comparison/findings/").context["rows"]]
    assert ids == [high_sooner.pk, high_later.pk, medium.pk, signal.pk]


def test_household_numbers_are_links(client, users, run, household_a):
    cf.make_finding(run=run, household_year=household_a)
    client.force_login(users["clerk"])
    page = client.get("/comparison/findings/").content.decode()
    number = household_a.household.household_no
    assert f'href="/households/{number}/?year=2020">{number}</a>' in page


def test_filters_use_the_region_picker_with_the_clerks_village_preselected(client, users, run, household_a,
                                                                          household_b):
    cf.make_finding(run=run, household_year=household_a)
    client.force_login(users["clerk"])
    page = client.get("/comparison/findings/").content.decode()
    assert '<select name="division"' in page and f'<option value="{f.VILLAGE_A}" selected>' in page
    assert 'name="division" maxlength="12"' not in page
    # A code outside the clerk's scope is ignored (never widens what he sees), one inside it is kept.
    response = client.get("/comparison/findings/", {"division": f.VILLAGE_B})
    assert response.context["filters"].division is None
    client.force_login(users["county"])
    page = client.get("/comparison/findings/").content.decode()
    assert f'<option value="{f.TOWNSHIP_A}">' in page and f'<option value="{f.VILLAGE_B}">' in page
    assert client.get("/comparison/findings/", {"division": f.VILLAGE_B}).context["filters"].division == f.VILLAGE_B


def test_run_form_picks_the_region_and_refuses_one_outside_the_scope(client, users, run):
    client.force_login(users["county"])
    page = client.get("/comparison/").content.decode()
    assert '<select name="division_code"' in page and f'<option value="{f.COUNTY}" selected>' in page
    client.force_login(users["admin"])
    response = client.post("/comparison/", {"year": 2020, "division_code": "110101000000", "engine": "duckdb"})
    assert 'data-field="division_code"' in response.content.decode()


def test_run_pages_show_names_and_chinese_labels_not_codes_engines_or_files(client, users, run):
    users["county"].full_name = "胡红霞"
    users["county"].save(update_fields=["full_name"])
    client.force_login(users["county"])
    for url in ("/comparison/", f"/comparison/runs/{run.pk}/", "/comparison/datasets/"):
        text = visible(client.get(url).content.decode())
        for word in ("income_line", "H-INC", "deaths", "duckdb", "DuckDB", ".parquet", "county_a"):
            assert word not in text, (url, word)
    detail = visible(client.get(f"/comparison/runs/{run.pk}/").content.decode())
    assert "胡红霞" in detail and "收入标准(元/人·年)" in detail and "6,000.00" in detail
    assert "户籍死亡人员" in detail and "12,345" in detail
    datasets = visible(client.get("/comparison/datasets/").content.decode())
    assert "户籍死亡人员" in datasets and "12,345" in datasets


def test_notes_and_explanations_are_masked_for_masked_roles(client, users, run, household_a):
    number = f.new_id(dt.date(1980, 1, 2))
    finding = cf.make_finding(run=run, household_year=household_a,
                              explanation=f"举报人电话 {PHONE},身份证 {number}")
    workflow.verify(actor=users["county"], finding=finding, confirmed=True,
                    note=f"已联系 {PHONE},核对身份证 {number}")
    client.force_login(users["clerk"])
    page = client.get(f"/comparison/findings/{finding.pk}/").content.decode()
    assert PHONE not in page and number not in page and "139****5678" in page
    client.force_login(users["county"])
    page = client.get(f"/comparison/findings/{finding.pk}/").content.decode()
    assert PHONE in page and number in page


def test_upload_page_names_the_dataset_in_chinese(client, users, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sunshine.comparison.datasets import samples

    settings.DATA_DIR = tmp_path / "data"
    content = samples.write_csv(tmp_path / "deaths.csv", ["身份证号", "姓名", "死亡日期"],
                                [[f.new_id(), "张三", "2020-01-02"]]).read_bytes()
    client.force_login(users["analyst"])
    response = client.post("/comparison/datasets/", {"dataset": "deaths",
                                                     "file": SimpleUploadedFile("名单.csv", content)})
    text = visible(client.get(response["Location"]).content.decode())
    assert "户籍死亡人员第 1 版" in text and "deaths" not in text
    text = visible(client.get("/comparison/datasets/").content.decode())
    assert "deaths" not in text and ".parquet" not in text and "Parquet" in text
