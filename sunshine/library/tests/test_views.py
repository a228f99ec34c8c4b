"""The public library (no login, rate-limited) and the staff pages (reads for everyone, writes for three roles)."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from sunshine.library.choices import DocumentStatus
from sunshine.library.models import PolicyDocument

from .helpers import doc

pytestmark = pytest.mark.django_db


def test_public_search_shows_marked_snippets_without_login(client: Client):
    d = doc("关于规范扶贫小额信贷的通知", "对象:<建档立卡户>。扶贫小额信贷免担保免抵押。")
    body = client.get(reverse("public_policies"), {"q": "小额 信贷"}).content.decode()
    assert d.title in body and "<mark>小额信贷</mark>" in body and "&lt;建档立卡户&gt;" in body
    assert reverse("public_policy", args=[d.pk]) in body
    empty = client.get(reverse("public_policies"), {"q": "量子计算"}).content.decode()
    assert empty.count('data-testid="no-hits"') == 1


def test_public_list_without_query_shows_the_latest_and_filters(client: Client):
    doc("甲文件", "正文", issuer="某县财政局")
    doc("乙文件", "正文", issuer="江苏省财政厅")
    body = client.get(reverse("public_policies")).content.decode()
    assert "甲文件" in body and "乙文件" in body
    body = client.get(reverse("public_policies"), {"issuer": "省财政厅", "year": "abc"}).content.decode()
    assert "乙文件" in body and "甲文件" not in body
    body = client.get(reverse("public_policies"), {"q": "乙文件", "year": "abc"}).content.decode()
    assert "找到 1 篇" in body and "发布年份" in body


@pytest.mark.parametrize("query", ['"', "NEAR", "*", "'", "扶" * 1000, "(:\\", "%00"])
def test_public_search_never_errors(client: Client, query):
    doc("t", "扶贫")
    assert client.get(reverse("public_policies"), {"q": query}).status_code == 200


def test_public_detail_and_file_download(client: Client):
    from sunshine.library import services

    old = doc("旧办法", "旧的规定。")
    new = services.add_version(actor=None, previous=old, title="新办法",
                               upload=services.Upload("新办法.html", "<p>新的规定</p>".encode()))
    body = client.get(reverse("public_policy", args=[old.pk])).content.decode()
    assert "已修订" in body and reverse("public_policy", args=[new.pk]) in body
    body = client.get(reverse("public_policy", args=[new.pk])).content.decode()
    assert reverse("public_policy", args=[old.pk]) in body and reverse("public_policy_file", args=[new.pk]) in body
    response = client.get(reverse("public_policy_file", args=[new.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == "<p>新的规定</p>".encode()
    assert client.get(reverse("public_policy_file", args=[old.pk])).status_code == 404
    assert client.get(reverse("public_policy", args=[99999])).status_code == 404


@override_settings(SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE=3)
def test_public_search_is_rate_limited_per_address(client: Client):
    for _ in range(3):
        assert client.get(reverse("public_policies"), {"q": "扶贫"}).status_code == 200
    limited = client.get(reverse("public_policies"), {"q": "扶贫"})
    assert limited.status_code == 429 and "检索过于频繁" in limited.content.decode()
    assert client.get(reverse("public_policies")).status_code == 200  # the list without a search is not counted
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(reverse("public_policies"), {"q": "扶贫"}).status_code == 200


def test_staff_pages_need_login(client: Client):
    d = doc("t", "正文")
    for url in (reverse("library_list"), reverse("library_upload"), reverse("library_detail", args=[d.pk])):
        assert client.get(url).status_code == 302


def test_clerk_reads_but_cannot_upload_or_change(client: Client, users):
    d = doc("光伏扶贫管理办法", "光伏扶贫电站收益。")
    client.force_login(users["clerk"])
    body = client.get(reverse("library_list"), {"q": "光伏"}).content.decode()
    assert "<mark>光伏</mark>" in body and reverse("library_upload") not in body
    assert client.get(reverse("library_detail", args=[d.pk])).status_code == 200
    assert client.get(reverse("library_upload")).status_code == 403
    upload = io.BytesIO("正文".encode())
    upload.name = "a.txt"
    assert client.post(reverse("library_upload"), {"title": "x", "level": "county", "file": upload}).status_code == 403
    assert client.post(reverse("library_detail", args=[d.pk]), {"status": "repealed"}).status_code == 403
    assert client.get(reverse("library_version", args=[d.pk])).status_code == 403
    assert PolicyDocument.objects.count() == 1 and PolicyDocument.objects.get().status == DocumentStatus.VALID


def test_county_manager_uploads_changes_status_and_adds_a_version(client: Client, users):
    client.force_login(users["county"])
    upload = io.BytesIO("村级光伏电站收益用于设置公益岗位。".encode())
    upload.name = "光伏.txt"
    response = client.post(reverse("library_upload"), {"title": "光伏收益管理", "level": "county",
                                                       "issued": "2020-05-01", "file": upload})
    d = PolicyDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("library_detail", args=[d.pk])
    assert d.created_by == users["county"] and d.source_format == "txt"
    assert "<mark>公益岗位</mark>" in client.get(reverse("library_list"), {"q": "公益岗位"}).content.decode()
    response = client.post(reverse("library_detail", args=[d.pk]), {"status": "repealed", "reason": "到期"})
    d.refresh_from_db()
    assert response.status_code == 302 and d.status == DocumentStatus.REPEALED
    response = client.post(reverse("library_version", args=[d.pk]), {"title": "光伏收益管理(修订)",
                                                                     "level": "county", "body": "新的全文。"})
    d.refresh_from_db()
    assert response.status_code == 302 and d.status == DocumentStatus.REVISED
    body = client.get(reverse("library_detail", args=[d.pk])).content.decode()
    assert "光伏收益管理(修订)" in body and 'data-testid="new-version"' not in body


def test_upload_errors_are_shown_on_the_form(client: Client, users):
    client.force_login(users["admin"])
    bad = io.BytesIO(b"not a pdf")
    bad.name = "a.pdf"
    response = client.post(reverse("library_upload"), {"title": "t", "level": "county", "file": bad})
    assert response.status_code == 400 and "文件内容与文件类型不符" in response.content.decode()
    response = client.post(reverse("library_upload"), {"title": "t", "level": "county"})
    assert response.status_code == 400 and "正文不能为空" in response.content.decode()
    assert not PolicyDocument.objects.exists()


def test_an_id_number_pasted_into_a_document_is_masked_on_public_pages(client: Client):
    number = "320102198001011234"
    d = doc("光伏扶贫电站管理办法", f"联系人身份证 {number}。光伏扶贫电站收益分配。")
    for body in (client.get(reverse("public_policy", args=[d.pk])).content.decode(),
                 client.get(reverse("public_policies"), {"q": "身份证"}).content.decode()):
        assert number not in body and number[:6] in body
