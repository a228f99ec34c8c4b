"""Scope: a clerk of village B gets 403/404 from every grievance page and API route about a grievance assigned
to village A (GET and POST), and lists never show it; the same checks tests/test_scope.py makes for every app."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sunshine.config.api import api
from sunshine.grievance.choices import State
from sunshine.grievance.models import Grievance
from sunshine.grievance.tests import factories as gf
from sunshine.grievance.urls import PUBLIC_ROUTES, urlpatterns

pytestmark = pytest.mark.django_db
DENIED = {403, 404}


def test_another_village_gets_nothing(client: Client, users):
    g, _ = gf.register(users["county"])
    gf.walk(g, users, State.INVESTIGATING)
    client.force_login(users["clerk_b"])
    checked = 0
    for p in urlpatterns:
        route = str(p.pattern)
        if route in PUBLIC_ROUTES or "<int:id>" not in route:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)("/" + route.replace("<int:id>", str(g.pk)), {"action": "conclude"})
            assert response.status_code in DENIED, f"{method} {route} -> {response.status_code}"
            checked += 1
    for path, ops in api.get_openapi_schema()["paths"].items():
        if not path.startswith("/api/grievances/{id}"):
            continue
        for method in ops:
            response = client.generic(method.upper(), path.replace("{id}", str(g.pk)),
                                      json.dumps({"action": "conclude"}), content_type="application/json")
            assert response.status_code in DENIED, f"{method} {path} -> {response.status_code}"
            checked += 1
    assert checked >= 8
    for url in ("/grievances/", "/grievances/export.csv", "/grievances/stats/", "/api/grievances", "/"):
        assert g.number not in client.get(url).content.decode("utf-8-sig"), url
    assert Grievance.objects.get(pk=g.pk).state == State.INVESTIGATING
