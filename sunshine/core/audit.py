"""The access log: full reads of personal data and every export.

Every row is appended to the hash chain (sunshine.core.auditlog.chain, by AccessLog.save); the actor is kept
as they were (username, division) and the address is the client's (sunshine.core.http.client_ip, which honours
the configured reverse proxies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sunshine.core.choices import AccessAction
from sunshine.core.http import client_ip
from sunshine.core.models import AccessLog

if TYPE_CHECKING:
    from django.http import HttpRequest

    from sunshine.core.models import User


def log_access(
    *, user: User | None, action: AccessAction, object_type: str, object_ref: str, detail: str = "",
    request: HttpRequest | None = None,
) -> AccessLog:
    """Write one access-log row. ``user`` None (or anonymous) is a command run without an acting user."""
    actor = user if user is not None and user.is_authenticated else None
    return AccessLog.objects.create(
        user=actor, action=action, object_type=object_type, object_ref=object_ref, detail=detail,
        ip_address=client_ip(request) if request is not None else None,
    )


def log_full_read(user: User, object_type: str, object_ref: str, request: HttpRequest | None = None) -> None:
    """Recorded only when the reader actually received unmasked data."""
    if user.can_see_full_personal_data:
        log_access(
            user=user, action=AccessAction.VIEW_FULL, object_type=object_type, object_ref=object_ref,
            request=request,
        )


# ---- sign-ins and sign-outs (安全审计) ------------------------------------------------------------------
# Only those made by a real request (the login page, the logout button, a session ended by the server) are
# written: the test client's force_login/login build a request without a method and are not sign-ins of a person.


def _real(request: HttpRequest | None) -> bool:
    return request is not None and bool(getattr(request, "method", None))


def on_logged_in(sender: object, request: HttpRequest | None = None, user: User | None = None,
                 **kwargs: object) -> None:
    if _real(request) and user is not None:
        log_access(user=user, action=AccessAction.LOGIN, object_type="login", object_ref=user.username,
                   request=request)


def on_logged_out(sender: object, request: HttpRequest | None = None, user: User | None = None,
                  **kwargs: object) -> None:
    if _real(request) and user is not None and user.is_authenticated:
        log_access(user=user, action=AccessAction.LOGOUT, object_type="login", object_ref=user.username,
                   request=request)


def on_login_failed(sender: object, credentials: dict[str, object] | None = None,
                    request: HttpRequest | None = None, **kwargs: object) -> None:
    """A failed sign-in: under the account when the name is one (its supervisors then see it), else with the
    name as typed (cut short) and no division (province-level readers see it)."""
    if not _real(request):
        return
    from sunshine.core.models import User

    name = str((credentials or {}).get("username") or "")[:80]
    account = User.objects.filter(username=name).first() if name else None
    AccessLog.objects.create(
        user=account, username=account.username if account else name,
        division_code=(account.division_id or "") if account else "", action=AccessAction.LOGIN_FAILED,
        object_type="login", object_ref=name, ip_address=client_ip(request),  # type: ignore[arg-type]
    )


def connect_signals() -> None:
    """Called once from CoreConfig.ready()."""
    from django.contrib.auth import signals

    signals.user_logged_in.connect(on_logged_in, dispatch_uid="sunshine.audit.login")
    signals.user_logged_out.connect(on_logged_out, dispatch_uid="sunshine.audit.logout")
    signals.user_login_failed.connect(on_login_failed, dispatch_uid="sunshine.audit.login_failed")
