"""The public notice site: no login, only cases in their notice period, names masked, never an ID number, a
phone number or a birth date; an objection holds the case."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseStatus, ObjectionStatus
from sunshine.workflow.models import Case, Objection
from sunshine.workflow.tests import factories as wf
from sunshine.workflow.views_common import mask_name

ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
PHONE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
DATE_RE = re.compile(r"(19|20)\d{2}-\d{2}-\d{2}")


def test_mask_name():
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧*明"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "张*"
    assert mask_name("") == ""


@pytest.fixture
def in_notice(users):
    hy = f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明", members=2,
                          phone="13812345678")
    case = wf.open_exit(users["clerk"], hy, reason="户主电话13812345678,身份证" + hy.head_id_number + ",收入稳定")
    return wf.to_notice(users["clerk"], case), hy


def test_village_list_is_public_masked_and_leaks_nothing(client: Client, users, in_notice):
    case, hy = in_notice
    listing = client.get("/public/notices/")
    assert listing.status_code == 200 and "甲一村" in listing.content.decode()
    response = client.get(f"/public/notices/{f.VILLAGE_A}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "王*明" in body and "王小明" not in body
    assert "标注脱贫" in body and "收入稳定" in body
    assert f'href="/public/notices/{f.VILLAGE_A}/cases/{case.pk}/object/"' in body and "提出异议" in body
    assert not ID_RE.search(body) and not PHONE_RE.search(body) and hy.head_id_number not in body
    # Notice dates are shown; no other date (a birth date) is.
    dates = {m.group(0) for m in DATE_RE.finditer(body)}
    assert dates <= {f"{case.notice_start:%Y-%m-%d}", f"{case.notice_end:%Y-%m-%d}"}
    assert 'class="mainnav"' not in body  # the internal site's navigation is not on the public pages


def test_only_cases_in_their_notice_period_are_shown(client: Client, users, in_notice):
    case, _ = in_notice
    other = wf.open_exit(users["clerk"], f.make_household(users["county"], village=f.VILLAGE_A,
                                                          head_name="李四光", members=2))
    body = client.get(f"/public/notices/{f.VILLAGE_A}/").content.decode()
    assert "李*光" not in body and f'data-case="{other.pk}"' not in body
    wf.end_notice(case)
    assert client.get(f"/public/notices/{f.VILLAGE_A}/").status_code == 404
    assert "甲一村" not in client.get("/public/notices/").content.decode()
    assert client.get(f"/public/notices/{f.VILLAGE_B}/").status_code == 404
    response = client.post(f"/public/notices/{f.VILLAGE_A}/object/", {"case": case.pk, "contact": "x",
                                                                      "content": "过期"})
    assert response.status_code == 404 and not Objection.objects.exists()


def test_an_objection_holds_the_case(client: Client, users, in_notice):
    case, _ = in_notice
    url = f"/public/notices/{f.VILLAGE_A}/object/"
    bad = client.post(url, {"case": case.pk, "contact": "", "content": ""})
    assert bad.status_code == 400 and not Objection.objects.exists()
    response = client.post(url, {"case": case.pk, "name": "", "contact": "13700001111",
                                 "content": "该户家中有小轿车,收入不实"}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][1] == 302
    body = response.content.decode()
    assert 'data-testid="thanks"' in body and not PHONE_RE.search(body)
    objection = Objection.objects.get(case=case)
    assert objection.status == ObjectionStatus.OPEN and objection.contact == "13700001111"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ON_HOLD
    # While held, the village step cannot be signed, even after the notice period.
    wf.end_notice(case)
    client.force_login(users["clerk"])
    page = client.post(f"/cases/{case.pk}/advance/", {"step": "village_notice", "decision": "approve"})
    assert page.status_code == 200 and "异议待处理" in page.content.decode()
    assert Case.objects.get(pk=case.pk).step == "village_notice"


def test_an_objection_cannot_target_another_villages_case(client: Client, users, in_notice):
    case, _ = in_notice
    b_case = wf.to_notice(users["clerk_b"],
                          wf.open_exit(users["clerk_b"], f.make_household(users["county"], village=f.VILLAGE_B)))
    response = client.post(f"/public/notices/{f.VILLAGE_A}/object/", {"case": b_case.pk, "contact": "x",
                                                                      "content": "跨村"})
    assert response.status_code == 404 and not Objection.objects.exists()
    assert client.get(f"/public/notices/{f.VILLAGE_A}/object/").status_code == 405
