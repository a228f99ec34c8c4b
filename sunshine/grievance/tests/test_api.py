"""The grievance API: registration by the county office (the query code answered once), list and detail
without reporter fields, actions with 409 for a conflict and 403 for a role that may not act."""

from __future__ import annotations

import pytest
from django.test import Client

from sunshine.grievance.models import Grievance
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict) -> object:
    return client.post(url, body, content_type="application/json")


def test_register_list_detail_and_actions(client: Client, users):
    client.force_login(users["county"])
    body = {"category": "funds", "division": f.VILLAGE_A, "subject": "补贴未发", "content": "反映补贴未发放",
            "reporter_name": gf.REPORTER_NAME, "reporter_phone": gf.REPORTER_PHONE}
    created = post(client, "/api/grievances", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert len(data["query_code"]) == 8 and data["number"].startswith("12317-")
    pk = data["id"]
    items = client.get("/api/grievances").json()["items"]
    assert [i["id"] for i in items] == [pk] and "reporter_name" not in items[0]
    detail = client.get(f"/api/grievances/{pk}").json()
    assert detail["actions"] == ["accept", "reject"] and not {"reporter_name", "reporter_phone"} & set(detail)
    assert post(client, f"/api/grievances/{pk}/actions", {"action": "accept"}).json()["state"] == "accepted"
    conflict = post(client, f"/api/grievances/{pk}/actions", {"action": "accept"})
    assert conflict.status_code == 409 and "不能办理此操作" in conflict.json()["detail"]
    assert post(client, f"/api/grievances/{pk}/actions", {"action": "bogus"}).status_code == 422
    assigned = post(client, f"/api/grievances/{pk}/actions", {"action": "assign", "division": f.VILLAGE_A})
    assert assigned.json()["state"] == "assigned"
    client.force_login(users["clerk"])
    assert post(client, "/api/grievances", body).status_code == 403
    assert post(client, f"/api/grievances/{pk}/actions", {"action": "archive"}).status_code == 403  # role first
    assert post(client, f"/api/grievances/{pk}/actions", {"action": "conclude", "outcome": "untrue",
                                                         "findings": "查无实据"}).status_code == 409
    assert post(client, f"/api/grievances/{pk}/actions", {"action": "investigate"}).json()["state"] == "investigating"
    assert Grievance.objects.get(pk=pk).events.count() == 4
