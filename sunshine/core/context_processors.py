from __future__ import annotations

from django.http import HttpRequest


def current_user(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_roles": user.role_labels(), "user_division": user.division}
