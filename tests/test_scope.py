"""Every page and every API route, for a village clerk of village A asking about village B's objects:
403 or 404, never the data. And masked roles never receive a full ID number in any response."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from sunshine.assessment.services import run_assessment
from sunshine.comparison.tests import factories as cf
from sunshine.config.api import api
from sunshine.disclosure.urls import PUBLIC_ROUTES as DISCLOSURE_PUBLIC_ROUTES
from sunshine.funds.tests import credit_factories as kf
from sunshine.funds.tests import project_factories as pf
from sunshine.funds.tests import trail_factories as ff
from sunshine.funds.urls_credit import PUBLIC_ROUTES as CREDIT_PUBLIC_ROUTES
from sunshine.funds.urls_projects import PUBLIC_ROUTES as PROJECT_PUBLIC_ROUTES
from sunshine.grievance.urls import PUBLIC_ROUTES as GRIEVANCE_PUBLIC_ROUTES
from sunshine.library.urls import PUBLIC_ROUTES as LIBRARY_PUBLIC_ROUTES
from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as c
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf
from sunshine.workflow.urls import PUBLIC_ROUTES as NOTICE_PUBLIC_ROUTES

DENIED = {403, 404}
PUBLIC_ROUTES = (NOTICE_PUBLIC_ROUTES + PROJECT_PUBLIC_ROUTES + CREDIT_PUBLIC_ROUTES + DISCLOSURE_PUBLIC_ROUTES
                 + LIBRARY_PUBLIC_ROUTES + GRIEVANCE_PUBLIC_ROUTES)
ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9X](?![0-9])")


def page_patterns() -> list[tuple[str, list[str]]]:
    """(route, parameter names) of every page URL, API and admin excluded (tested separately)."""
    out: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                out.append((route, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, "")
    return out


def fill(route: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[-1]
        if name not in values:
            raise AssertionError(f"no test value for URL parameter {name!r} in {route}; add one")
        return values[name]

    return "/" + re.sub(r"<([^>]+)>", sub, route)


@pytest.fixture
def target(users, household_a, household_b):
    from sunshine.registry.models import ImportJob

    member_b = household_b.members.exclude(relation=c.Relation.HEAD).first()
    ids = {
        "household_no": household_b.household.household_no,
        "year": str(household_b.year),
        "member_id": str(member_b.pk),
        "id": str(member_b.pk),
        "code": f.VILLAGE_B,
        "job_id": str(ImportJob.objects.create(user=users["clerk_b"]).pk),  # an import job is its creator's
        "run_id": str(run_assessment(actor=users["county"], kind="households", year=2020,
                                     division_code=f.VILLAGE_B).pk),
    }
    f.advance_sequences(past=max(int(v) for k, v in ids.items() if k in ("id", "job_id", "run_id")))
    cf.at_ids(actor=users["county"], household_year=household_b, run_id=int(ids["run_id"]), id=int(ids["id"]))
    sample_at_id(household_b, int(ids["id"]))
    mf.at_ids(actor=users["county"], household_year=household_b, run_id=int(ids["run_id"]), id=int(ids["id"]))
    wf.at_ids(actor=users["county"], household_year=household_b, id=int(ids["id"]))
    pf.at_ids(actor=users["county"], division=f.VILLAGE_B, id=int(ids["id"]))
    ff.at_ids(actor=users["county"], household_year=household_b, id=int(ids["id"]))
    kf.at_ids(household_year=household_b, id=int(ids["id"]))
    from sunshine.funds.models_transfer import FundsUpload  # a funds file upload is its creator's too

    FundsUpload.objects.create(pk=int(ids["job_id"]), user=users["clerk_b"], kind="funds", file_name="x.csv")
    return ids


def sample_at_id(household_year: Any, id: int) -> None:  # noqa: A002 - the URL parameter's name
    """A sample draw with that id over the household's village, the household drawn (pages take it as <id>)."""
    from sunshine.monitoring.models import SampleDraw, SampleUnit

    village = household_year.household.village_id
    stratum = f"{village[:6]}:{household_year.status}"
    draw = SampleDraw.objects.create(pk=id, kind="adhoc", year=household_year.year, division_id=village, size=1,
                                     seed=1, strata={stratum: {"population": 1, "sample": 1}})
    SampleUnit.objects.create(draw=draw, household=household_year.household, stratum=stratum, weight=1.0)


def test_pages_of_village_b_are_denied_to_clerk_of_village_a(client: Client, users, target, household_b):
    client.force_login(users["clerk"])
    checked = 0
    for route, params in page_patterns():
        if not params or route in PUBLIC_ROUTES:
            continue
        url = fill(route, target)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in DENIED, f"{method.upper()} {url} -> {response.status_code}"
            checked += 1
    assert checked >= 8
    # Lists show nothing of B, whatever is asked for.
    for url in ("/households/", f"/households/?division={f.VILLAGE_B}", f"/households/?q={target['household_no']}",
                f"/households/?q={household_b.head_id_number}", "/", "/comparison/findings/",
                "/monitoring/", "/monitoring/overdue/", "/monitoring/monitored/", "/cases/", "/projects/",
                f"/projects/?division={f.VILLAGE_B}", "/funds/", "/payments/", f"/payments/?division={f.VILLAGE_B}",
                f"/payments/?household_no={target['household_no']}", "/loans/", f"/loans/?division={f.VILLAGE_B}",
                f"/loans/?q={target['household_no']}", "/loans/portfolio/", "/assets/",
                f"/assets/?division={f.VILLAGE_B}", "/dividends/?year=2020",
                f"/dividends/?division={f.VILLAGE_B}&year=2020",
                f"/cases/?division={f.VILLAGE_B}"):
        body = client.get(url, follow=True).content.decode()
        body = body.split('id="results"', 1)[-1]  # the search box echoes what was typed
        assert target["household_no"] not in body and household_b.head_name not in body, url


def test_public_routes_are_open_but_show_only_cases_in_notice_masked(client: Client, users, target, household_a,
                                                                   household_b):
    """The public notice site (PUBLIC_ROUTES) needs no login and has no scope: it shows a village's cases in
    their notice period only, names masked, never an ID number, a phone number or a birth date."""
    public = [route for route, _ in page_patterns() if route in PUBLIC_ROUTES]
    assert sorted(public) == sorted(PUBLIC_ROUTES)
    secrets = set(household_b.members.values_list("person__id_number", flat=True))
    births = {f"{d:%Y-%m-%d}" for d in household_b.members.values_list("person__birth_date", flat=True)}
    body = client.get(fill("public/notices/<str:code>/", target)).content.decode()  # anonymous
    assert "乙*主" in body and "乙户主" not in body
    assert not [m for m in ID_RE.findall(body) if m in secrets] and not [b for b in births if b in body]
    assert household_b.phone not in body and target["household_no"] not in body
    # The dividend list of village B (its asset shares 2020 income): names masked, no ID, phone or 户编号.
    body = client.get(fill("public/dividends/<str:code>/<int:year>/", target)).content.decode()
    assert "乙*主" in body and "乙户主" not in body and target["household_no"] not in body
    assert not [m for m in ID_RE.findall(body) if m in secrets] and household_b.phone not in body
    # Village A has no case in its notice period: nothing to show.
    assert client.get(f"/public/notices/{f.VILLAGE_A}/").status_code == 404
    # A case whose notice period has ended disappears, and takes no objection.
    from sunshine.workflow.models import Case

    Case.objects.filter(pk=int(target["id"])).update(notice_end=dt.date(2000, 1, 1))
    assert client.get(fill("public/notices/<str:code>/", target)).status_code == 404
    response = client.post(fill("public/notices/<str:code>/object/", target),
                           {"case": target["id"], "contact": "x", "content": "过期异议"})
    assert response.status_code == 404


def test_admin_is_for_superusers_only(client: Client, users):
    client.force_login(users["county"])
    response = client.get("/admin/core/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(users["admin"])
    assert client.get("/admin/core/user/").status_code == 200


# Bodies for the API's write routes; a new write route fails the test until it is added here.
API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/households/{household_no}/{year}"): {"phone": "13900000000"},
    ("PATCH", "/api/members/{member_id}"): {"health": "chronic"},
    ("POST", "/api/households/{household_no}/{year}/members"): {
        "name": "越权成员", "id_number": "11010519491231002X", "relation": "child"},
    ("POST", "/api/assessment/runs"): {"kind": "households", "year": 2020, "division_code": "320321102001"},
    ("POST", "/api/comparison/findings/{id}/verify"): {"confirmed": True, "note": "越权核实"},
    ("POST", "/api/comparison/findings/{id}/rectify"): {"note": "越权整改"},
    ("POST", "/api/monitoring/warnings/{id}/verify"): {"confirmed": True, "note": "越权核实"},
    ("POST", "/api/monitoring/warnings/{id}/measures"): {"kind": "temporary_relief", "amount": "2000",
                                                         "date": "2020-06-01", "note": "越权帮扶"},
    ("POST", "/api/monitoring/warnings/{id}/clear"): {"reason": "越权消除", "date": "2020-06-01"},
    ("POST", "/api/grievances/{id}/actions"): {"action": "accept"},
    ("POST", "/api/monitoring/warnings/{id}/hand-over"): {"note": "越权转入"},
    ("POST", "/api/cases/{id}/advance"): {"step": "village_notice", "decision": "approve", "note": "越权办理"},
    ("POST", "/api/cases/objections/{id}/handle"): {"upheld": False, "resolution": "越权处理"},
}


def api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]


def test_api_routes_of_village_b_are_denied_to_clerk_of_village_a(client: Client, users, target):
    client.force_login(users["clerk"])
    checked = 0
    for method, path in api_operations():
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        url = re.sub(r"{(\w+)}", lambda m: target[m.group(1)], path)
        body = API_BODIES.get((method, path))
        if method != "GET":
            assert body is not None, f"add a body for {method} {path} to API_BODIES"
        response = client.generic(method, url, data=None if body is None else __import__("json").dumps(body),
                                  content_type="application/json")
        assert response.status_code in DENIED, f"{method} {url} -> {response.status_code}: {response.content[:200]}"
        checked += 1
    assert checked >= 5


def test_api_lists_never_show_village_b(client: Client, users, target, household_b):
    client.force_login(users["clerk"])
    for url in ("/api/households", f"/api/households?division={f.VILLAGE_B}", "/api/members",
                f"/api/households?q={target['household_no']}", "/api/divisions", "/api/comparison/findings",
                "/api/monitoring/warnings", "/api/monitoring/monitored", "/api/cases",
                f"/api/cases?division={f.VILLAGE_B}", "/api/cases?awaiting=true", "/api/projects",
                f"/api/projects?division={f.VILLAGE_B}", "/api/funds", "/api/funds/payments",
                f"/api/funds/payments?household_no={target['household_no']}", "/api/funds/loans",
                f"/api/funds/loans?division={f.VILLAGE_B}", "/api/funds/assets",
                f"/api/funds/assets?division={f.VILLAGE_B}"):
        response = client.get(url)
        assert response.status_code in {200, *DENIED}, url
        body = response.content.decode()
        assert target["household_no"] not in body and f.VILLAGE_B not in body, url


def all_get_urls(target_a: dict[str, str]) -> list[str]:
    urls = [fill(route, target_a) for route, _ in page_patterns()]
    for method, path in api_operations():
        if method == "GET":
            urls.append(re.sub(r"{(\w+)}", lambda m: target_a[m.group(1)], path))
    return urls + ["/households/?q=甲户主", "/api/members?year=2020", "/api/households?year=2020"]


@pytest.mark.parametrize("role", ["clerk", "township", "analyst"])
def test_masked_roles_never_receive_a_full_id_number(client: Client, users, household_a, role):
    member_a = household_a.members.exclude(relation=c.Relation.HEAD).first()
    from sunshine.registry.models import ImportJob

    job = ImportJob.objects.create(user=users[role], status=ImportJob.Status.DONE)
    target_a = {"household_no": household_a.household.household_no, "year": "2020", "member_id": str(member_a.pk),
                "id": str(member_a.pk), "code": f.VILLAGE_A, "job_id": str(job.pk),
                "run_id": str(run_assessment(actor=users["county"], kind="households", year=2020,
                                             division_code=f.VILLAGE_A).pk)}
    f.advance_sequences(past=max(int(target_a[k]) for k in ("id", "job_id", "run_id")))
    cf.at_ids(actor=users["county"], household_year=household_a, run_id=int(target_a["run_id"]),
              id=int(target_a["id"]))
    sample_at_id(household_a, int(target_a["id"]))
    mf.at_ids(actor=users["county"], household_year=household_a, run_id=int(target_a["run_id"]),
              id=int(target_a["id"]))
    wf.at_ids(actor=users["county"], household_year=household_a, id=int(target_a["id"]))
    pf.at_ids(actor=users["county"], division=f.VILLAGE_A, id=int(target_a["id"]))
    ff.at_ids(actor=users["county"], household_year=household_a, id=int(target_a["id"]))
    kf.at_ids(household_year=household_a, id=int(target_a["id"]))
    full_ids = set(household_a.members.values_list("person__id_number", flat=True))
    births = {f"{d:%Y-%m-%d}" for d in household_a.members.values_list("person__birth_date", flat=True)}
    # A history entry that shows the birth date must mask it too.
    head = household_a.members.get(relation=c.Relation.HEAD)
    from sunshine.registry import services

    services.update_member(actor=users["county"], member=head, name="甲户主新名")
    client.force_login(users[role])
    seen = 0
    for url in all_get_urls(target_a):
        response = client.get(url, follow=True)
        body = response.content.decode(errors="replace")
        leaked = [m for m in ID_RE.findall(body) if m in full_ids]
        assert not leaked, f"{role} got a full ID number from {url}"
        assert not [b for b in births if b in body], f"{role} got a birth date from {url}"
        seen += response.status_code == 200
    assert seen >= 6


def test_full_roles_do_see_full_numbers_and_reads_are_logged(client: Client, users, household_a):
    from sunshine.core.models import AccessLog

    client.force_login(users["county"])
    body = client.get(f"/households/{household_a.household.household_no}/").content.decode()
    assert household_a.head_id_number in body
    assert AccessLog.objects.filter(user=users["county"], object_ref=household_a.household.household_no).exists()
