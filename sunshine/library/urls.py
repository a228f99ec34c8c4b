"""Policy library pages: staff pages need a login; the public library is listed in PUBLIC_ROUTES (no login).
URL parameters are named id: tests/test_scope.py fills them with other objects' ids and expects 403/404 on the
staff pages (there is no such document there)."""

from django.urls import path

from sunshine.library import views

urlpatterns = [
    path("public/policies/", views.public_list, name="public_policies"),
    path("public/policies/<int:id>/", views.public_detail, name="public_policy"),
    path("public/policies/<int:id>/file/", views.public_file, name="public_policy_file"),
    path("library/", views.staff_list, name="library_list"),
    path("library/upload/", views.staff_upload, name="library_upload"),
    path("library/<int:id>/", views.staff_detail, name="library_detail"),
    path("library/<int:id>/version/", views.staff_version, name="library_version"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/policies/", "public/policies/<int:id>/", "public/policies/<int:id>/file/")
