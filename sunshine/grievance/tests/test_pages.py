"""Grievance pages: intake, list with filters, detail with actions, statistics, to-do; the public form and the
progress page (query code shown once, rate limits)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from django.test import Client

from sunshine.core import ratelimit
from sunshine.core.models import AccessLog
from sunshine.grievance import public, services
from sunshine.grievance.choices import State
from sunshine.grievance.models import Grievance
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def test_operator_intake_shows_the_code_once(client: Client, users, household_a):
    client.force_login(users["county"])
    page = client.get("/grievances/new/")
    assert page.status_code == 200 and 'name="division"' in page.content.decode()
    response = client.post("/grievances/new/", {
        "channel": "hotline", "category": "assistance", "division": f.VILLAGE_A, "subject": "帮扶干部不入户",
        "content": "一年没见过帮扶干部", "household_no": household_a.household.household_no,
        "reporter_name": gf.REPORTER_NAME, "reporter_phone": gf.REPORTER_PHONE, "confidential": "on"})
    assert response.status_code == 200
    code = re.search(r'data-testid="code">([A-Z2-9]{8})<', response.content.decode()).group(1)
    g = Grievance.objects.get()
    assert g.query_code_hash == services.code_hash(code) and g.household_id == household_a.household_id
    assert code not in client.get(f"/grievances/{g.pk}/").content.decode()
    # Errors come back on the form.
    bad = client.post("/grievances/new/", {"channel": "hotline", "category": "funds", "division": f.VILLAGE_A,
                                           "subject": "x", "content": "y", "household_no": "NOPE",
                                           "anonymous": "on"})
    assert bad.status_code == 400 and "本县没有编号为 NOPE 的记录" in bad.content.decode()
    client.force_login(users["clerk"])
    assert client.get("/grievances/new/").status_code == 403


def test_list_filters_detail_actions_and_stats(client: Client, users):
    on = dt.date.today()
    a, _ = gf.register(users["county"], on=on - dt.timedelta(days=10))  # overdue for acceptance
    b, _ = gf.register(users["county"], on=on, category="projects", division=f.VILLAGE_B)
    client.force_login(users["county"])
    body = client.get("/grievances/").content.decode()
    assert a.number in body and b.number in body
    body = client.get("/grievances/?overdue=on").content.decode()
    assert a.number in body and b.number not in body
    body = client.get("/grievances/?category=projects").content.decode()
    assert a.number not in body and b.number in body
    body = client.get(f"/grievances/?division={f.TOWNSHIP_B}").content.decode()
    assert a.number not in body and b.number in body
    detail = client.get(f"/grievances/{a.pk}/").content.decode()
    assert 'data-action="accept"' in detail and 'data-action="reject"' in detail and 'data-testid="overdue"' in detail
    assert client.post(f"/grievances/{a.pk}/act/", {"action": "accept"}).status_code == 302
    assert client.post(f"/grievances/{a.pk}/act/", {"action": "assign", "division": f.VILLAGE_A}).status_code == 302
    stale = client.post(f"/grievances/{a.pk}/act/", {"action": "accept"}, follow=True).content.decode()
    assert "不能办理此操作" in stale
    a.refresh_from_db()
    assert a.state == State.ASSIGNED
    # The village clerk now sees it and may investigate.
    client.force_login(users["clerk"])
    assert a.number in client.get("/grievances/").content.decode()
    assert b.number not in client.get("/grievances/").content.decode()
    assert 'data-action="investigate"' in client.get(f"/grievances/{a.pk}/").content.decode()
    assert client.get(f"/grievances/{b.pk}/").status_code == 404
    client.post(f"/grievances/{a.pk}/act/", {"action": "investigate"})
    client.post(f"/grievances/{a.pk}/act/", {"action": "conclude", "outcome": "untrue", "findings": "查无实据"})
    a.refresh_from_db()
    assert a.state == State.CONCLUDED and a.concluded_on == dt.date.today()
    client.force_login(users["county"])
    stats = client.get("/grievances/stats/").content.decode()
    assert 'data-testid="median"' in stats and "<strong>10</strong>" in stats
    csv = client.get("/grievances/export.csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("编号,渠道,类别") and a.number in csv


def test_home_to_do(client: Client, users):
    gf.register(users["county"], on=dt.date.today() - dt.timedelta(days=5))
    client.force_login(users["county"])
    body = client.get("/").content.decode()
    assert "12317举报待受理" in body and "逾期的12317举报" in body


def test_public_form_in_two_steps_and_the_code_once(client: Client, region):
    assert client.get("/public/grievances/").status_code == 200
    page = client.get(f"/public/grievances/?county={f.COUNTY}").content.decode()
    assert f'value="{f.VILLAGE_A}"' in page
    response = client.post("/public/grievances/", {
        "county": f.COUNTY, "category": "funds", "division": f.VILLAGE_A, "subject": "低保金被截留",
        "content": "村里有人冒领", "anonymous": "on"})
    assert response.status_code == 200
    code = re.search(r'data-testid="code">([A-Z2-9]{8})<', response.content.decode()).group(1)
    g = Grievance.objects.get()
    assert g.channel == "web" and g.anonymous and g.registered_by is None and g.handling_division_id == f.COUNTY
    # Progress by POST: the code never goes into a URL.
    shown = client.post("/public/grievances/progress/", {"code": code.lower()}).content.decode()
    assert "登记" in shown and g.number in shown and 'data-testid="progress"' in shown
    assert client.post("/public/grievances/progress/", {"code": "ZZZZZZZZ"}).status_code == 404


def test_public_progress_shows_no_internal_notes(client: Client, users):
    g, code = gf.register(users["county"])
    g = gf.walk(g, users, State.CONCLUDED)
    services.note  # noqa: B018 - the investigator's note of walk() is '已入户了解'
    body = client.post("/public/grievances/progress/", {"code": code}).content.decode()
    assert "已办结" in body and "部分属实" in body and "转办至" in body
    assert "已入户了解" not in body and "部分资金延迟发放" not in body and "责令限期补发" not in body
    assert gf.REPORTER_NAME not in body and gf.REPORTER_PHONE not in body


def test_public_rate_limits(client: Client, region):
    data = {"county": f.COUNTY, "category": "funds", "division": f.VILLAGE_A, "subject": "s", "content": "c",
            "anonymous": "on"}
    for _ in range(public.SUBMIT_PER_HOUR):
        assert client.post("/public/grievances/", data).status_code == 200
    limited = client.post("/public/grievances/", data)
    assert limited.status_code == 429 and Grievance.objects.count() == public.SUBMIT_PER_HOUR
    for _ in range(public.QUERY_PER_CODE):
        assert client.post("/public/grievances/progress/", {"code": "ZZZZZZZZ"}).status_code == 404
    assert client.post("/public/grievances/progress/", {"code": "ZZZZZZZZ"}).status_code == 429
    ratelimit.clear(public.query_limits("127.0.0.1", "ZZZZZZZZ"))
    assert not AccessLog.objects.filter(object_type="grievance_reporter").exists()


def test_the_household_cadre_sees_it_in_their_list_but_never_one_about_themself(client: Client, users, household_a):
    from sunshine.assistance.models import Cadre, Pairing
    from sunshine.core.choices import Role

    account = f.make_user("cadre_user", Role.CADRE, f.VILLAGE_B)
    cadre = Cadre.objects.create(cadre_no="GB0009", name="帮扶干部丙", id_number=f.new_id(), level="county",
                                 kind="responsible", division_id=f.COUNTY, user=account)
    Pairing.objects.create(cadre=cadre, household=household_a.household, start_date=dt.date(2020, 1, 1))
    links = {"household_no": household_a.household.household_no}
    about_household, _ = gf.register(users["county"], links=links)
    about_cadre, _ = gf.register(users["county"], links={**links, "cadre_no": "GB0009"}, category="conduct")
    for g in (about_household, about_cadre):
        gf.walk(g, users, State.ASSIGNED, assign_to=f.TOWNSHIP_A)
    not_yet, _ = gf.register(users["county"], links=links)
    client.force_login(account)
    body = client.get("/grievances/").content.decode()
    assert about_household.number in body and about_cadre.number not in body and not_yet.number not in body
    assert client.get(f"/grievances/{about_cadre.pk}/").status_code == 404
    detail = client.get(f"/grievances/{about_household.pk}/").content.decode()
    assert 'data-testid="cadre"' in detail and 'data-action=' not in detail  # sees it, acts on nothing
    client.force_login(users["county"])
    assert "cadre_user" in client.get(f"/grievances/{about_household.pk}/").content.decode()


def test_reporter_fields_are_kept_out_of_error_reports(rf, users):
    """Django's error reports (the 500 mail, the debug page) print a request's POST data: not the reporter's."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.views.debug import SafeExceptionReporterFilter

    from sunshine.grievance import public, views

    for view, user in ((public.report, None), (views.grievance_new, users["county"])):
        request = rf.post("/", {"reporter_name": "举报人甲", "reporter_phone": "13900001111", "content": "x"})
        request.user = user or AnonymousUser()
        request.session = {}
        request._messages = FallbackStorage(request)
        with contextlib.suppress(Exception):  # only the marking of the request matters here
            view(request)
        cleaned = SafeExceptionReporterFilter().get_post_parameters(request)
        assert cleaned["reporter_name"] != "举报人甲" and cleaned["reporter_phone"] != "13900001111"
        assert cleaned["content"] == "x"
