"""The public portal (urls_portal.py) and benefits statements (urls_statements.py). URL parameters are named id,
code or year: tests/test_scope.py fills them with another village's objects and expects 403/404; public routes
are listed in PUBLIC_ROUTES and checked separately."""

from django.urls import include, path

from sunshine.disclosure.urls_portal import PUBLIC_ROUTES as PORTAL_ROUTES
from sunshine.disclosure.urls_statements import PUBLIC_ROUTES as STATEMENT_ROUTES

urlpatterns = [
    path("", include("sunshine.disclosure.urls_portal")),
    path("", include("sunshine.disclosure.urls_statements")),
]

PUBLIC_ROUTES: tuple[str, ...] = PORTAL_ROUTES + STATEMENT_ROUTES
