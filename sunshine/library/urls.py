"""Policy library pages: staff pages need a login; the public library is listed in PUBLIC_ROUTES (no login)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

PUBLIC_ROUTES: tuple[str, ...] = ()
