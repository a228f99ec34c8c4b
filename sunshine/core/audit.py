"""The access log: full reads of personal data and every export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog

if TYPE_CHECKING:
    from django.http import HttpRequest

    from sunshine.core.models import User


def log_access(
    *, user: User, action: AccessAction, object_type: str, object_ref: str, detail: str = "",
    request: HttpRequest | None = None,
) -> None:
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    AccessLog.objects.create(
        user=user if user.is_authenticated else None, action=action, object_type=object_type,
        object_ref=object_ref[:80], detail=detail[:200], ip_address=ip,
    )


def log_full_read(user: User, object_type: str, object_ref: str, request: HttpRequest | None = None) -> None:
    """Recorded only when the reader actually received unmasked data."""
    if user.can_see_full_personal_data:
        log_access(
            user=user, action=AccessAction.VIEW_FULL, object_type=object_type, object_ref=object_ref,
            request=request,
        )
