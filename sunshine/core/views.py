"""Thin views: login, and the year every page reads from its query string.

The home page and the division drill-down live in the dashboard app (sunshine/dashboard/cockpit/): they show
figures of the apps above core, and core imports none of them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


def year_from(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", settings.SUNSHINE_DEFAULT_YEAR))
    except ValueError:
        return settings.SUNSHINE_DEFAULT_YEAR
