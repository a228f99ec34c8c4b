"""Monitored-household pages: the list (scope, masking, filters, open warnings), entering one by hand through
create_monitored, and one household with its warnings and measures."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from sunshine.core.models import AccessLog
from sunshine.monitoring.choices import WarningStatus
from sunshine.monitoring.models import Measure, MonitoredHousehold
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f


@pytest.fixture
def households(users):
    run = mf.make_run(actor=users["county"])
    a = mf.make_monitored(division=f.VILLAGE_A, head_name="边缘甲", number="MA0001")
    b = mf.make_monitored(division=f.VILLAGE_B, head_name="边缘乙", number="MB0001")
    open_a = mf.make_warning(run=run, monitored=a)
    mf.make_warning(run=run, monitored=a, status=WarningStatus.CLEARED)
    mf.make_warning(run=run, monitored=b)
    return {"a": a, "b": b, "open_a": open_a}


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-monitored="(\d+)"', page)]


def test_list_is_scoped_masked_and_counts_open_warnings(client, users, households):
    a = households["a"]
    client.force_login(users["clerk"])
    page = body(client.get("/monitoring/monitored/"))
    assert listed(page) == [a.pk] and "边缘乙" not in page
    assert a.head_id_number not in page and a.head_id_number[:6] + "********" in page and "13900001111" not in page
    row = page.split(f'data-monitored="{a.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="tag warn">1</span>' in row
    assert not AccessLog.objects.filter(user=users["clerk"]).exists()
    client.force_login(users["county"])
    page = body(client.get("/monitoring/monitored/"))
    assert set(listed(page)) == {a.pk, households["b"].pk} and a.head_id_number in page
    assert AccessLog.objects.filter(user=users["county"], object_type="monitored_list").exists()
    assert listed(body(client.get(f"/monitoring/monitored/?division={f.VILLAGE_B}"))) == [households["b"].pk]
    assert listed(body(client.get("/monitoring/monitored/?q=MA0001"))) == [a.pk]
    assert listed(body(client.get("/monitoring/monitored/?q=边缘乙"))) == [households["b"].pk]


def test_detail_shows_the_household_and_its_warnings_with_measures(client, users, households):
    a, warning = households["a"], households["open_a"]
    Measure.objects.create(warning=warning, kind="employment", amount=None, date=dt.date(2020, 8, 1))
    client.force_login(users["township"])
    page = body(client.get(f"/monitoring/monitored/{a.pk}/"))
    assert "边缘甲" in page and a.head_id_number not in page
    panel = page.split('data-testid="monitored-warnings"', 1)[1]
    assert len(re.findall(r'data-warning="\d+"', panel)) == 2 and "2020-08-01 就业" in panel
    assert f"/monitoring/warnings/{warning.pk}/" in panel
    client.force_login(users["clerk_b"])
    assert client.get(f"/monitoring/monitored/{a.pk}/").status_code == 404


FORM = {"monitored-number": "MA0099", "monitored-year": "2020", "monitored-division_code": f.VILLAGE_A,
        "monitored-head_name": "新边缘户", "monitored-phone": "13700000000", "monitored-members": "4",
        "monitored-per_capita_income": "7600.50", "monitored-note": "因病"}


def test_clerk_enters_a_monitored_household(client, users):
    client.force_login(users["clerk"])
    page = body(client.get("/monitoring/monitored/"))
    assert 'data-testid="monitored-form"' in page
    number = f.new_id()
    response = client.post("/monitoring/monitored/", {**FORM, "monitored-head_id_number": number})
    created = MonitoredHousehold.objects.get(number="MA0099", year=2020)
    assert response.status_code == 302 and response["Location"] == f"/monitoring/monitored/{created.pk}/"
    assert (created.division_id, created.head_id_number, created.members, created.per_capita_income,
            created.created_by) == (f.VILLAGE_A, number, 4, Decimal("7600.50"), users["clerk"])


def test_entry_errors_are_shown_on_the_form_and_nothing_is_written(client, users):
    client.force_login(users["clerk"])
    page = body(client.post("/monitoring/monitored/", {**FORM, "monitored-head_id_number": "110105194912310021"}))
    assert 'data-field="head_id_number"' in page and "身份证号无效" in page
    page = body(client.post("/monitoring/monitored/", {**FORM, "monitored-division_code": f.VILLAGE_B,
                                                        "monitored-head_id_number": f.new_id()}))
    # The village is picked from the clerk's own villages: another village is refused on the field.
    assert 'data-field="division_code"' in page and f'value="{f.VILLAGE_B}"' not in page
    assert not MonitoredHousehold.objects.filter(number="MA0099").exists()


def test_read_only_roles_cannot_enter(client, users):
    client.force_login(users["supervisor"])
    assert 'data-testid="monitored-form"' not in body(client.get("/monitoring/monitored/"))
    response = client.post("/monitoring/monitored/", {**FORM, "monitored-head_id_number": f.new_id()})
    assert response.status_code == 403 and not MonitoredHousehold.objects.exists()
