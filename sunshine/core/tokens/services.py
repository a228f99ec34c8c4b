"""Issuing and revoking API tokens. The command and the page both come here, so the same rules hold: a token
always expires (at most ``ApiToken.MAX_DAYS`` days), only active accounts get one, each user manages their own
tokens and an administrator everyone's, and every issue and revocation is a history row of the token's owner
naming the acting user (shown with the account's other changes on the user administration page)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sunshine.core.choices import Role
from sunshine.core.models import ApiToken, User

HISTORY_REASON_LENGTH = 100  # simple_history's history_change_reason


class TokenError(ValueError):
    """A request refused by the rules; the message is Chinese."""


def is_token_admin(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active and actor.has_role(Role.ADMIN)


def may_manage(actor: User | None, owner: User) -> bool:
    """The owner manages their own tokens, an administrator everyone's; ``None`` is the server's operator
    at the command line before any administrator exists."""
    return actor is None or actor.pk == owner.pk or is_token_admin(actor)


def visible_tokens(actor: User) -> QuerySet[ApiToken]:
    """Every token for an administrator, one's own otherwise; newest first."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    return tokens if is_token_admin(actor) else tokens.filter(user=actor)


def check_days(days: int | None) -> int:
    days = settings.SUNSHINE_TOKEN_DAYS if days is None else days
    if not 1 <= days <= ApiToken.MAX_DAYS:
        raise TokenError(_("有效期应为 1 到 %(max)d 天") % {"max": ApiToken.MAX_DAYS})
    return days


@transaction.atomic
def issue(actor: User | None, owner: User, *, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns it with its raw value, which is shown once and never stored."""
    if not may_manage(actor, owner):
        raise PermissionDenied(_("只能为自己签发接口令牌(系统管理员除外)"))
    if not owner.is_active:
        raise TokenError(_("账号已停用,不能签发接口令牌"))
    token, raw = ApiToken.issue(owner, (name or "").strip()[:60], check_days(days))
    _record(owner, actor, _("签发接口令牌 %(prefix)s…(%(name)s,有效期至 %(until)s)") % {
        "prefix": token.prefix, "name": token.name or _("未命名"), "until": _date(token)})
    return token, raw


@transaction.atomic
def revoke(actor: User | None, token: ApiToken) -> bool:
    """Revokes the token; False when it already was (nothing written)."""
    if not may_manage(actor, token.user):
        raise PermissionDenied(_("只能吊销自己的接口令牌(系统管理员除外)"))
    # The row is locked and re-read: two revocations at once write one history row.
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked:
        return False
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    token.revoked = True
    _record(token.user, actor, _("吊销接口令牌 %(prefix)s…(%(name)s)") % {
        "prefix": token.prefix, "name": token.name or _("未命名")})
    return True


def _date(token: ApiToken) -> str:
    from django.utils import timezone

    return timezone.localtime(token.valid_until).strftime("%Y-%m-%d")


def _record(owner: User, actor: User | None, reason: str) -> None:
    """A history row of the owner's account (the account itself is unchanged) naming the acting user."""
    current = User.objects.get(pk=owner.pk)  # a fresh copy: no _history_user left over from earlier saves
    User.history.bulk_history_create(  # type: ignore[attr-defined]
        [current], update=True, default_user=actor, default_change_reason=reason[:HISTORY_REASON_LENGTH])
