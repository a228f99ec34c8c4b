"""The Django admin is for system administrators only: users, divisions, tokens, the access log.
Registry data is edited through the pages and the API, where scope and history apply.

Everything in it reads in Chinese, including the entries of the libraries (django-axes, django-tasks); the
access logs (ours and django-axes's login logs) are audit records: read-only, never deletable, not even by a
superuser."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from sunshine.core.choices import Role
from sunshine.core.models import AccessLog, ApiToken, Division, KeyArea, User


def _superusers_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only
admin.site.site_header = "阳光扶贫 · 系统管理"
admin.site.site_title = "阳光扶贫 · 系统管理"
admin.site.index_title = "系统管理"

# Library apps and models under Chinese names. Only the runtime names change (not Meta.original_attrs, which
# the migration autodetector reads), so no migration of those libraries follows from it.
APP_NAMES = {"axes": "登录防护", "django_tasks_database": "后台任务", "auth": "认证和授权",
             "simple_history": "变更历史"}
MODEL_NAMES = {
    ("axes", "accessattempt"): "登录失败计数(锁定)",
    ("axes", "accesslog"): "登录日志",
    ("axes", "accessfailurelog"): "登录失败日志",
    ("django_tasks_database", "dbtaskresult"): "后台任务记录",
    ("auth", "group"): "用户组",
}


def _chinese_names() -> None:
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for (label, model_name), name in MODEL_NAMES.items():
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        model._meta.verbose_name = name
        model._meta.verbose_name_plural = name


_chinese_names()


class NeverDeleteMixin:
    """Audit records: viewable, never added, changed or deleted through the admin (no delete action either)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


class SunshineUserChangeForm(UserChangeForm):
    # The roles JSON list as a choice of known roles: an unknown one (系统管理员 typed for admin) is refused.
    roles = forms.MultipleChoiceField(label="角色", choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    form = SunshineUserChangeForm
    fieldsets = (*BaseUserAdmin.fieldsets,
                 ("阳光扶贫", {"fields": ("full_name", "division", "roles", "must_change_password")}))
    list_display = ("username", "full_name", "division", "roles_display", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "must_change_password")
    search_fields = ("username", "full_name")
    autocomplete_fields = ("division",)

    @admin.display(description="角色")
    def roles_display(self, obj: User) -> str:
        return "、".join(obj.role_labels()) or "—"


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "is_northern", "is_key_county", "synthetic")
    list_filter = ("level", "is_northern", "is_key_county", "synthetic")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


admin.site.register(KeyArea)


@admin.register(ApiToken)
class ApiTokenAdmin(NeverDeleteMixin, admin.ModelAdmin):
    """Read-only: tokens are issued and revoked with `sunshine token` or on /account/tokens/, which write the
    owner's history; an edit here would not."""

    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("user__username", "name", "prefix")


@admin.register(AccessLog)
class AccessLogAdmin(NeverDeleteMixin, admin.ModelAdmin):
    """Read-only (NeverDeleteMixin: no add, change or delete): the rows are a hash chain (`sunshine audit
    verify`); the audit page /audit/ is where supervisors read them."""

    list_display = ("seq", "at_display", "username", "action_display", "object_type_display",
                    "object_ref_display", "ip_display")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_ref")

    @admin.display(description="时间", ordering="at")
    def at_display(self, obj: AccessLog) -> Any:
        return obj.at

    @admin.display(description="操作", ordering="action")
    def action_display(self, obj: AccessLog) -> str:
        return obj.get_action_display()

    @admin.display(description="对象类型")
    def object_type_display(self, obj: AccessLog) -> str:
        return obj.object_type

    @admin.display(description="对象")
    def object_ref_display(self, obj: AccessLog) -> str:
        return obj.object_ref

    @admin.display(description="来源地址")
    def ip_display(self, obj: AccessLog) -> str:
        return obj.ip_address or ""


def _protect_login_logs() -> None:
    """django-axes's login logs are audit records too: re-registered read-only and never deletable.
    Its lock-out records (AccessAttempt) stay deletable: deleting one is how an administrator unlocks a user."""
    from axes.admin import AccessFailureLogAdmin as AxesFailureLogAdmin
    from axes.admin import AccessLogAdmin as AxesAccessLogAdmin
    from axes.models import AccessFailureLog
    from axes.models import AccessLog as AxesAccessLog

    for model, base in ((AxesAccessLog, AxesAccessLogAdmin), (AccessFailureLog, AxesFailureLogAdmin)):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(f"Protected{base.__name__}", (NeverDeleteMixin, base), {}))


_protect_login_logs()
