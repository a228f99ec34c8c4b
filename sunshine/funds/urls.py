"""Funds and project pages: the project library and its lifecycle (urls_projects.py), funds, their trail and
payments (urls_funds.py). URL parameters are named id or code: tests/test_scope.py fills them with another
county's objects and expects 403/404; public routes are listed in PUBLIC_ROUTES and checked separately."""

from django.urls import include, path

urlpatterns = [
    path("", include("sunshine.funds.urls_projects")),
    path("", include("sunshine.funds.urls_funds")),
    path("", include("sunshine.funds.urls_transfer")),
    path("", include("sunshine.funds.urls_credit")),
]
