"""Grievance pages: staff pages need a login and are scoped; the public form and progress page are listed in
PUBLIC_ROUTES (no login) and checked separately by tests/test_scope.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

PUBLIC_ROUTES: tuple[str, ...] = ()
