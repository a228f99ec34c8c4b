"""The monitoring API: scoped warnings with counts, masking by role, the four steps with their errors, and the
monitored households."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sunshine.core.ids import FULL_ID_PATTERN
from sunshine.core.models import AccessLog, ApiToken
from sunshine.monitoring.choices import EscalationLevel, WarningStatus
from sunshine.monitoring.models import EarlyWarning, WarningEvent
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


@pytest.fixture
def warnings(users, household_a, household_b):
    run = mf.make_run(actor=users["county"])
    edge = mf.make_monitored(division=f.VILLAGE_A, head_name="边缘甲")
    return {
        "a": mf.make_warning(run=run, household_year=household_a, codes=["M-UNSTABLE", "M-SUDDEN"], score=80,
                             contributions={"income_below_line": 50, "new_illness": 30}),
        "edge": mf.make_warning(run=run, monitored=edge, deadline=dt.date.today() - dt.timedelta(days=3),
                                escalation=EscalationLevel.TOWNSHIP),
        "b": mf.make_warning(run=run, household_year=household_b),
    }


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_list_is_scoped_masked_counted_and_filtered(client, users, warnings):
    client.force_login(users["clerk"])
    data = client.get("/api/monitoring/warnings").json()
    assert data["count"] == 2 and {i["id"] for i in data["items"]} == {warnings["a"].pk, warnings["edge"].pk}
    assert not FULL_ID_PATTERN.search(json.dumps(data, ensure_ascii=False))
    assert {c["code"]: c["count"] for c in data["by_code"]} == {"M-UNSTABLE": 1, "M-EDGE": 1, "M-SUDDEN": 1,
                                                                 "M-SLIP": 0}
    assert {c["status"]: c["count"] for c in data["by_status"]}["pending"] == 2
    edge = next(i for i in data["items"] if i["subject"] == "monitored")
    number = warnings["edge"].monitored.head_id_number
    assert edge["id_number"] == number[:6] + "********" + number[14:] and edge["escalation_label"] == "乡镇"
    assert edge["overdue"] is True and edge["days_over"] == 3
    registered = next(i for i in data["items"] if i["subject"] == "registered")
    assert registered["name"] == "甲户主" and registered["code_labels"] == ["脱贫不稳定户", "突发严重困难户"]
    assert [i["id"] for i in client.get("/api/monitoring/warnings?overdue=true").json()["items"]] == [
        warnings["edge"].pk]
    assert [i["id"] for i in client.get("/api/monitoring/warnings?code=M-SUDDEN").json()["items"]] == [
        warnings["a"].pk]
    assert client.get("/api/monitoring/warnings?score_min=70").json()["count"] == 1
    assert client.get(f"/api/monitoring/warnings?division={f.VILLAGE_B}").json()["count"] == 0
    assert client.get("/api/monitoring/warnings?code=NOPE").status_code == 422
    client.force_login(users["county"])
    items = client.get("/api/monitoring/warnings?escalation=township").json()["items"]
    assert [i["id_number"] for i in items] == [number]
    assert AccessLog.objects.filter(user=users["county"], action="api_read", object_type="warning_list").exists()


def test_detail_has_score_parts_and_next_steps(client, users, warnings):
    client.force_login(users["township"])
    data = client.get(f"/api/monitoring/warnings/{warnings['a'].pk}").json()
    assert data["contributions"] == [{"signal": "income_below_line", "label": "收入低于监测线", "points": 50},
                                     {"signal": "new_illness", "label": "新增大病或重度残疾", "points": 30}]
    assert data["next_steps"] == ["verify"] and data["events"][0]["action"] == "raised"
    client.force_login(users["supervisor"])
    data = client.get(f"/api/monitoring/warnings/{warnings['edge'].pk}").json()
    assert data["next_steps"] == [] and data["id_number"] == warnings["edge"].monitored.head_id_number
    assert AccessLog.objects.filter(user=users["supervisor"], object_type="warning").exists()


def test_the_four_steps(client, users, warnings):
    a = warnings["a"]
    url = f"/api/monitoring/warnings/{a.pk}"
    client.force_login(users["clerk"])
    response = post(client, url + "/verify", {"confirmed": True, "note": "入户核实属实"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed" and response.json()["next_steps"] == ["measure", "hand_over"]
    response = post(client, url + "/measures", {"kind": "temporary_relief", "amount": "2000", "date": YESTERDAY,
                                                "note": "临时救助金"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "assisting" and data["next_steps"] == ["measure", "clear", "hand_over"]
    assert [(m["kind"], m["kind_label"], m["amount"], m["date"]) for m in data["measures"]] == [
        ("temporary_relief", "临时救助", "2000.00", YESTERDAY)]
    response = post(client, url + "/clear", {"reason": "收入恢复", "date": YESTERDAY})
    assert response.status_code == 200 and response.json()["status"] == "cleared"
    assert response.json()["resolution_note"] == "收入恢复" and response.json()["resolved_on"] == YESTERDAY
    assert list(WarningEvent.objects.filter(warning=a).values_list("action", flat=True).order_by("id")) == [
        "raised", "verify", "measure", "clear"]
    edge = warnings["edge"]
    client.force_login(users["township"])
    post(client, f"/api/monitoring/warnings/{edge.pk}/verify", {"confirmed": True, "note": "属实"})
    response = post(client, f"/api/monitoring/warnings/{edge.pk}/hand-over", {"note": "申请纳入"})
    assert response.status_code == 200 and response.json()["status"] == "handed_over"


def test_errors_are_chinese_and_change_nothing(client, users, warnings):
    a = warnings["a"]
    client.force_login(users["clerk"])
    url = f"/api/monitoring/warnings/{a.pk}"
    response = post(client, url + "/clear", {"reason": "抢先", "date": YESTERDAY})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "status", "message": "只有“帮扶中”的预警可以消除风险,该预警当前为“待核实”"}]
    response = post(client, url + "/verify", {"confirmed": True, "note": "  "})
    assert response.status_code == 422 and response.json()["detail"][0]["message"] == "请填写核实情况说明"
    assert post(client, url + "/verify", {"note": "缺结论"}).status_code == 422
    assert post(client, url + "/measures", {"kind": "cash", "date": YESTERDAY}).status_code == 422
    assert post(client, url + "/measures", {"kind": "dibao", "amount": -5, "date": YESTERDAY}).status_code == 422
    assert EarlyWarning.objects.get(pk=a.pk).status == WarningStatus.PENDING and not a.measures.exists()


def test_scope_and_read_only_roles(client, users, warnings):
    b = warnings["b"]
    client.force_login(users["clerk"])
    assert client.get(f"/api/monitoring/warnings/{b.pk}").status_code == 404
    for path, body in (("verify", {"confirmed": True, "note": "越权"}), ("hand-over", {"note": "越权"}),
                       ("clear", {"reason": "越权", "date": YESTERDAY}),
                       ("measures", {"kind": "dibao", "date": YESTERDAY})):
        assert post(client, f"/api/monitoring/warnings/{b.pk}/{path}", body).status_code == 404, path
    for who in ("supervisor", "analyst"):
        client.force_login(users[who])
        response = post(client, f"/api/monitoring/warnings/{warnings['a'].pk}/verify",
                        {"confirmed": False, "note": "越权"})
        assert response.status_code == 403 and "只能查看" in response.json()["detail"]
    assert EarlyWarning.objects.filter(status=WarningStatus.PENDING).count() == 3


def test_bearer_token_works_without_csrf(client, users, warnings):
    _, raw = ApiToken.issue(users["county"], "脚本")
    response = post(client, f"/api/monitoring/warnings/{warnings['b'].pk}/verify",
                    {"confirmed": False, "note": "数据有误"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_monitored_households(client, users, warnings):
    edge = warnings["edge"].monitored
    other = mf.make_monitored(division=f.VILLAGE_B)
    client.force_login(users["clerk"])
    data = client.get("/api/monitoring/monitored").json()
    assert [i["id"] for i in data["items"]] == [edge.pk] and data["items"][0]["open_warnings"] == 1
    assert data["items"][0]["head_id_number"] != edge.head_id_number and data["items"][0]["phone"] != edge.phone
    assert client.get(f"/api/monitoring/monitored/{other.pk}").status_code == 404
    assert client.get(f"/api/monitoring/monitored/{edge.pk}").json()["head_name"] == "边缘甲"
    client.force_login(users["county"])
    assert client.get("/api/monitoring/monitored").json()["count"] == 2
    assert client.get(f"/api/monitoring/monitored/{other.pk}").json()["head_id_number"] == other.head_id_number
