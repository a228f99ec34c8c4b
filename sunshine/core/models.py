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
        """Province first, the parent last. One query for the whole chain (every page's breadcrumbs): the
        ancestors' codes follow from this code; a parent outside that pattern is fetched on its own."""
        if self.parent_id is None:
            return []
        codes = {self.code[:n].ljust(12, "0") for n in LEVEL_PREFIX_LENGTH.values()} - {self.code}
        known = {d.code: d for d in Division.objects.filter(code__in=codes)}
        chain: list[Division] = []
        code: str | None = self.parent_id
        while code is not None and len(chain) < len(LEVEL_PREFIX_LENGTH):
            node = known.get(code) or Division.objects.get(code=code)
            chain.append(node)
            code = node.parent_id
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
    """A bearer token for the JSON API; only its hash is stored, the raw token is shown once when issued.

    A token works until it is revoked or expires. Every token issued now carries ``expires_at`` (default
    ``SUNSHINE_TOKEN_DAYS``, 90 days); tokens issued before expiry existed have none and count as expiring
    ``LEGACY_DAYS`` after they were made, so no token lives forever."""

    LEGACY_DAYS = 90
    MAX_DAYS = 365  # the longest validity anyone may ask for (page and command)

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
    def issue(cls, user: User, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
        """A new token valid for ``days`` (default SUNSHINE_TOKEN_DAYS); returns it and its raw value."""
        days = settings.SUNSHINE_TOKEN_DAYS if days is None else days
        raw = "sun_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:8],
                                   expires_at=timezone.now() + dt.timedelta(days=days))
        return token, raw

    @property
    def valid_until(self) -> dt.datetime:
        """When the token stops working: its expiry, or LEGACY_DAYS after it was made for an old token."""
        if self.expires_at is not None:
            return self.expires_at
        return self.created_at + dt.timedelta(days=self.LEGACY_DAYS)

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.valid_until

    @property
    def state(self) -> str:
        """active, expired or revoked (see STATE_LABELS)."""
        if self.revoked:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    @property
    def state_label(self) -> str:
        return str(TOKEN_STATE_LABELS[self.state])

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        """The token with this raw value, whatever its state (None when unknown)."""
        return cls.objects.select_related("user", "user__division").filter(key_hash=_hash_token(raw)).first()

    def touch(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > dt.timedelta(minutes=5):
            # Written at most every five minutes: a busy client must not turn reads into writes. Never waits
            # for SQLite's write lock (an import may hold it): skipped then, and written on a later request.
            from sunshine.core.busy import try_write

            try_write(lambda: ApiToken.objects.filter(pk=self.pk).update(last_used_at=now))

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        """The token's user when the token may be used now (not revoked, not expired, active user)."""
        token = cls.lookup(raw)
        if token is None or token.revoked or token.is_expired() or not token.user.is_active:
            return None
        token.touch()
        return token.user


TOKEN_STATE_LABELS = {"active": _("有效"), "expired": _("已过期"), "revoked": _("已吊销")}


class AccessLog(models.Model):
    """Who read a full (unmasked) record or exported data, and when.

    Append-only and chained by hash (sunshine.core.auditlog.chain): each row carries its place in the chain
    (``seq``), the hash of the row before it and its own hash over its fields, so that an edited, deleted or
    inserted row is found by ``sunshine audit verify``. The actor is kept as written (id, username, division):
    the link to the account is a plain reference without a database constraint, so deleting or moving an
    account changes neither the row nor its hash."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, verbose_name=_("用户"))
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    # The actor's division when the row was written: the audit page's scope (a moved account keeps its past).
    division_code = models.CharField(_("所属区划"), max_length=12, blank=True, db_index=True)
    # Set when the row is made (not at insert), so that the hash covers the very value stored.
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_ref = models.CharField(_("对象"), max_length=80)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    row_hash = models.CharField(_("本条哈希"), max_length=64)

    class Meta:
        verbose_name = _("访问日志")
        verbose_name_plural = _("访问日志")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action} {self.object_type} {self.object_ref}"

    def save(self, *args: object, **kwargs: object) -> None:
        """Appends the row at the head of the chain; an existing row is never saved again."""
        if not self._state.adding:
            raise ValueError("访问日志只能追加,不能修改")
        from sunshine.core.auditlog.chain import append

        append(self, lambda: super(AccessLog, self).save(*args, **kwargs), using=kwargs.get("using"))  # type: ignore[arg-type]


class RateEvent(models.Model):
    """One counted action of a public form (a failed self-query, a search, a submission), by a salted hash of
    who did it. Counted in the database so that every server process sees the same numbers; rows older than a
    day are useless and are removed as new ones come (sunshine.core.ratelimit)."""

    bucket = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["bucket", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.bucket} {self.at:%Y-%m-%d %H:%M}"
