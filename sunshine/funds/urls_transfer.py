"""The funds files page: upload (funds_upload), an upload's status and error report, blank templates.
URL parameters are named job_id: tests/test_scope.py fills them with another user's job and expects 404."""

from django.urls import URLPattern, path

from sunshine.funds import views_transfer

urlpatterns: list[URLPattern] = [
    path("funds/files/", views_transfer.upload, name="funds_upload"),
    path("funds/files/template/", views_transfer.template_file, name="funds_template"),
    path("funds/files/<int:job_id>/", views_transfer.upload_job, name="funds_upload_job"),
    path("funds/files/<int:job_id>/errors/", views_transfer.upload_errors, name="funds_upload_errors"),
]
PUBLIC_ROUTES: list[str] = []
