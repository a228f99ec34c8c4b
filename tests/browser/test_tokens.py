"""Real Chromium: a user issues an API token on /account/tokens/, sees it once, finds it listed, revokes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.core.models import ApiToken

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_list_and_revoke_a_token(page: Page, live_server, users):
    login(page, live_server, "clerk_a")
    page.get_by_role("link", name="接口令牌").click()
    expect(page).to_have_url(f"{live_server.url}/account/tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("接口令牌")
    expect(page.get_by_test_id("result-count")).to_have_text("共 0 个令牌")

    page.get_by_label("用途").fill("村里的统计脚本")
    expect(page.get_by_label("有效期(天)")).to_have_value("90")
    page.get_by_label("有效期(天)").fill("30")
    page.get_by_role("button", name="签发令牌").click()

    raw = page.get_by_test_id("raw-token").inner_text()
    assert re.fullmatch(r"sun_[A-Za-z0-9_-]{43}", raw)
    expect(page.get_by_text("令牌只显示这一次", exact=False)).to_be_visible()
    token = ApiToken.objects.get()
    assert token.user == users["clerk"] and token.name == "村里的统计脚本"

    page.get_by_role("link", name="返回接口令牌").click()
    rows = page.get_by_test_id("token-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("村里的统计脚本")
    expect(rows.first).to_contain_text(token.prefix)
    expect(rows.first.get_by_test_id("token-state")).to_have_text("有效")
    assert raw not in page.content()  # never shown again

    rows.first.get_by_test_id("revoke").click()
    expect(page.get_by_text(f"已吊销令牌 {token.prefix}…")).to_be_visible()
    expect(page.get_by_test_id("token-row").first.get_by_test_id("token-state")).to_have_text("已吊销")
    expect(page.get_by_test_id("revoke")).to_have_count(0)
    token.refresh_from_db()
    assert token.revoked
