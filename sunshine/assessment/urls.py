from django.urls import path

from sunshine.assessment import views

urlpatterns = [
    path("assessment/", views.run_list, name="assessment_runs"),
    path("assessment/runs/<int:run_id>/", views.run_detail, name="assessment_run"),
    path("assessment/compare/", views.compare, name="assessment_compare"),
]
