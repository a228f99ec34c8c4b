"""`sunshine init --admin` and `sunshine users …` (issue 12: users and roles from the command line)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.testing import factories as f

GOOD = "Xiang-Zhen-2020"


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    call_command(*args, stdin=io.StringIO(stdin), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_init_admin_creates_the_first_administrator_and_is_idempotent():
    run("init", "--admin", "boss", "--password-stdin", "--name", "王管理", stdin=GOOD + "\n")
    boss = User.objects.get(username="boss")
    assert boss.roles == ["admin"] and boss.division_id == "320000000000"
    assert boss.is_staff and boss.is_superuser and boss.is_active and not boss.must_change_password
    assert boss.full_name == "王管理" and boss.check_password(GOOD)
    assert boss.history.count() == 1
    # Again: nothing changes, no password is read.
    assert "已存在" in run("init", "--admin", "boss")
    assert User.objects.count() == 1
    # The import's acting user is found now (it said "系统中还没有管理员账号" on a fresh install).
    from sunshine.registry.management.commands._common import acting_user

    assert acting_user(None) == boss


@pytest.mark.django_db
def test_init_admin_refuses_a_weak_password_or_a_missing_one():
    with pytest.raises(CommandError, match="密码不符合要求"):
        run("init", "--admin", "boss", "--password-stdin", stdin="township123\n")
    with pytest.raises(CommandError, match="不是交互式终端"):
        run("init", "--admin", "boss")
    assert not User.objects.filter(username="boss").exists()


def test_users_add_with_a_one_time_password(users):
    out = run("users", "add", "clerk_new", "--role", "village_clerk", "--division", f.VILLAGE_A2, "--name", "李四")
    user = User.objects.get(username="clerk_new")
    password = out.split("一次性密码(只显示这一次,首次登录时须修改):")[1].strip()
    assert user.check_password(password) and user.must_change_password
    assert user.roles == ["village_clerk"] and user.division_id == f.VILLAGE_A2 and user.full_name == "李四"
    # The acting user is the first administrator, named in the history.
    assert user.history.get().history_user == users["admin"]


def test_users_add_with_the_users_own_password_and_a_chinese_role(users):
    run("users", "add", "reviewer2", "--role", "乡镇审核", "--division", f.TOWNSHIP_B, "--password-stdin",
        stdin=GOOD + "\n")
    user = User.objects.get(username="reviewer2")
    assert user.roles == ["township_reviewer"] and user.check_password(GOOD) and not user.must_change_password


def test_users_add_refuses_unknown_role_wrong_level_and_weak_password(users):
    with pytest.raises(CommandError, match="未知的角色“系统管理”.*village_clerk.*admin"):
        run("users", "add", "x1", "--role", "系统管理", "--division", f.VILLAGE_A)
    with pytest.raises(CommandError, match="村级录入.*应属于村级区划"):
        run("users", "add", "x2", "--role", "village_clerk", "--division", f.TOWNSHIP_A)
    with pytest.raises(CommandError, match="区划代码“999”不存在"):
        run("users", "add", "x3", "--role", "village_clerk", "--division", "999")
    with pytest.raises(CommandError, match="密码"):
        run("users", "add", "x4", "--role", "village_clerk", "--division", f.VILLAGE_A, "--password-stdin",
            stdin="township123\n")
    with pytest.raises(CommandError, match="已存在"):
        run("users", "add", "clerk_a", "--role", "village_clerk", "--division", f.VILLAGE_A)
    assert not User.objects.filter(username__startswith="x").exists()


def test_users_list_disable_enable_set_role_reset(users):
    listing = run("users", "list", "--division", f.TOWNSHIP_A)
    assert "clerk_a" in listing and "township_a" in listing and "clerk_b" not in listing
    run("users", "disable", "clerk_a")
    assert not User.objects.get(username="clerk_a").is_active
    assert "已停用" in run("users", "list", "--division", f.VILLAGE_A)
    run("users", "enable", "clerk_a")
    assert User.objects.get(username="clerk_a").is_active
    run("users", "set-role", "clerk_a", "--role", "township_reviewer", "--division", f.TOWNSHIP_B)
    user = User.objects.get(username="clerk_a")
    assert user.roles == ["township_reviewer"] and user.division_id == f.TOWNSHIP_B
    out = run("users", "reset-password", "clerk_a")
    password = out.rsplit(":", 1)[1].strip()
    user.refresh_from_db()
    assert user.check_password(password) and user.must_change_password
    reasons = list(user.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert [r for r, _ in reasons][-4:] == ["停用账号", "启用账号", "修改角色或区划", "重置密码"]
    assert {u for _, u in reasons[-4:]} == {users["admin"].pk}


def test_set_role_gives_a_createsuperuser_account_its_role(region):
    """A superuser made by createsuperuser has no role: set-role works although no administrator exists yet."""
    User.objects.create_superuser("root", password=GOOD)
    run("users", "set-role", "root", "--role", "admin", "--division", "320000000000")
    root = User.objects.get(username="root")
    assert root.has_role(Role.ADMIN) and root.division_id == "320000000000"


def test_county_manager_as_acting_user_is_limited_to_the_county(users):
    run("users", "add", "clerk_c", "--role", "village_clerk", "--division", f.VILLAGE_B, "--user", "county")
    assert User.objects.get(username="clerk_c").history.get().history_user == users["county"]
    with pytest.raises(CommandError, match="不能授予"):
        run("users", "--user", "county", "add", "boss2", "--role", "admin", "--division", "320000000000")
    with pytest.raises(CommandError, match="不能授予"):
        run("users", "--user", "county", "add", "far", "--role", "county_manager", "--division", "320322000000")
    with pytest.raises(CommandError, match="不能管理"):
        run("users", "--user", "county", "disable", "supervisor")
    with pytest.raises(CommandError, match="不能管理"):
        run("users", "--user", "county", "reset-password", "admin")
