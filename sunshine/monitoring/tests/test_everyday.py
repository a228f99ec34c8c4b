"""The day's work on the monitoring pages (issue 11): warnings by risk score then days left, household numbers
as links, the region picker (a clerk's village preselected), users by name, Chinese labels, one number
format, and free text (notes, reasons, visit records) masked for masked roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from sunshine.monitoring import workflow
from sunshine.monitoring.models import SampleUnit
from sunshine.monitoring.sampling.draw import draw_sample
from sunshine.monitoring.sampling.services import record_visit
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

PHONE = "13912345678"


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def run(users):
    return mf.make_run(actor=users["county"])


def test_warnings_are_listed_by_risk_score_then_days_left(client, users, run, household_a):
    today = timezone.localdate()
    low = mf.make_warning(run=run, household_year=household_a, score=30, deadline=today)
    high_later = mf.make_warning(run=run, household_year=household_a, score=80,
                                 deadline=today + dt.timedelta(days=10))
    high_sooner = mf.make_warning(run=run, household_year=household_a, score=80,
                                  deadline=today + dt.timedelta(days=2))
    client.force_login(users["clerk"])
    ids = [row["id"] for row in client.get("/monitoring/").context["rows"]]
    assert ids == [high_sooner.pk, high_later.pk, low.pk]


def test_household_numbers_are_links(client, users, run, household_a):
    monitored = mf.make_monitored(division=f.VILLAGE_A)
    mf.make_warning(run=run, household_year=household_a)
    mf.make_warning(run=run, monitored=monitored)
    client.force_login(users["clerk"])
    page = client.get("/monitoring/").content.decode()
    number = household_a.household.household_no
    assert f'href="/households/{number}/?year=2020">{number}</a>' in page
    assert f'href="/monitoring/monitored/{monitored.pk}/"' in page


def test_filters_and_forms_use_the_region_picker(client, users, run, household_a):
    client.force_login(users["clerk"])
    for url, name in (("/monitoring/", "division"), ("/monitoring/monitored/", "division"),
                      ("/monitoring/monitored/", "monitored-division_code")):
        page = client.get(url).content.decode()
        assert f'<select name="{name}"' in page, url
        assert re.search(rf'<select name="{name}"[^>]*>\s*<option value="{f.VILLAGE_A}" selected>', page), url
    assert client.get("/monitoring/", {"division": f.VILLAGE_B}).context["filters"].division is None
    client.force_login(users["county"])
    page = client.get("/monitoring/monitored/").content.decode()
    create = page[page.index('name="monitored-division_code"'):]
    create = create[:create.index("</select>")]
    assert f'value="{f.VILLAGE_A}"' in create and f'value="{f.TOWNSHIP_A}"' not in create  # villages only
    assert client.get("/monitoring/", {"division": f.VILLAGE_B}).context["filters"].division == f.VILLAGE_B
    page = client.get("/monitoring/samples/").content.decode()
    assert '<select name="division_code"' in page and f'<option value="{f.COUNTY}" selected>' in page


def test_warning_notes_are_masked_and_users_shown_by_name(client, users, run, household_a):
    users["county"].full_name = "胡红霞"
    users["county"].save(update_fields=["full_name"])
    number = f.new_id(dt.date(1981, 3, 4))
    warning = mf.make_warning(run=run, household_year=household_a, explanation=f"联系电话 {PHONE}")
    workflow.verify(actor=users["county"], warning=warning, confirmed=True, note=f"户主电话 {PHONE},身份证 {number}")
    workflow.add_measure(actor=users["county"], warning=warning, kind="temporary_relief", amount=12345,
                         date=timezone.localdate(), note=f"打款前核对 {PHONE}")
    client.force_login(users["clerk"])
    page = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert PHONE not in page and number not in page and "139****5678" in page
    assert "胡红霞" in page and "12,345.00" in page and "county_a" not in visible(page)
    client.force_login(users["county"])
    page = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert PHONE in page and number in page


def test_monitored_note_is_masked(client, users):
    household = mf.make_monitored(division=f.VILLAGE_A, note=f"邻居电话 {PHONE}")
    client.force_login(users["clerk"])
    page = client.get(f"/monitoring/monitored/{household.pk}/").content.decode()
    assert PHONE not in page and "139****5678" in page


def test_sample_visit_note_is_masked_and_kept_when_sent_back_unchanged(client, users, household_a):
    users["clerk"].full_name = "张村官"
    users["clerk"].save(update_fields=["full_name"])
    draw = draw_sample(actor=users["county"], year=2020, size=1, seed=3)
    unit = draw.units.get()
    note = f"户主电话 {PHONE}"
    record_visit(actor=users["clerk"], unit=unit, visited_on=dt.date(2021, 1, 5), data_correct=True,
                 wrongly_exited=None, note=note)
    client.force_login(users["clerk"])
    page = client.get(f"/monitoring/samples/{draw.pk}/").content.decode()
    assert PHONE not in page and "139****5678" in page and "张村官" in page
    prefix = f"u{unit.pk}"
    response = client.post(f"/monitoring/samples/{draw.pk}/visit/", {
        "unit": unit.pk, f"{prefix}-visited_on": "2021-01-06", f"{prefix}-data_correct": "true",
        f"{prefix}-note": "户主电话 139****5678"})
    assert response.status_code == 302
    unit = SampleUnit.objects.get(pk=unit.pk)
    assert unit.visited_on == dt.date(2021, 1, 6) and unit.note == note  # the masked text did not overwrite it
