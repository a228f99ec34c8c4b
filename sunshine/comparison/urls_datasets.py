"""Department datasets (views_datasets.py). URL parameters are named job_id: tests/test_scope.py fills them
with another user's objects and expects 403/404."""

from django.urls import URLPattern, path

from sunshine.comparison import views_datasets

urlpatterns: list[URLPattern] = [
    path("comparison/datasets/", views_datasets.dataset_list, name="comparison_datasets"),
    path("comparison/datasets/uploads/<int:job_id>/", views_datasets.dataset_upload,
         name="comparison_dataset_upload"),
    path("comparison/datasets/uploads/<int:job_id>/errors/", views_datasets.dataset_upload_errors,
         name="comparison_dataset_upload_errors"),
]
