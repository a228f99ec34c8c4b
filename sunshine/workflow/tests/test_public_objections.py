"""Public objections: rate-limited per address and per case (counted in the database, 429 with a Chinese page),
post/redirect/get, the address stored only as a salted hash, and only an objection that is neither obviously
empty nor repeated holds the case (the others are recorded and shown, marked). The notice page names the
township, county, issuing office and phone, the days left, the confidentiality of the contact, a held case
as 异议处理中, and one 提出异议 button per row."""

from __future__ import annotations

import pytest
from django.test import Client

from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import CaseStatus
from sunshine.workflow.models import Case, Objection
from sunshine.workflow.services.objections import is_obviously_empty
from sunshine.workflow.tests import factories as wf

pytestmark = pytest.mark.django_db
TEXT = "该户家中有小轿车,收入不实"


@pytest.fixture
def case(users):
    hy = f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明", members=2)
    return wf.to_notice(users["clerk"], wf.open_exit(users["clerk"], hy))


def form_url(case: Case) -> str:
    return f"/public/notices/{case.division_id}/cases/{case.pk}/object/"


def send(client: Client, case: Case, content: str = TEXT, address: str = "10.0.0.1", **extra):
    return client.post(form_url(case), {"case": case.pk, "contact": "13700001111", "content": content},
                       REMOTE_ADDR=address, **extra)


def test_post_redirect_get_and_hash_not_address(client: Client, case):
    assert client.get(form_url(case)).status_code == 200
    response = send(client, case)
    assert response.status_code == 302 and response["Location"] == f"/public/notices/{case.division_id}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="thanks"' in page and "保密" in page
    # Reloading the page after the redirect is a GET: nothing is sent again.
    client.get(response["Location"])
    assert Objection.objects.count() == 1
    stored = Objection.objects.get()
    assert stored.client_hash and "10.0.0.1" not in stored.client_hash and len(stored.client_hash) == 64


def test_rate_limit_per_address(client: Client, case, settings):
    settings.SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR = 2
    for i in range(2):
        assert send(client, case, content=f"{TEXT}第{i}条补充说明").status_code == 302
    limited = send(client, case, content="另一件事情需要反映一下")
    assert limited.status_code == 429 and "一小时内最多" in limited.content.decode()
    assert Objection.objects.count() == 2
    assert send(client, case, content="另一件事情需要反映一下", address="10.0.0.2").status_code == 302


def test_rate_limit_per_case(client: Client, case, settings):
    settings.SUNSHINE_OBJECTIONS_PER_CASE_DAY = 2
    for i in range(2):
        assert send(client, case, content=f"{TEXT}第{i}条补充说明", address=f"10.0.1.{i}").status_code == 302
    limited = send(client, case, content="另一件事情需要反映一下", address="10.0.2.1")
    assert limited.status_code == 429 and "今日收到的异议已达" in limited.content.decode()


@pytest.mark.parametrize("text", ["。。。。", "123456789", "啊啊啊啊啊啊", "aaaa", "不行", "!!!???"])
def test_obviously_empty(text):
    assert is_obviously_empty(text)


@pytest.mark.parametrize("text", [TEXT, "他家有车", "虚假脱贫问题"])
def test_not_empty(text):
    assert not is_obviously_empty(text)


def test_empty_or_repeated_objections_are_recorded_but_do_not_hold(client: Client, users, case):
    services.submit_objection(case=case, name="", contact="", content="。。。啊啊啊啊")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    services.submit_objection(case=case, name="", contact="", content=TEXT)
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    services.submit_objection(case=case, name="", contact="", content=" 该户家中有小轿车!收入不实。 ")
    assert [o.holds_case for o in Objection.objects.order_by("pk")] == [False, True, False]
    # The village and the county see all three, the two that did not hold marked as such.
    for role in ("clerk", "county"):
        client.force_login(users[role])
        body = client.get(f"/cases/{case.pk}/").content.decode()
        assert body.count('data-holds="false"') == 2 and body.count('data-holds="true"') == 1
        assert "未暂停案件" in body


def test_notice_page_names_issuer_days_left_and_hold(client: Client, users, case):
    services.submit_objection(case=case, name="", contact="", content=TEXT)
    body = client.get(f"/public/notices/{case.division_id}/").content.decode()
    division = case.division
    assert division.parent.name in body and division.parent.parent.name in body
    assert f"{division.parent.parent.name}扶贫开发领导小组办公室" in body and "12317" in body
    assert "还剩" in body and "保密" in body and "异议处理中" in body
    assert body.count('data-testid="object"') == 1
