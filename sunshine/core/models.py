"""Administrative divisions, users with their division scope and roles, API tokens and the access log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sunshine.core.choices import (
    LEVEL_PREFIX_LENGTH,
    ROLES_THAT_EDIT_REGISTRY,
    ROLES_THAT_SEE_FULL_PERSONAL_DATA,
    AccessAction,
    DivisionLevel,
    Role,
)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class KeyArea(models.Model):
    """One of the six key areas (重点片区) of seed §二(一)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    counties = models.ManyToManyField(
        "Division", related_name="key_areas", blank=True, verbose_name=_("涉及县(区)")
    )

    class Meta:
        verbose_name = _("重点片区")
        verbose_name_plural = _("重点片区")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Division(models.Model):
    """An administrative division; the 12-digit statistical code is the key."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("层级"), max_length=10, choices=DivisionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级"),
    )
    is_northern = models.BooleanField(_("苏北地区"), default=False)
    is_key_county = models.BooleanField(_("重点帮扶县(区)"), default=False)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def prefix(self) -> str:
        """The digits every division inside this one starts with."""
        return self.code[: LEVEL_PREFIX_LENGTH[DivisionLevel(self.level)]]

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)

    def ancestors(self) -> list[Division]:
        chain: list[Division] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class UserHistory(HistoricalRecords):
    """History of user accounts, without the row Django's login writes (``save(update_fields=["last_login"])``):
    a login is not a change of the account, and one row per login would bury the real changes."""

    def post_save(self, instance: models.Model, created: bool, using: str | None = None, **kwargs: object) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= {"last_login"}:  # type: ignore[call-overload]
            return
        super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("所属区划"),
    )
    # Role slugs (Role values); validated by clean() and by sunshine.core.users.services, edited as a choice list.
    roles = models.JSONField(_("角色"), default=list, blank=True)
    full_name = models.CharField(_("姓名"), max_length=40, blank=True)
    # Set with a one-time password (new account, reset): every page sends the user to change it first.
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # Password hashes stay out of the history table; a password change shows as a row with its reason.
    history = UserHistory(excluded_fields=["password", "last_login"], verbose_name=_("用户变更历史"),
                          verbose_name_plural=_("用户变更历史"))

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def clean(self) -> None:
        super().clean()
        from sunshine.core.users.rules import role_errors

        errors = role_errors(self.roles, self.division)
        if errors:
            raise ValidationError({"roles": errors})

    @property
    def role_set(self) -> frozenset[Role]:
        known = set(Role.values)
        return frozenset(Role(r) for r in self.roles if r in known)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def can_edit_registry(self) -> bool:
        return bool(self.role_set & ROLES_THAT_EDIT_REGISTRY)

    @property
    def can_see_full_personal_data(self) -> bool:
        return bool(self.role_set & ROLES_THAT_SEE_FULL_PERSONAL_DATA)

    @property
    def scope_prefix(self) -> str | None:
        """Digits a division code must start with to be visible; None means nothing is visible."""
        if self.division_id is None:
            return None
        return self.division.prefix

    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles if r in Role.values]


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=60, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # None only for tokens issued before expiry existed; new tokens always expire (default 90 days).
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        raw = "sun_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:8])
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        token = (
            cls.objects.select_related("user", "user__division")
            .filter(key_hash=_hash_token(raw), revoked=False, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
            # Written at most every five minutes: a busy client must not turn reads into writes. Never waits
            # for SQLite's write lock (an import may hold it): skipped then, and written on a later request.
            from sunshine.core.busy import try_write

            try_write(lambda: cls.objects.filter(pk=token.pk).update(last_used_at=now))
        return token.user


class AccessLog(models.Model):
    """Who read a full (unmasked) record or exported data, and when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(max_length=40)
    object_ref = models.CharField(max_length=80)
    detail = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("访问日志")
        verbose_name_plural = _("访问日志")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} {self.object_ref}"
