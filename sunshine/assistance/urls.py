"""Assistance pages (cadres, pairings, work teams, visits). URL parameters are named id or code:
tests/test_scope.py fills them with another village's objects and expects 403/404."""

from django.urls import URLPattern, URLResolver, include, path

from sunshine.assistance import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("sunshine.assistance.urls_visits")),
    path("assistance/cadres/", views.cadre_list, name="assistance_cadres"),
    path("assistance/cadres/<int:id>/", views.cadre_detail, name="assistance_cadre"),
    path("assistance/coverage/", views.coverage_page, name="assistance_coverage"),
    path("assistance/coverage/<str:code>/", views.coverage_page, name="assistance_coverage_division"),
    path("assistance/teams/", views.teams, name="assistance_teams"),
]
