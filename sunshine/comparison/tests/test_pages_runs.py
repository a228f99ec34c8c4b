"""Starting a comparison from the page and re-running it, through the real run service and engine (DuckDB),
with the background job run immediately."""

from __future__ import annotations

import datetime as dt

import pytest

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.tests import factories as cf
from sunshine.registry import choices as c
from sunshine.testing import factories as f

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    return settings.DATA_DIR


@pytest.fixture
def deaths(household_a, household_b):
    dead = household_a.members.get(relation=c.Relation.HEAD).person
    other = household_b.members.get(relation=c.Relation.HEAD).person
    return cf.make_stored_load("deaths", [
        {"id_number": dead.id_number, "name": dead.name, "death_date": dt.date(2020, 5, 1)},
        {"id_number": other.id_number, "name": other.name, "death_date": dt.date(2020, 7, 9)},
    ])


def test_county_manager_starts_a_run_and_sees_its_summary(client, users, deaths, household_a):
    client.force_login(users["county"])
    response = client.post("/comparison/", {"year": 2020, "division_code": f.COUNTY, "rules": ["C-DEAD"],
                                            "engine": "duckdb"})
    run = ComparisonRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/comparison/runs/{run.pk}/"
    assert run.status == JobStatus.DONE and run.rules == ["C-DEAD"] and run.created_by == users["county"]
    response = client.get(response["Location"])
    summary = response.context["summary"]
    assert summary.total == 2 and [(r["code"], r["n"]) for r in summary.by_rule] == [("C-DEAD", 2)]
    assert "户籍死亡人员" in response.content.decode()
    client.force_login(users["clerk"])
    assert client.get(f"/comparison/runs/{run.pk}/").context["summary"].total == 1
    finding = Finding.objects.get(household=household_a.household)
    assert client.get("/comparison/findings/", {"run": run.pk}).context["rows"][0]["id"] == finding.pk


def test_start_form_errors_and_refusals(client, users, deaths):
    client.force_login(users["county"])
    response = client.post("/comparison/", {"year": 2020, "division_code": f.VILLAGE_B[:-1] + "9",
                                            "engine": "duckdb"})
    # The region is a picker of the reader's divisions: a code it does not offer is refused on the field.
    page = response.content.decode()
    assert response.status_code == 200 and 'data-field="division_code"' in page and "320321102009" in page
    response = client.post("/comparison/", {"year": 2020, "rules": ["C-CAR"], "engine": "duckdb"})
    assert "缺少部门数据" in response.content.decode()
    assert not ComparisonRun.objects.exists()
    client.force_login(users["township"])
    assert client.post("/comparison/", {"year": 2020, "engine": "duckdb"}).status_code == 403


def test_rerun_links_the_findings_as_recurring(client, users, deaths):
    client.force_login(users["county"])
    client.post("/comparison/", {"year": 2020, "rules": ["C-DEAD"], "engine": "duckdb"})
    first = ComparisonRun.objects.get()
    assert client.get(f"/comparison/runs/{first.pk}/rerun/").status_code == 405
    response = client.post(f"/comparison/runs/{first.pk}/rerun/")
    again = ComparisonRun.objects.exclude(pk=first.pk).get()
    assert response["Location"] == f"/comparison/runs/{again.pk}/" and again.rerun_of == first
    summary = client.get(response["Location"]).context["summary"]
    assert (summary.total, summary.new, summary.recurring) == (2, 0, 2)
    assert Finding.objects.count() == 2
    client.force_login(users["clerk"])
    assert client.post(f"/comparison/runs/{first.pk}/rerun/").status_code == 403
