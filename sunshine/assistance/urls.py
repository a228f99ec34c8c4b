"""Assistance pages (cadres, pairings, work teams, visits). URL parameters are named id or code:
tests/test_scope.py fills them with another village's objects and expects 403/404."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
