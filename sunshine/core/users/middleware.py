"""A user holding a one-time password (new account, reset) changes it before anything else: every page
redirects to the password page, the JSON API answers 403 with a Chinese message. Only the password page,
logout, login and static files stay reachable."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

MESSAGE = "请先修改初始密码(一次性密码)后再使用系统"


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            path = request.path
            allowed = (reverse("password_change"), reverse("logout"), reverse("login"),
                       "/" + settings.STATIC_URL.lstrip("/"))
            if not path.startswith(allowed):
                if path.startswith("/api/"):
                    return JsonResponse({"detail": MESSAGE}, status=403)
                return redirect("password_change")
        return self.get_response(request)
