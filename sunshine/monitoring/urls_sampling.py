"""Sampling pages (views_sampling.py). URL parameters are named id: tests/test_scope.py fills them with another
village's objects and expects 403/404. The unit of a visit travels in the POST body and is looked up inside
the draw and the reader's scope."""

from django.urls import URLPattern, path

from sunshine.monitoring import views_sampling

urlpatterns: list[URLPattern] = [
    path("monitoring/samples/", views_sampling.sample_list, name="monitoring_samples"),
    path("monitoring/samples/<int:id>/", views_sampling.sample_detail, name="monitoring_sample"),
    path("monitoring/samples/<int:id>/visit/", views_sampling.sample_visit, name="monitoring_sample_visit"),
    path("monitoring/samples/<int:id>/continue/", views_sampling.sample_continue,
         name="monitoring_sample_continue"),
    path("monitoring/samples/<int:id>/export/", views_sampling.sample_export, name="monitoring_sample_export"),
]
