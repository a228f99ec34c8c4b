"""The Django admin is for system administrators only: users, divisions, tokens, the access log.
Registry data is edited through the pages and the API, where scope and history apply."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from sunshine.core.models import AccessLog, ApiToken, Division, KeyArea, User


def _superusers_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only
admin.site.site_header = "阳光扶贫 · 系统管理"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("阳光扶贫", {"fields": ("full_name", "division", "roles")}))
    list_display = ("username", "full_name", "division", "roles", "is_active")
    autocomplete_fields = ("division",)


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "is_northern", "is_key_county", "synthetic")
    list_filter = ("level", "is_northern", "is_key_county", "synthetic")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


admin.site.register(KeyArea)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "object_type", "object_ref", "ip_address")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
