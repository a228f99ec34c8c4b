from django.urls import URLPattern, path

from sunshine.dashboard.report import views

urlpatterns: list[URLPattern] = [
    path("dashboard/report/", views.report, name="dashboard_report"),
]
