"""Grievance pages: staff pages need a login and are scoped; the public form and progress page are listed in
PUBLIC_ROUTES (no login) and checked separately by tests/test_scope.py. Parameters are named id."""

from django.urls import path

from sunshine.grievance import public, views

urlpatterns = [
    path("grievances/", views.grievance_list, name="grievance_list"),
    path("grievances/export.csv", views.grievance_export, name="grievance_export"),
    path("grievances/new/", views.grievance_new, name="grievance_new"),
    path("grievances/stats/", views.grievance_stats, name="grievance_stats"),
    path("grievances/<int:id>/", views.grievance_detail, name="grievance_detail"),
    path("grievances/<int:id>/act/", views.grievance_act, name="grievance_act"),
    path("grievances/<int:id>/reporter/", views.grievance_reporter, name="grievance_reporter"),
    path("public/grievances/", public.report, name="public_grievance"),
    path("public/grievances/progress/", public.progress, name="public_grievance_progress"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/grievances/", "public/grievances/progress/")
