"""/admin/: roles are a validated choice list, entries read in Chinese, access logs are never deletable (issue 12)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog, User
from sunshine.testing import factories as f

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def admin_client(client: Client, users) -> Client:
    client.force_login(users["admin"], backend=MODEL_BACKEND)
    return client


def _change_data(user: User, roles: list[str]) -> dict[str, object]:
    return {"username": user.username, "full_name": user.full_name, "division": user.division_id, "roles": roles,
            "is_active": "on", "date_joined_0": "2020-01-01", "date_joined_1": "00:00:00",
            "first_name": "", "last_name": "", "email": ""}


def test_roles_are_a_choice_list_in_the_admin(admin_client: Client, users):
    clerk = users["clerk"]
    page = admin_client.get(f"/admin/core/user/{clerk.pk}/change/").content.decode()
    assert 'type="checkbox" name="roles" value="village_clerk"' in page and "系统管理员" in page
    # The label instead of the slug (what an operator typed into the JSON box) is refused, not saved.
    response = admin_client.post(f"/admin/core/user/{clerk.pk}/change/", _change_data(clerk, ["系统管理员"]))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.roles == ["village_clerk"]
    response = admin_client.post(f"/admin/core/user/{clerk.pk}/change/",
                                 _change_data(clerk, ["village_clerk"]) | {"full_name": "甲一"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "甲一"
    assert clerk.history.first().history_user == users["admin"]


def test_model_validation_refuses_unknown_roles_and_wrong_levels(users):
    clerk = users["clerk"]
    clerk.roles = ["系统管理员"]
    with pytest.raises(ValidationError, match="未知的角色"):
        clerk.full_clean(exclude=["password"])
    clerk.roles = "admin"
    with pytest.raises(ValidationError, match="列表"):
        clerk.full_clean(exclude=["password"])
    clerk.roles = ["county_manager"]  # at a village
    with pytest.raises(ValidationError, match="应属于县"):
        clerk.full_clean(exclude=["password"])
    clerk.roles = ["village_clerk"]
    clerk.full_clean(exclude=["password"])


def test_access_log_rows_are_never_deletable(admin_client: Client, users):
    row = AccessLog.objects.create(user=users["county"], action=AccessAction.VIEW_FULL, object_type="household",
                                   object_ref="1")
    listing = admin_client.get("/admin/core/accesslog/").content.decode()
    assert "delete_selected" not in listing
    # The bulk action and the delete page are refused; the row stays.
    admin_client.post("/admin/core/accesslog/", {"action": "delete_selected", "_selected_action": [row.pk],
                                                 "post": "yes"})
    assert admin_client.get(f"/admin/core/accesslog/{row.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/core/accesslog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    change = admin_client.post(f"/admin/core/accesslog/{row.pk}/change/", {"object_ref": "2"})
    assert change.status_code == 403
    row.refresh_from_db()
    assert row.object_ref == "1"
    from django.contrib import admin

    model_admin = admin.site._registry[AccessLog]
    request = admin_client.get("/admin/").wsgi_request
    assert not model_admin.has_delete_permission(request, row)
    assert not model_admin.has_change_permission(request, row)


def test_api_tokens_are_read_only_in_the_admin(admin_client: Client, users):
    """Tokens are issued and revoked where the owner's history is written (command, /account/tokens/), not here."""
    from sunshine.core.models import ApiToken

    token, _raw = ApiToken.issue(users["clerk"], name="对账脚本")
    listing = admin_client.get("/admin/core/apitoken/").content.decode()
    assert "对账脚本" in listing and "delete_selected" not in listing
    change = admin_client.post(f"/admin/core/apitoken/{token.pk}/change/", {"revoked": "on", "name": "x"})
    assert change.status_code == 403
    assert admin_client.get("/admin/core/apitoken/add/").status_code == 403
    token.refresh_from_db()
    assert not token.revoked and token.name == "对账脚本"


def test_login_logs_of_axes_are_not_deletable_but_lockouts_are(admin_client: Client, users):
    from axes.models import AccessAttempt, AccessFailureLog
    from axes.models import AccessLog as LoginLog
    from django.contrib import admin

    request = admin_client.get("/admin/").wsgi_request
    assert not admin.site._registry[LoginLog].has_delete_permission(request)
    assert not admin.site._registry[AccessFailureLog].has_delete_permission(request)
    assert admin.site._registry[AccessAttempt].has_delete_permission(request)  # how a user is unlocked


def test_admin_index_is_in_chinese(admin_client: Client):
    page = admin_client.get("/admin/").content.decode()
    for english in ("Access attempts", "Task Results", "Access logs", "Access failures", "Tasks Database Backend",
                    "Axes"):
        assert english not in page, english
    for chinese in ("登录防护", "登录日志", "后台任务记录", "访问日志", "用户"):
        assert chinese in page, chinese


def test_admin_user_history_names_the_actor(admin_client: Client, users):
    page = admin_client.get(f"/admin/core/user/{users['clerk'].pk}/history/")
    assert page.status_code == 200


def test_factories_make_users_that_pass_model_validation(users):
    for user in users.values():
        user.full_clean(exclude=["password"])
    assert f.PASSWORD
