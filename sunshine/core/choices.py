"""Choice sets of the core app. Labels are the Chinese terms users see (msgids are Chinese: zh-hans
is the source language; other languages translate from it)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县(区)")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("村")


# Digits of the 12-digit code that identify a division at each level.
LEVEL_PREFIX_LENGTH = {
    DivisionLevel.PROVINCE: 2,
    DivisionLevel.CITY: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWNSHIP: 9,
    DivisionLevel.VILLAGE: 12,
}
LEVEL_ORDER = list(LEVEL_PREFIX_LENGTH)


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("村级录入")
    TOWNSHIP_REVIEWER = "township_reviewer", _("乡镇审核")
    COUNTY_MANAGER = "county_manager", _("县级管理")
    SUPERVISOR = "supervisor", _("监督")
    PROVINCIAL_ANALYST = "provincial_analyst", _("省级分析")
    ADMIN = "admin", _("系统管理员")
    # An assistance cadre's own account (帮扶干部, services.md §5): their paired households and visits.
    CADRE = "cadre", _("帮扶干部")


# What each role may do. Kept as data so that one table answers every permission question.
ROLES_THAT_EDIT_REGISTRY = frozenset(
    {Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER, Role.ADMIN}
)
# Discipline inspection and county offices work on named cases; the others see masked numbers.
ROLES_THAT_SEE_FULL_PERSONAL_DATA = frozenset({Role.COUNTY_MANAGER, Role.SUPERVISOR, Role.ADMIN})


class AccessAction(models.TextChoices):
    VIEW_FULL = "view_full", _("查看完整记录")
    EXPORT = "export", _("导出")
    API_READ = "api_read", _("接口读取完整记录")
    IMPORT = "import", _("导入")
    # Sign-ins and sign-outs through the login page (安全审计: 登录成功、失败和退出).
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
