"""API tokens: expiry, refusal of expired, revoked and blocked ones, `sunshine token` and the page
/account/tokens/ (issue 12, "Sessions and tokens")."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from sunshine.core.models import ApiToken, User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(raw: str, path: str = "/api/divisions"):
    return Client(headers={"Authorization": f"Bearer {raw}"}).get(path)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def page_client(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def close_to(value: dt.datetime, expected: dt.datetime) -> bool:
    return abs((value - expected).total_seconds()) < 60


# --- expiry and refusal ---


def test_a_new_token_expires_after_ninety_days_by_default(users):
    token, raw = ApiToken.issue(users["clerk"], "脚本")
    assert close_to(token.expires_at, timezone.now() + dt.timedelta(days=90))
    assert token.state == "active" and token.state_label == "有效"
    assert api(raw).status_code == 200


@override_settings(SUNSHINE_TOKEN_DAYS=7)
def test_the_default_validity_follows_the_setting(users):
    token, _ = ApiToken.issue(users["clerk"])
    assert close_to(token.expires_at, timezone.now() + dt.timedelta(days=7))


def test_an_expired_token_is_refused_in_chinese(users):
    token, raw = ApiToken.issue(users["clerk"], days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api(raw)
    assert response.status_code == 401
    assert response.json() == {"detail": "接口令牌已过期,请重新签发"}
    token.refresh_from_db()
    assert token.state_label == "已过期"


def test_a_revoked_token_is_refused_in_chinese(users):
    token, raw = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    response = api(raw)
    assert response.status_code == 401
    assert response.json() == {"detail": "接口令牌已吊销,请使用新的令牌"}


def test_an_old_token_without_expiry_lasts_ninety_days_from_its_making(users):
    young, young_raw = ApiToken.issue(users["clerk"])
    old, old_raw = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=young.pk).update(expires_at=None, created_at=timezone.now() - dt.timedelta(days=89))
    ApiToken.objects.filter(pk=old.pk).update(expires_at=None, created_at=timezone.now() - dt.timedelta(days=91))
    assert api(young_raw).status_code == 200
    response = api(old_raw)
    assert response.status_code == 401 and "过期" in response.json()["detail"]


def test_an_inactive_account_or_a_pending_one_time_password_blocks_the_token(users):
    _, raw = ApiToken.issue(users["clerk"])
    User.objects.filter(pk=users["clerk"].pk).update(must_change_password=True)
    response = api(raw)
    assert response.status_code == 401
    assert response.json()["detail"] == "请先修改初始密码(一次性密码)后再使用系统"
    User.objects.filter(pk=users["clerk"].pk).update(must_change_password=False, is_active=False)
    response = api(raw)
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌所属账号已停用"


def test_an_unknown_token_is_simply_not_logged_in(db):
    assert api("sun_unknown").json() == {"detail": "未登录或接口令牌无效"}


def test_a_refused_token_records_no_use(users):
    token, raw = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    api(raw)
    token.refresh_from_db()
    assert token.last_used_at is None


def test_use_is_recorded(users):
    token, raw = ApiToken.issue(users["clerk"])
    api(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None and close_to(token.last_used_at, timezone.now())


# --- sunshine token ---


def history_reasons(user: User) -> list[tuple[str, str | None]]:
    return [(h.history_change_reason, h.history_user.username if h.history_user else None)
            for h in user.history.order_by("-history_id")]


def test_cli_issues_a_token_printed_alone_with_its_expiry(users):
    out, err = run("clerk_a", "--name", "统计脚本", "--expires-days", "10")
    raw = out.strip()
    assert re.fullmatch(r"sun_[A-Za-z0-9_-]{43}", raw)
    token = ApiToken.objects.get()
    assert token.name == "统计脚本" and close_to(token.expires_at, timezone.now() + dt.timedelta(days=10))
    assert f"令牌编号 {token.pk}" in err and "只显示这一次" in err
    assert api(raw).status_code == 200
    reason, actor = history_reasons(users["clerk"])[0]
    assert reason.startswith(f"签发接口令牌 {token.prefix}…(统计脚本") and actor == "admin"


def test_cli_default_expiry_and_the_old_form_still_work(users):
    out, _ = run("county")
    token = ApiToken.objects.get()
    assert out.strip().startswith("sun_") and token.name == ""
    assert close_to(token.expires_at, timezone.now() + dt.timedelta(days=90))


@pytest.mark.parametrize("days", ["0", "366", "-5"])
def test_cli_refuses_a_validity_out_of_range(users, days):
    with pytest.raises(CommandError, match="有效期应为 1 到 365 天"):
        run("clerk_a", "--expires-days", days)
    assert not ApiToken.objects.exists()


def test_cli_refuses_unknown_and_disabled_users(users):
    with pytest.raises(CommandError, match="用户不存在"):
        run("nobody")
    User.objects.filter(pk=users["clerk"].pk).update(is_active=False)
    with pytest.raises(CommandError, match="账号已停用"):
        run("clerk_a")
    with pytest.raises(CommandError, match="请给出用户名"):
        run()


def test_cli_acting_user_may_only_issue_for_themself_unless_administrator(users):
    with pytest.raises(CommandError, match="只能为自己签发"):
        run("county", "--user", "clerk_a")
    out, _ = run("clerk_a", "--user", "clerk_a")
    assert out.startswith("sun_")
    assert history_reasons(users["clerk"])[0][1] == "clerk_a"


def test_cli_lists_and_revokes(users):
    run("clerk_a", "--name", "甲")
    run("county", "--name", "乙")
    expired, _ = ApiToken.issue(users["county"], "旧")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    out, _ = run("--list")
    lines = out.strip().splitlines()
    assert lines[0] == "编号\t用户\t用途\t前缀\t签发时间\t有效期至\t最近使用\t状态"
    assert len(lines) == 4
    rows = {line.split("\t")[2]: line.split("\t") for line in lines[1:]}
    assert rows["甲"][1] == "clerk_a" and rows["甲"][7] == "有效" and rows["甲"][3].startswith("sun_")
    assert rows["旧"][7] == "已过期"
    only, _ = run("--list", "clerk_a")
    assert len(only.strip().splitlines()) == 2

    token = ApiToken.objects.get(name="甲")
    out, _ = run("--revoke", str(token.pk))
    assert "已吊销令牌" in out
    token.refresh_from_db()
    assert token.revoked and token.state_label == "已吊销"
    assert run("--revoke", str(token.pk))[0].strip() == f"令牌 {token.pk} 此前已吊销"
    assert history_reasons(users["clerk"])[0] == (f"吊销接口令牌 {token.prefix}…(甲)", "admin")
    assert len([r for r in history_reasons(users["clerk"]) if (r[0] or "").startswith("吊销")]) == 1
    with pytest.raises(CommandError, match="令牌不存在"):
        run("--revoke", "999999")


def test_cli_revoke_by_a_non_administrator_only_their_own(users):
    token, _ = ApiToken.issue(users["county"])
    with pytest.raises(CommandError, match="只能吊销自己的"):
        run("--revoke", str(token.pk), "--user", "clerk_a")
    assert not ApiToken.objects.get(pk=token.pk).revoked


# --- the page ---


def test_every_user_reaches_their_tokens_from_the_user_menu(users):
    body = page_client(users["clerk"]).get("/").content.decode()
    assert 'href="/account/tokens/"' in body


def test_page_lists_only_ones_own_tokens(users):
    ApiToken.issue(users["clerk"], "我的脚本")
    ApiToken.issue(users["county"], "县里的脚本")
    body = page_client(users["clerk"]).get("/account/tokens/").content.decode()
    assert "我的脚本" in body and "县里的脚本" not in body
    assert "有效" in body and "共 1 个令牌" in body


def test_page_issues_a_token_shown_once(users):
    client = page_client(users["clerk"])
    response = client.post("/account/tokens/", {"name": "报表脚本", "days": "30"})
    assert response.status_code == 200
    raw = re.search(r'data-testid="raw-token">(sun_[^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.user == users["clerk"] and token.name == "报表脚本"
    assert close_to(token.expires_at, timezone.now() + dt.timedelta(days=30))
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    assert api(raw).status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert "报表脚本" in listing and raw not in listing and token.prefix in listing
    assert history_reasons(users["clerk"])[0][1] == "clerk_a"


def test_page_refuses_more_than_a_year_or_no_purpose(users):
    client = page_client(users["clerk"])
    response = client.post("/account/tokens/", {"name": "长期", "days": "366"})
    assert response.status_code == 200 and "raw-token" not in response.content.decode()
    response = client.post("/account/tokens/", {"name": "", "days": "30"})
    assert "raw-token" not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_page_revokes_ones_own_token_by_post_only(users):
    token, raw = ApiToken.issue(users["clerk"], "x")
    client = page_client(users["clerk"])
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert api(raw).status_code == 401
    assert "已吊销" in client.get("/account/tokens/").content.decode()


def test_page_revoke_needs_the_csrf_token(users):
    token, _ = ApiToken.issue(users["clerk"], "x")
    client = page_client(users["clerk"], enforce_csrf_checks=True)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_page_hides_other_users_tokens(users):
    token, _ = ApiToken.issue(users["county"], "x")
    client = page_client(users["clerk"])
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_administrator_sees_and_revokes_anyones_tokens(users):
    token, _ = ApiToken.issue(users["county"], "县里的脚本")
    ApiToken.issue(users["clerk"], "村里的脚本")
    client = page_client(users["admin"])
    assert "县里的脚本" not in client.get("/account/tokens/").content.decode()  # own tokens first
    everyone = client.get("/account/tokens/?user=*").content.decode()
    assert "县里的脚本" in everyone and "村里的脚本" in everyone
    one = client.get("/account/tokens/?user=county").content.decode()
    assert "县里的脚本" in one and "村里的脚本" not in one
    response = client.post(f"/account/tokens/{token.pk}/revoke/", {"user": "county"})
    assert response["Location"] == "/account/tokens/?user=county"
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert history_reasons(users["county"])[0][1] == "admin"


def test_page_needs_a_login(db):
    response = Client().get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
