"""The cadre's phone pages for visits: my households, the visit form with photos and agreed measures, a resend
of the same client_uuid, and who may not use them."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from sunshine.assistance.models import Cadre, Pairing, Visit, VisitPhoto
from sunshine.assistance.tests import helpers
from sunshine.assistance.tests.test_visits_photos import make_image
from sunshine.core.choices import Role
from sunshine.monitoring.choices import WarningStatus
from sunshine.monitoring.models import Measure, WarningEvent
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def cadre_with_account(username: str, division: str = f.COUNTY) -> Cadre:
    return helpers.make_cadre(division, user=f.make_user(username, Role.CADRE, division))


@pytest.fixture
def cadre(users, household_a) -> Cadre:
    made = cadre_with_account("cadre_a")
    helpers.pair(made, household_a.household)
    return made


@pytest.fixture
def client_of(cadre) -> Client:
    client = Client()
    client.force_login(cadre.user)
    return client


def photo(name: str = "p.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_image(**kwargs), content_type="image/jpeg")


def form_url(household_year) -> str:
    return f"/assistance/visits/households/{household_year.household.pk}/new/"


def visit_data(**override) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(),
            "notes": "入户查看,家中老人身体好转", "measures": "", **override}


def test_my_households_lists_the_paired_households_with_the_last_visit(client_of, cadre, household_a, household_b):
    Visit.objects.create(cadre=cadre, household=household_a.household, date=dt.date(2026, 3, 4), notes="x")
    body = client_of.get("/assistance/visits/").content.decode()
    assert household_a.household.household_no in body and "甲户主" in body
    assert "上次走访 2026-03-04" in body
    assert household_b.household.household_no not in body
    assert form_url(household_a) in body


def test_a_pairing_that_ended_is_not_listed_nor_open(client_of, cadre, household_a):
    Pairing.objects.filter(cadre=cadre).update(end_date=timezone.localdate() - dt.timedelta(days=1))
    assert household_a.household.household_no not in client_of.get("/assistance/visits/").content.decode()
    assert client_of.get(form_url(household_a)).status_code == 404


def test_the_form_page_is_for_a_phone(client_of, household_a):
    response = client_of.get(form_url(household_a))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'accept="image/*"' in body and 'capture="environment"' in body and " multiple" in body
    assert f'value="{timezone.localdate().isoformat()}"' in body
    assert "assistance/visits.js" in body and "<script>" not in body and "style=" not in body
    assert 'name="client_uuid"' in body and "csrfmiddlewaretoken" in body


def test_a_visit_with_photos_and_measures_is_stored_with_a_measure(client_of, cadre, users, household_a):
    run = mf.make_run(actor=users["county"])
    warning = mf.make_warning(run=run, household_year=household_a, status=WarningStatus.CONFIRMED)
    warning.year = timezone.localdate().year
    warning.save(update_fields=["year"])
    data = visit_data(measures="介绍到县城务工,每月跟进一次", latitude="34.691667", longitude="116.640000",
                      photos=[photo(gps=("N", (34.0, 41.0, 30.0), "E", (116.0, 38.0, 24.0)),
                                    taken="2026:11:30 09:15:00", size=(2400, 1200)), photo("b.png")])
    response = client_of.post(form_url(household_a), data)
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household_a.household.household_no}/"
    visit = Visit.objects.get()
    assert (visit.cadre, visit.household, visit.created_by) == (cadre, household_a.household, cadre.user)
    assert visit.notes == "入户查看,家中老人身体好转" and visit.measures == "介绍到县城务工,每月跟进一次"
    assert (visit.latitude, visit.longitude) == (Decimal("34.691667"), Decimal("116.640000"))
    first, second = VisitPhoto.objects.filter(visit=visit).order_by("id")
    assert (first.width, first.height) == (1600, 800)
    assert (first.latitude, first.longitude) == (Decimal("34.691667"), Decimal("116.640000"))
    assert first.taken_at is not None and timezone.localtime(first.taken_at).hour == 9
    assert second.latitude is None and second.image.name.endswith(".jpg")
    with first.image.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.format == "JPEG" and dict(stored.getexif()) == {}
    measure = Measure.objects.get()
    assert (measure.warning, measure.kind, measure.date, measure.note, measure.created_by) == (
        warning, "other", visit.date, "介绍到县城务工,每月跟进一次", cadre.user)
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ASSISTING
    assert WarningEvent.objects.filter(warning=warning, action="measure", user=cadre.user).exists()


def test_agreed_measures_of_a_household_without_a_warning_are_its_measure_of_the_year(client_of, household_a):
    """One model shared with monitoring: the measure needs no warning; R-NOMEASURE and the benefits statement
    read it by household and year."""
    data = visit_data(measures="帮助申请公益性岗位")
    assert client_of.post(form_url(household_a), data).status_code == 302
    measure = Measure.objects.get()
    visit = Visit.objects.get()
    assert (measure.warning, measure.household, measure.year, measure.note) == (
        None, household_a.household, visit.date.year, "帮助申请公益性岗位")


def test_no_measure_without_agreed_measures(client_of, users, household_a):
    run = mf.make_run(actor=users["county"])
    mf.make_warning(run=run, household_year=household_a, status=WarningStatus.CONFIRMED)
    assert client_of.post(form_url(household_a), visit_data()).status_code == 302
    assert Visit.objects.count() == 1 and Measure.objects.count() == 0


def test_the_same_client_uuid_twice_is_one_visit(client_of, household_a):
    data = visit_data(photos=[photo()])
    first = client_of.post(form_url(household_a), data, **JSON)
    data["photos"] = [photo()]
    second = client_of.post(form_url(household_a), data, **JSON)
    assert first.status_code == 201 and first.json()["created"] is True and first.json()["message"] == "已上传"
    assert second.status_code == 200 and second.json()["created"] is False
    assert first.json()["visit"] == second.json()["visit"]
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 1


def test_a_client_uuid_of_another_cadre_is_refused(client_of, household_a, household_b):
    other = cadre_with_account("cadre_b", f.VILLAGE_B)
    helpers.pair(other, household_b.household)
    taken = Visit.objects.create(cadre=other, household=household_b.household, date=dt.date(2026, 1, 1),
                                 notes="x", client_uuid=uuid.uuid4())
    response = client_of.post(form_url(household_a), visit_data(client_uuid=str(taken.client_uuid)))
    assert response.status_code == 403
    assert Visit.objects.count() == 1


def test_errors_come_back_in_chinese_as_json_and_on_the_page(client_of, household_a):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_of.post(form_url(household_a), visit_data(notes="", date=tomorrow), **JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {"date": ["走访日期不能晚于今天"], "notes": ["请填写走访情况"]}
    page = client_of.post(form_url(household_a), visit_data(photos=[SimpleUploadedFile("x.jpg", b"%PDF-1.4")]))
    assert page.status_code == 400 and "x.jpg:照片只能是 JPG 或 PNG 图片" in page.content.decode()
    assert Visit.objects.count() == 0


def test_a_date_outside_the_pairing_is_refused(client_of, cadre, household_a):
    Pairing.objects.filter(cadre=cadre).update(start_date=timezone.localdate())
    earlier = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client_of.post(form_url(household_a), visit_data(date=earlier), **JSON)
    assert response.status_code == 400 and response.json()["errors"] == {"date": ["走访日期不在您与该户的结对期限内"]}


def test_a_visit_typed_before_the_pairing_ended_is_still_accepted(client_of, cadre, household_a):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Pairing.objects.filter(cadre=cadre).update(end_date=yesterday)
    response = client_of.post(form_url(household_a), visit_data(date=yesterday.isoformat()), **JSON)
    assert response.status_code == 201


def test_another_cadres_household_is_not_found(client_of, household_b):
    assert client_of.get(form_url(household_b)).status_code == 404
    assert client_of.post(form_url(household_b), visit_data()).status_code == 404
    assert client_of.get("/assistance/visits/households/999999/new/").status_code == 404
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("role", ["clerk", "county", "admin"])
def test_a_user_without_a_cadre_record_is_refused(client: Client, users, household_a, cadre, role):
    client.force_login(users[role])
    assert client.get("/assistance/visits/").status_code == 403
    assert client.get(form_url(household_a)).status_code == 403
    assert client.post(form_url(household_a), visit_data()).status_code == 403
    assert Visit.objects.count() == 0


def test_the_pages_need_a_login(client: Client, household_a):
    assert client.get("/assistance/visits/").status_code == 302
    assert client.post(form_url(household_a), visit_data()).status_code == 302


def test_photos_are_served_within_scope_only(client_of, client: Client, users, household_a):
    client_of.post(form_url(household_a), visit_data(photos=[photo()]))
    shot = VisitPhoto.objects.get()
    url = f"/assistance/visits/photos/{shot.pk}/"
    own = client_of.get(url)
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg" and "no-store" in own["Cache-Control"]
    client.force_login(users["clerk"])
    assert client.get(url).status_code == 200
    client.force_login(users["clerk_b"])
    assert client.get(url).status_code == 404


def test_the_service_worker_is_served_for_the_visits_scope(client: Client):
    response = client.get("/assistance/visits/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/assistance/visits/"
    assert b"addEventListener(\"fetch\"" in response.content


def test_a_failure_after_the_photos_were_written_leaves_neither_rows_nor_files(client_of, cadre, household_a,
                                                                               monkeypatch, settings, tmp_path):
    from sunshine.assistance.visits import services
    from sunshine.assistance.visits.photos import process_photo

    settings.MEDIA_ROOT = tmp_path

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_record_measure", broken)
    image = make_image()
    shot = process_photo(io.BytesIO(image), len(image))
    with pytest.raises(RuntimeError):
        services.record_visit(actor=cadre.user, cadre=cadre, household=household_a.household,
                              date=timezone.localdate(), notes="x", measures="y", photos=[shot, shot])
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_two_resends_racing_give_one_visit(cadre, household_a, monkeypatch):
    from sunshine.assistance.visits import services

    client_uuid = uuid.uuid4()
    first = services.record_visit(actor=cadre.user, cadre=cadre, household=household_a.household,
                                  date=timezone.localdate(), notes="x", client_uuid=client_uuid)
    real = services.existing_visit
    calls = []

    def late(uuid_, cadre_):  # the other request had not yet committed when this one looked
        calls.append(uuid_)
        return None if len(calls) == 1 else real(uuid_, cadre_)

    monkeypatch.setattr(services, "existing_visit", late)
    second = services.record_visit(actor=cadre.user, cadre=cadre, household=household_a.household,
                                   date=timezone.localdate(), notes="x", client_uuid=client_uuid)
    assert (second.created, second.visit.pk) == (False, first.visit.pk)
    assert Visit.objects.count() == 1
