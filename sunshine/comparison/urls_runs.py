"""Comparison runs and findings (views_runs.py, views_findings.py). URL parameters are named run_id or id:
tests/test_scope.py fills them with another village's objects and expects 403/404."""

from django.urls import path

from sunshine.comparison import views_findings, views_runs

urlpatterns = [
    path("comparison/", views_runs.run_list, name="comparison_runs"),
    path("comparison/runs/<int:run_id>/", views_runs.run_detail, name="comparison_run"),
    path("comparison/runs/<int:run_id>/rerun/", views_runs.run_rerun, name="comparison_run_rerun"),
    path("comparison/findings/", views_findings.finding_list, name="comparison_findings"),
    path("comparison/findings/overdue/", views_findings.finding_overdue, name="comparison_findings_overdue"),
    path("comparison/findings/<int:id>/", views_findings.finding_detail, name="comparison_finding"),
    path("comparison/findings/<int:id>/verify/", views_findings.finding_verify, name="comparison_finding_verify"),
    path("comparison/findings/<int:id>/rectify/", views_findings.finding_rectify,
         name="comparison_finding_rectify"),
    path("comparison/attachments/<int:id>/", views_findings.finding_attachment, name="comparison_attachment"),
]
