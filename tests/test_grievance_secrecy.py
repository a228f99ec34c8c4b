"""Whistle-blower protection (services.md §4): the reporter's name and phone of a grievance reach supervisors
(监督) of its county or above and nobody else — not the village clerk, township reviewer or county manager of
the division it was assigned to, not an administrator, not through any page, export, API route or log line.

Every grievance page and every grievance API GET route is enumerated (like tests/test_scope.py), each body is
searched for the name and the phone, plain and masked; a county supervisor receives them, and the read is in the
access log."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from sunshine.config.api import api
from sunshine.core.choices import AccessAction, Role
from sunshine.core.ids import mask_phone
from sunshine.core.models import AccessLog
from sunshine.grievance.choices import State
from sunshine.grievance.models import Grievance, GrievanceEvent
from sunshine.grievance.tests import factories as gf
from sunshine.grievance.urls import PUBLIC_ROUTES, urlpatterns
from sunshine.testing import factories as f
from sunshine.workflow.views_common import mask_name

NAME, PHONE = gf.REPORTER_NAME, gf.REPORTER_PHONE
FORMS = [NAME, mask_name(NAME), NAME[1:], PHONE, mask_phone(PHONE), PHONE[:3] + " " + PHONE[3:7], PHONE[-8:]]
SECRET = re.compile("|".join(re.escape(s) for s in FORMS))


def page_urls(ids: list[int]) -> list[str]:
    out = []
    for p in urlpatterns:
        route = str(p.pattern)
        if route in PUBLIC_ROUTES:
            continue
        if "<int:id>" in route:
            out += ["/" + route.replace("<int:id>", str(pk)) for pk in ids]
        else:
            out.append("/" + route)
    lists = ["/grievances/?state=investigating", "/grievances/?overdue=on", f"/grievances/?division={f.VILLAGE_A}",
             "/grievances/export.csv?category=funds", "/grievances/stats/?category=funds", "/"]
    return out + lists


def api_urls(ids: list[int]) -> list[str]:
    out = []
    for path, ops in api.get_openapi_schema()["paths"].items():
        if not path.startswith("/api/grievances") or "get" not in ops:
            continue
        out += [path.replace("{id}", str(pk)) for pk in ids] if "{id}" in path else [path]
    assert any(u.endswith("/reporter") for u in out)
    return out + ["/api/grievances?state=investigating", "/api/grievances?overdue=true"]


@pytest.fixture
def grievances(users):
    """Three grievances assigned to village A: confidential, named but not confidential, and anonymous (whose
    reporter columns are filled behind the service's back, to prove nothing reads them)."""
    confidential, _ = gf.register(users["county"], confidential=True)
    gf.walk(confidential, users, State.INVESTIGATING)
    open_, _ = gf.register(users["county"], confidential=False)
    gf.walk(open_, users, State.CONCLUDED)
    anonymous, _ = gf.register(users["county"], anonymous=True)
    gf.walk(anonymous, users, State.ASSIGNED)
    Grievance.objects.filter(pk=anonymous.pk).update(reporter_name=NAME, reporter_phone=PHONE)
    return [confidential, open_, anonymous]


@pytest.mark.parametrize("role", ["clerk", "township", "county", "admin"])
def test_the_assigned_division_never_receives_the_reporter(client: Client, users, grievances, role, caplog):
    caplog.set_level(logging.DEBUG)
    ids = [g.pk for g in grievances]
    client.force_login(users[role])
    checked = 0
    for url in page_urls(ids) + api_urls(ids):
        response = client.get(url)
        assert response.status_code in (200, 403, 404, 405), f"{url} -> {response.status_code}"
        body = response.content.decode("utf-8-sig")
        assert not SECRET.search(body), f"{role} got the reporter from {url}"
        if response.status_code == 200:
            checked += 1
    # They do see the grievances themselves (the test would be empty otherwise).
    assert checked >= 10
    for pk in ids:
        assert client.get(f"/grievances/{pk}/").status_code == 200
        assert client.get(f"/grievances/{pk}/reporter/").status_code == 403
        assert client.get(f"/api/grievances/{pk}/reporter").status_code == 403
    export = client.get("/grievances/export.csv").content.decode("utf-8-sig")
    assert "反映人" not in export.splitlines()[0] and grievances[0].number in export
    assert not AccessLog.objects.filter(object_type="grievance_reporter").exists()
    assert not [r for r in caplog.records if SECRET.search(r.getMessage())]


def test_a_county_supervisor_reads_the_reporter_and_the_read_is_logged(client: Client, users, grievances, caplog):
    caplog.set_level(logging.DEBUG)
    confidential, open_, anonymous = grievances
    client.force_login(users["supervisor"])
    detail = client.get(f"/grievances/{confidential.pk}/").content.decode()
    assert 'data-testid="see-reporter"' in detail and not SECRET.search(detail)  # only on the reporter page
    page = client.get(f"/grievances/{confidential.pk}/reporter/").content.decode()
    assert NAME in page and PHONE in page
    log = AccessLog.objects.get(object_type="grievance_reporter")
    assert (log.user, log.action, log.object_ref) == (users["supervisor"], AccessAction.VIEW_FULL,
                                                      confidential.number)
    assert not SECRET.search(log.detail + log.object_ref)
    data = client.get(f"/api/grievances/{open_.pk}/reporter").json()
    assert data == {"anonymous": False, "name": NAME, "phone": PHONE}
    assert AccessLog.objects.filter(object_type="grievance_reporter", action=AccessAction.API_READ).count() == 1
    # Anonymous: nothing to show, even to the supervisor, and nothing is read.
    assert client.get(f"/api/grievances/{anonymous.pk}/reporter").json() == {"anonymous": True, "name": "",
                                                                             "phone": ""}
    assert not SECRET.search(client.get(f"/grievances/{anonymous.pk}/reporter/").content.decode())
    # The supervisor's lists and exports carry no reporter either.
    for url in ("/grievances/", "/grievances/export.csv", "/api/grievances"):
        assert not SECRET.search(client.get(url).content.decode("utf-8-sig")), url
    assert not [r for r in caplog.records if SECRET.search(r.getMessage())]
    assert not GrievanceEvent.objects.filter(note__contains=NAME).exists()


def test_supervisors_below_the_county_or_of_another_county_do_not(client: Client, users, grievances):
    township_supervisor = f.make_user("sup_township", Role.SUPERVISOR, f.TOWNSHIP_A)
    other = f.make_user("sup_other", Role.SUPERVISOR, "320322000000")
    pk = grievances[0].pk
    client.force_login(township_supervisor)
    assert client.get(f"/grievances/{pk}/").status_code == 200       # assigned to its village: visible
    assert client.get(f"/grievances/{pk}/reporter/").status_code == 403
    client.force_login(other)
    assert client.get(f"/grievances/{pk}/reporter/").status_code == 404
    assert not AccessLog.objects.filter(object_type="grievance_reporter").exists()


def test_the_public_progress_page_never_shows_the_reporter(client: Client, users):
    g, code = gf.register(users["county"])
    gf.walk(g, users, State.ARCHIVED)
    body = client.post("/public/grievances/progress/", {"code": code}).content.decode()
    assert g.number in body and not SECRET.search(body)
