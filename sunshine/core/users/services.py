"""Creating and changing user accounts. Every change goes through here — commands, pages and the bulk import —
so the same rules hold everywhere: roles are known and fit the division's level, the acting user may manage
the account, passwords follow AUTH_PASSWORD_VALIDATORS, and each change is a history row naming the actor.

Who manages whom:
- an administrator (role admin) manages every account;
- a county manager manages the accounts inside their county whose roles are all village clerk, township
  reviewer or county manager: never an administrator, never a supervisor (discipline inspection must not be
  staffed by those it inspects), never anyone outside the county, and never their own account (their own
  password is changed on the password page);
- nobody else manages accounts.
An account created or reset with a one-time password must change it at the next login."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.core.users.passwords import one_time_password
from sunshine.core.users.rules import role_errors, role_values

# What a county manager may give: the county's own staff.
COUNTY_MANAGED_ROLES = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER})


class UserChangeError(ValueError):
    """A change refused by the rules; ``messages`` are Chinese and say what is allowed."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(";".join(self.messages))


@dataclass(frozen=True)
class Created:
    user: User
    one_time_password: str | None  # None when the password was given (it is then the user's own)


# ---- who may do what ------------------------------------------------------------------------------------


def is_user_manager(actor: User | None) -> bool:
    """Whether the actor may use user administration at all."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if actor.has_role(Role.ADMIN):
        return True
    return bool(actor.has_role(Role.COUNTY_MANAGER) and actor.division_id is not None
                and actor.division.level == DivisionLevel.COUNTY)


def assignable_roles(actor: User) -> list[Role]:
    if actor.has_role(Role.ADMIN):
        return list(Role)
    if is_user_manager(actor):
        return [role for role in Role if role in COUNTY_MANAGED_ROLES]
    return []


def may_assign(actor: User, roles: Sequence[Role], division: Division | None) -> bool:
    if actor.has_role(Role.ADMIN):
        return True
    if not is_user_manager(actor) or division is None:
        return False
    return set(roles) <= COUNTY_MANAGED_ROLES and actor.division.contains(division.code)


def may_manage(actor: User, user: User) -> bool:
    """Whether the actor may change this account (role, division, activity, password reset)."""
    if actor.has_role(Role.ADMIN):
        return True
    if not is_user_manager(actor) or user.pk == actor.pk or user.is_superuser:
        return False
    if user.division_id is None or not actor.division.contains(user.division_id):
        return False
    stored = set(user.roles)
    return stored <= {role.value for role in COUNTY_MANAGED_ROLES}


def _require_manage(actor: User | None, user: User) -> None:
    # The CLI may act without a user only through init (actor None); elsewhere an actor is required.
    if actor is not None and not may_manage(actor, user):
        raise PermissionDenied(_("您不能管理这个账号"))


def _require_assign(actor: User | None, roles: Sequence[Role], division: Division | None) -> None:
    if actor is not None and not may_assign(actor, roles, division):
        raise PermissionDenied(_("您不能授予这个角色或这个区划(县级管理只能在本县内授予村级录入、乡镇审核、县级管理)"))


# ---- checks ---------------------------------------------------------------------------------------------


def division_by_code(code: str) -> Division:
    code = (code or "").strip()
    division = Division.objects.filter(code=code).first() if code.isdigit() and len(code) == 12 else None
    if division is None:
        raise UserChangeError([_("区划代码“%(code)s”不存在,应为系统中已有的12位统计用区划代码") % {"code": code[:40]}])
    return division


def _check_roles(roles: Sequence[Role], division: Division | None) -> None:
    if not roles:
        raise UserChangeError([_("请至少选择一个角色")])
    if division is None:
        raise UserChangeError([_("请选择所属区划")])
    errors = role_errors(role_values(roles), division)
    if errors:
        raise UserChangeError(errors)


def _check_user(user: User, password: str | None) -> None:
    """Model validation (user name format and uniqueness, roles) and the password rules."""
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise UserChangeError([m for messages in exc.message_dict.values() for m in messages]) from exc
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UserChangeError(exc.messages) from exc


def _sync_flags(user: User) -> None:
    """The Django admin (/admin/) is for administrators: staff and superuser follow the admin role."""
    user.is_staff = user.is_superuser = user.has_role(Role.ADMIN)


def _save(user: User, actor: User | None, reason: str) -> None:
    # The history row names the acting user (also from the CLI, where no request is there to tell it).
    user._history_user = actor  # type: ignore[attr-defined]
    user._change_reason = reason  # type: ignore[attr-defined]
    user.save()


# ---- changes --------------------------------------------------------------------------------------------


@transaction.atomic
def create_user(actor: User | None, *, username: str, roles: Sequence[Role], division: Division,
                full_name: str = "", password: str | None = None, reason: str = "") -> Created:
    """A new active account. With ``password`` (typed by the user) it is theirs; without, a one-time password
    is returned, to be changed at the first login."""
    _require_assign(actor, roles, division)
    _check_roles(roles, division)
    user = User(username=(username or "").strip(), full_name=(full_name or "").strip(), division=division,
                roles=role_values(roles), is_active=True)
    _sync_flags(user)
    _check_user(user, password)
    temporary = None
    if password is None:
        temporary = one_time_password(user.username)
        password = temporary
    user.set_password(password)
    user.must_change_password = temporary is not None
    _save(user, actor, reason or _("创建账号"))
    return Created(user, temporary)


@transaction.atomic
def change_role(actor: User | None, user: User, *, roles: Sequence[Role], division: Division,
                full_name: str | None = None) -> User:
    _require_manage(actor, user)
    _require_assign(actor, roles, division)
    _check_roles(roles, division)
    if actor is not None and user.pk == actor.pk and Role.ADMIN not in roles and actor.has_role(Role.ADMIN):
        raise UserChangeError([_("不能取消自己的系统管理员角色:请由另一位管理员操作")])
    user.roles = role_values(roles)
    user.division = division
    if full_name is not None:
        user.full_name = full_name.strip()
    _sync_flags(user)
    _check_user(user, None)
    _save(user, actor, _("修改角色或区划"))
    return user


@transaction.atomic
def set_active(actor: User | None, user: User, active: bool) -> User:
    _require_manage(actor, user)
    if not active and actor is not None and user.pk == actor.pk:
        raise UserChangeError([_("不能停用自己的账号")])
    user.is_active = active
    # A disabled account's open sessions end at their next request: the auth backend refuses inactive users.
    _save(user, actor, _("启用账号") if active else _("停用账号"))
    return user


@transaction.atomic
def reset_password(actor: User | None, user: User) -> str:
    """A new one-time password (returned once, never stored in clear), to be changed at the next login."""
    _require_manage(actor, user)
    password = one_time_password(user.username)
    user.set_password(password)
    user.must_change_password = True
    # Open sessions of the account end too: Django checks the session's password hash on every request.
    _save(user, actor, _("重置密码"))
    return password


@transaction.atomic
def set_password(actor: User | None, user: User, password: str, *, reason: str = "") -> User:
    """A password the user chose (their own, on the password page or typed at the command line)."""
    if actor is not None and actor.pk != user.pk:
        _require_manage(actor, user)
    _check_user(user, password)
    user.set_password(password)
    user.must_change_password = False
    _save(user, actor, reason or _("修改密码"))
    return user


